/* fork_exec: one program, three traced images, for multi-trace reports.
 *
 *   ./fork_exec   the parent runs common() and parent_work(), forks, and
 *                 waits; the child runs common() and child_work(), then
 *                 execs this program again as "fork_exec exec", which runs
 *                 common() and exec_work(). Prints "exec done" (from the
 *                 exec'd image) then "child exited 0".
 *   Known (under the preload with WAIT_OUTPUT=dir/x.%p.bin: files for the
 *   parent, the child and the exec'd image, the last two with one pid):
 *     malloc at common:      10 calls in each image, 30 in all, 2 pids
 *     malloc at parent_work: 100 calls (the parent's pid)
 *     malloc at child_work:  200 calls (the child's pid)
 *     malloc at exec_work:   300 calls (the child's pid) */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void *volatile sink; /* keeps GCC from eliding malloc/free */

__attribute__((noinline)) static void allocs(int n, size_t size)
{
    for (int i = 0; i < n; i++) {
        sink = malloc(size);
        free(sink);
    }
}

/* each caller of allocs() is its own site; allocs is a frame of all */
__attribute__((noinline)) static void common(void) { allocs(10, 24); }
__attribute__((noinline)) static void parent_work(void) { allocs(100, 32); }
__attribute__((noinline)) static void child_work(void) { allocs(200, 48); }
__attribute__((noinline)) static void exec_work(void) { allocs(300, 16); }

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "exec")) {
        common();
        exec_work();
        printf("exec done\n");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "usage: fork_exec\n");
        return 2;
    }
    common();
    parent_work();
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        common();
        child_work();
        execl("/proc/self/exe", "fork_exec", "exec", (char *)NULL);
        perror("exec");
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid) {
        perror("waitpid");
        return 1;
    }
    printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return 0;
}
