/* top_pprof.c: `waitreport top --pprof-every DIR`: a profile per refresh
 * interval, for an agent that ships each file as it appears (Pyroscope's,
 * Parca's, a cron job with `profilecli upload`).
 *
 * A file is DIR/profile-SECONDS.MILLIS.pb.gz, named by the wall-clock time
 * at the interval's end (the trace's start time plus the run's monotonic
 * time: the replayed time under --replay), fixed width so that names sort
 * in time order. It is written under a hidden temporary name in DIR and
 * renamed into place, so an agent watching DIR for *.pb.gz never sees a
 * file half written. Each holds the calls that settled in its interval
 * (top_model.h), so the files of a run together hold each call once. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/builtin.h"
#include "output/export.h"

int wr_top_pprof_dir(const char *dir)
{
    struct stat st;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "waitreport top: --pprof-every %s: %s\n", dir, strerror(errno));
        return -1;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) != 0) {
        fprintf(stderr, "waitreport top: --pprof-every %s: not a directory we can write in\n", dir);
        return -1;
    }
    return 0;
}

int wr_top_pprof_write(struct wr_top *t, const char *dir, int verbose)
{
    if (t->t_now == t->t_prev && !t->last_parts) /* nothing more since the last file (a finished run) */
        return 0;
    static uint64_t last_at; /* the time in the last name: names never repeat, never go back */
    uint64_t at = t->live.hdr.start_real_ns + (t->t_now - t->t_start);
    at = at / 1000000u > last_at / 1000000u ? at : last_at + 1000000u;
    last_at = at;
    char *tmp = NULL, *path = NULL;
    if (asprintf(&tmp, "%s/.profile-XXXXXX", dir) < 0 ||
        asprintf(&path, "%s/profile-%010" PRIu64 ".%03u.pb.gz", dir, at / 1000000000u,
                 (unsigned)(at / 1000000u % 1000u)) < 0) {
        free(tmp);
        fprintf(stderr, "waitreport top: out of memory\n");
        return -1;
    }
    int fd = mkstemp(tmp), r = -1;
    mode_t um = umask(0); /* mkstemp's file is 0600: give it a new file's mode */
    umask(um);
    FILE *f = fd >= 0 && fchmod(fd, 0666 & ~um) == 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        fprintf(stderr, "waitreport top: %s: %s\n", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
    } else {
        int w = wr_export_pprof_top(t, f);
        w |= fflush(f) != 0 || ferror(f);
        w |= fclose(f) != 0;
        if (w)
            fprintf(stderr, "waitreport top: writing %s: %s\n", tmp, strerror(errno));
        else if (rename(tmp, path) != 0)
            fprintf(stderr, "waitreport top: %s: %s\n", path, strerror(errno));
        else
            r = 0;
    }
    if (r && fd >= 0)
        unlink(tmp);
    if (!r && verbose)
        fprintf(stderr, "waitreport: wrote %s\n", path);
    free(tmp);
    free(path);
    return r;
}
