/* noperf.c: run a command with perf_event_open refused (EACCES) by a
 * seccomp filter, as a container or a locked-down host would.
 *   usage: noperf [NAME=VALUE...] CMD [ARGS...]
 * Sets the NAME=VALUE pairs in the environment (so that CMD, not this
 * launcher, is the one preloaded), sets no_new_privs (needed to install a filter without CAP_SYS_ADMIN),
 * installs the filter, then execs CMD; exit 126 if that fails. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int i = 1;
    for (; i < argc && strchr(argv[i], '='); i++)
        putenv(argv[i]);
    if (i >= argc) {
        fprintf(stderr, "usage: noperf [NAME=VALUE...] CMD [ARGS...]\n");
        return 126;
    }
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), /* another ABI: leave it alone */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_perf_event_open, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EACCES & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
        perror("noperf: installing the seccomp filter");
        return 126;
    }
    execvp(argv[i], argv + i);
    perror("noperf: exec");
    return 126;
}
