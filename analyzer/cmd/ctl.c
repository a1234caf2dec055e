/* ctl.c: `waitreport ctl TRACE pause|resume|status`: pause or resume
 * recording in the process writing TRACE, through the control line of the
 * trace's header (lw_control in lw_format.h), from another process. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/builtin.h"
#include "lw_format.h"
#include "trace/live.h"

/* wr_ctl_set: write paused (0/1) into path's control line; -1 only reads.
 * Returns the value now in force (0/1; only reading, 2/3 = the same when
 * the process has exited), -2 when asked to write but the process that
 * wrote the trace has exited (nothing written: no process listens), or -1
 * after a message on stderr (none when quiet). */
int wr_ctl_set(const char *path, int paused, int quiet)
{
    char why[512];
    int fd = wr_open_regular(path, (paused < 0 ? O_RDONLY : O_RDWR) | O_NOFOLLOW, why, sizeof why);
    struct stat st;
    struct lw_file_header h;
    if (fd < 0) {
        if (!quiet)
            fprintf(stderr, "waitreport: %s\n", why);
        return -1;
    }
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)LW_HEADER_SIZE || pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h ||
        memcmp(h.magic, LW_MAGIC, sizeof LW_MAGIC) != 0 || !LW_VERSION_READABLE(h.version)) {
        if (!quiet)
            fprintf(stderr, "waitreport: %s: not a libwait trace\n", path);
        close(fd);
        return -1;
    }
    int exited = (h.flags & LW_HF_CLOSED) || !wr_live_pid_alive(&h);
    if (exited && paused >= 0) {
        if (!quiet)
            fprintf(stderr, "waitreport: %s: the process (pid %u) has exited; nothing to %s\n", path, h.pid,
                    paused ? "pause" : "resume");
        close(fd);
        return -2;
    }
    uint32_t v = paused < 0 ? 0 : (uint32_t)paused;
    if (paused >= 0 && pwrite(fd, &v, sizeof v, LW_CONTROL_OFFSET) != (ssize_t)sizeof v) {
        if (!quiet)
            fprintf(stderr, "waitreport: %s: cannot write: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (pread(fd, &v, sizeof v, LW_CONTROL_OFFSET) != (ssize_t)sizeof v) {
        if (!quiet)
            fprintf(stderr, "waitreport: %s: cannot read: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);
    return exited ? (v != 0) + 2 : v != 0; /* status only: 2/3 = exited, recording/paused */
}

int wr_cmd_ctl(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[2], "pause") && strcmp(argv[2], "resume") && strcmp(argv[2], "status"))) {
        fputs("usage: waitreport ctl TRACE pause|resume|status\n"
              "  Pauses or resumes recording in the process writing TRACE (it takes effect\n"
              "  at its next wrapped call); status prints paused or recording. When the\n"
              "  process has exited, pause/resume say so and exit 1; status prints\n"
              "  \"exited (paused)\" or \"exited (recording)\" (the state at its end).\n",
              argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) ? stdout : stderr);
        return 2;
    }
    int want = !strcmp(argv[2], "pause") ? 1 : !strcmp(argv[2], "resume") ? 0 : -1;
    int r = wr_ctl_set(argv[1], want, 0);
    if (r == -2)
        return 1;
    if (r < 0)
        return 2;
    printf("%s: %s%s%s\n", argv[1], r >= 2 ? "exited (" : "", r & 1 ? "paused" : "recording", r >= 2 ? ")" : "");
    return 0;
}
