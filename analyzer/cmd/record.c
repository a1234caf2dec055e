/* record.c: `waitreport record [-o PATTERN] [--] PROG ARGS...`, the
 * launcher: runs PROG under libwait.so as heaptrack runs a program under
 * its own preload, and says which traces it wrote.
 *
 * Contract: PROG gets the launcher's stdin, stdout, stderr, environment
 * (plus LD_PRELOAD and WAIT_OUTPUT) and working directory. The launcher
 * waits for it as a shell would: SIGINT and SIGQUIT from the terminal reach
 * PROG (they go to the whole foreground process group) and are ignored by
 * the launcher while it waits, and SIGTERM and SIGHUP sent to the launcher
 * alone are passed on to PROG. The exit status is PROG's, or 128 + N when
 * signal N ended it. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd/builtin.h"
#include "cmd/options.h"

static volatile sig_atomic_t wr_rec_child;

/* wr_rec_forward: SIGTERM or SIGHUP sent to the launcher goes to PROG. */
static void wr_rec_forward(int sig)
{
    if (wr_rec_child > 0)
        kill(wr_rec_child, sig);
}

/* wr_rec_find_lib: libwait.so beside the waitreport binary, or in
 * ../lib and ../lib/libwait below it (an installed layout). 0 with the
 * absolute path in out, -1 when none exists. */
static int wr_rec_find_lib(char *out, size_t outlen)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return -1;
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (!slash)
        return -1;
    *slash = 0;
    static const char *const rel[] = {"libwait.so", "../lib/libwait.so", "../lib/libwait/libwait.so"};
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        char cand[PATH_MAX];
        if (snprintf(cand, sizeof cand, "%s/%s", self, rel[i]) >= (int)sizeof cand)
            continue;
        if (access(cand, R_OK) == 0 && realpath(cand, out) && strlen(out) < outlen)
            return 0;
    }
    return -1;
}

/* wr_rec_absolute: pattern as an absolute path (relative to the current
 * directory), so that PROG's children find the same place after a chdir. */
static int wr_rec_absolute(const char *pattern, char *out, size_t outlen)
{
    if (pattern[0] == '/')
        return snprintf(out, outlen, "%s", pattern) < (int)outlen ? 0 : -1;
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return -1;
    return snprintf(out, outlen, "%s/%s", cwd, pattern) < (int)outlen ? 0 : -1;
}

/* wr_rec_match_part: whether name starts with the first n bytes of base, a
 * file-name pattern in which %p stands for any pid and %% for '%'; the
 * rest of name after them in *rest. */
static int wr_rec_match_part(const char *base, size_t n, const char *name, const char **rest)
{
    const char *e = base + n;
    while (base < e) {
        if (base[0] == '%' && base + 1 < e && base[1] == 'p') {
            if (*name < '0' || *name > '9')
                return 0;
            while (*name >= '0' && *name <= '9')
                name++;
            base += 2;
            continue;
        }
        if (base[0] == '%' && base + 1 < e && base[1] == '%')
            base++;
        if (*base++ != *name++)
            return 0;
    }
    *rest = name;
    return 1;
}

/* wr_rec_matches: whether name fits base (see wr_rec_match_part), with an
 * exec'd image's generation ".N" before the extension allowed (the rule of
 * lw_format.h). */
static int wr_rec_matches(const char *base, const char *name)
{
    size_t ext = lw_name_ext(base);
    const char *r;
    if (!wr_rec_match_part(base, ext, name, &r))
        return 0;
    size_t k = 0;
    if (r[0] == '.')
        while (r[1 + k] >= '0' && r[1 + k] <= '9')
            k++;
    if (k && lw_name_gen(r + 1, k) && !strcmp(r + 1 + k, base + ext))
        return 1;
    return !strcmp(r, base + ext);
}

/* wr_rec_list: name on stderr the traces that fit the pattern and were
 * written since start. */
static void wr_rec_list(const char *pattern, time_t start)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", pattern);
    char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : pattern;
    if (slash)
        *slash = 0;
    DIR *d = opendir(slash ? (dir[0] ? dir : "/") : ".");
    if (!d) {
        fprintf(stderr, "waitreport record: no trace was written\n");
        return;
    }
    unsigned n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[PATH_MAX];
        struct stat st;
        if (!wr_rec_matches(base, e->d_name) ||
            snprintf(path, sizeof path, "%s/%s", dir[0] ? dir : "", e->d_name) >= (int)sizeof path ||
            stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_mtime < start)
            continue;
        fprintf(stderr, "waitreport record: trace %s\n", path);
        n++;
    }
    closedir(d);
    if (!n)
        fprintf(stderr, "waitreport record: no trace was written\n");
}

static void wr_rec_usage(FILE *f)
{
    fputs("usage: waitreport record [-o PATTERN] [--] PROG [ARGS...]\n"
          "  Runs PROG with libwait.so preloaded, then names the traces it wrote.\n"
          "  -o PATTERN  trace file name; %p is the pid (default wait.%p.bin, in the current directory)\n"
          "  The exit status is PROG's (128 + N when signal N ended it).\n",
          f);
}

int wr_cmd_record(int argc, char **argv)
{
    const char *pattern = "wait.%p.bin";
    int i = 1;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        }
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            wr_rec_usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "-o")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "waitreport record: -o needs a value\n");
                return 2;
            }
            pattern = argv[++i];
            continue;
        }
        if (argv[i][0] == '-') {
            fprintf(stderr, "waitreport record: unknown option %s\n", argv[i]);
            wr_rec_usage(stderr);
            return 2;
        }
        break;
    }
    if (i >= argc) {
        wr_rec_usage(stderr);
        return 2;
    }
    char lib[PATH_MAX], out[PATH_MAX];
    if (wr_rec_find_lib(lib, sizeof lib) != 0) {
        fprintf(stderr, "waitreport record: libwait.so not found beside waitreport or in ../lib\n");
        return 2;
    }
    if (wr_rec_absolute(pattern, out, sizeof out) != 0) {
        fprintf(stderr, "waitreport record: %s: path too long\n", pattern);
        return 2;
    }
    const char *old = getenv("LD_PRELOAD");
    char *preload = NULL;
    if (asprintf(&preload, "%s%s%s", lib, old && *old ? ":" : "", old && *old ? old : "") < 0)
        return 2;
    if (setenv("LD_PRELOAD", preload, 1) != 0 || setenv("WAIT_OUTPUT", out, 1) != 0) {
        free(preload);
        return 2;
    }
    free(preload);

    struct sigaction ign = {.sa_handler = SIG_IGN}, fwd = {.sa_handler = wr_rec_forward}, oint, oquit;
    sigemptyset(&ign.sa_mask);
    sigemptyset(&fwd.sa_mask);
    time_t start = time(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "waitreport record: fork: %s\n", strerror(errno));
        return 2;
    }
    if (pid == 0) {
        execvp(argv[i], argv + i);
        fprintf(stderr, "waitreport record: %s: %s\n", argv[i], strerror(errno));
        _exit(errno == ENOENT ? 127 : 126);
    }
    wr_rec_child = pid;
    sigaction(SIGINT, &ign, &oint);
    sigaction(SIGQUIT, &ign, &oquit);
    sigaction(SIGTERM, &fwd, NULL);
    sigaction(SIGHUP, &fwd, NULL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    sigaction(SIGINT, &oint, NULL);
    sigaction(SIGQUIT, &oquit, NULL);
    wr_rec_list(out, start);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}
