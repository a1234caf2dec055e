/* traces.c: several traces (one per process) read together, for the
 * report of several processes and the exports. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/traces.h"
#include "trace/symbols.h"

/* push_path: append a copy of p to *v. 0 or -1. */
static int push_path(char ***v, size_t *n, size_t *cap, const char *p)
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 8;
        char **nv = realloc(*v, c * sizeof *nv);
        if (!nv)
            return -1;
        *v = nv;
        *cap = c;
    }
    if (!((*v)[*n] = strdup(p)))
        return -1;
    (*n)++;
    return 0;
}

/* trace_gen: the exec generation of trace name (lw_format.h): N for
 * "x.N.bin" and for "x.bin.N" (the names older recorders gave), else 0.
 * The name without its generation, "x.bin" for all three, is
 * name[0, *stem) followed by *rest. */
static unsigned trace_gen(const char *name, size_t *stem, const char **rest)
{
    size_t n = strlen(name), e = n > 4 && !strcmp(name + n - 4, ".bin") ? n - 4 : n, b = e;
    while (b > 0 && name[b - 1] >= '0' && name[b - 1] <= '9')
        b--;
    unsigned g = b > 1 && name[b - 1] == '.' ? lw_name_gen(name + b, e - b) : 0;
    *stem = n, *rest = name + n;
    if (g && e < n) /* x.N.bin */
        *stem = b - 1, *rest = name + e;
    else if (g && b > 5 && !strncmp(name + b - 5, ".bin", 4)) /* x.bin.N */
        *stem = b - 1;
    else
        g = 0;
    return g;
}

/* trace_name: a name a trace in a directory has: ending in ".bin" (the
 * first image of a process, or a later one's "x.N.bin"), or in ".bin.N"
 * (a later image's name from older recorders). */
static int trace_name(const char *name)
{
    size_t n = strlen(name), stem;
    const char *rest;
    return (n > 4 && !strcmp(name + n - 4, ".bin")) || trace_gen(name, &stem, &rest);
}

/* cmp_trace: name order, with the images of one process together and in
 * the order they ran (x.bin, x.1.bin, x.2.bin, or x.bin.1 ...): the names
 * without their generation decide, then the generation. */
static int cmp_trace(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b, *xr, *yr;
    size_t xs, ys;
    unsigned xg = trace_gen(x, &xs, &xr), yg = trace_gen(y, &ys, &yr);
    for (size_t i = 0;; i++) {
        unsigned char cx = (unsigned char)(i < xs ? x[i] : xr[i - xs]);
        unsigned char cy = (unsigned char)(i < ys ? y[i] : yr[i - ys]);
        if (cx != cy)
            return cx < cy ? -1 : 1;
        if (!cx)
            break;
    }
    return xg < yg ? -1 : xg > yg;
}

/* expand_dir: the regular trace files of directory d (trace_name).
 * 0, -1 on out of memory, or 2 after a message. */
static int expand_dir(const char *d, char ***v, size_t *n, size_t *cap)
{
    DIR *dir = opendir(d);
    if (!dir) {
        fprintf(stderr, "waitreport: %s: %s\n", d, strerror(errno));
        return 2;
    }
    size_t first = *n;
    struct dirent *e;
    int r = 0;
    while (!r && (e = readdir(dir))) {
        if (!trace_name(e->d_name))
            continue;
        char *p;
        if (asprintf(&p, "%s/%s", d, e->d_name) < 0) {
            r = -1;
            break;
        }
        struct stat st;
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            r = push_path(v, n, cap, p);
        free(p);
    }
    closedir(dir);
    if (!r && *n == first) {
        fprintf(stderr, "waitreport: %s: no *.bin trace files in this directory\n", d);
        return 2;
    }
    return r;
}

int wr_set_expand(const char *const *paths, size_t npaths, char ***out, size_t *nout)
{
    char **v = NULL;
    size_t n = 0, cap = 0;
    int r = 0;
    for (size_t i = 0; !r && i < npaths; i++) {
        struct stat st;
        if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode))
            r = expand_dir(paths[i], &v, &n, &cap);
        else
            r = push_path(&v, &n, &cap, paths[i]);
    }
    if (!r) /* a shell's glob puts x.1.bin before x.bin */
        qsort(v, n, sizeof *v, cmp_trace);
    *out = v;
    *nout = n;
    return r;
}

int wr_set_load(struct wr_set *s, const char *const *paths, size_t npaths, int have_pid, uint32_t pid,
                const struct wr_build *b)
{
    memset(s, 0, sizeof *s);
    char **v;
    size_t n;
    int r = wr_set_expand(paths, npaths, &v, &n);
    s->paths = v;
    s->t = calloc(n ? n : 1, sizeof *s->t);
    s->m = calloc(n ? n : 1, sizeof *s->m);
    s->lib = wr_symlib_new();
    if (r == -1 || !s->t || !s->m || !s->lib) {
        fprintf(stderr, "waitreport: out of memory\n");
        r = 2;
    }
    struct wr_build bb = {0};
    if (b)
        bb = *b;
    bb.lib = s->lib;
    size_t kept = 0, missed = 0;
    for (size_t i = 0; !r && i < n; i++) {
        char err[512];
        struct wr_trace *t = &s->t[kept];
        if (wr_trace_open(t, v[i], err, sizeof err) != 0) {
            fprintf(stderr, "waitreport: %s\n", err);
            r = 2;
            break;
        }
        if (have_pid && t->hdr.pid != pid) {
            wr_trace_close(t);
            memset(t, 0, sizeof *t);
            continue;
        }
        if (wr_model_build_with(&s->m[kept], t, &bb) != 0) {
            fprintf(stderr, "waitreport: %s: out of memory\n", v[i]);
            wr_model_free(&s->m[kept]);
            wr_trace_close(t);
            r = 2;
            break;
        }
        s->m[kept].symlib = s->lib;
        missed += wr_window_missed(&s->m[kept]);
        kept++;
    }
    /* wr_trace keeps a pointer to its path: keep v alive in s->paths */
    s->n = kept;
    if (!r && !kept) {
        if (have_pid)
            fprintf(stderr, "waitreport: no trace of pid %u among the %zu given\n", pid, n);
        else
            fprintf(stderr, "waitreport: no trace given\n");
        r = 2;
    }
    if (!r && missed == kept) /* each said why */
        r = 2;
    s->npaths = n;
    return r;
}

void wr_set_free(struct wr_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        wr_model_free(&s->m[i]);
        wr_trace_close(&s->t[i]);
    }
    for (size_t i = 0; i < s->npaths; i++)
        free(s->paths[i]);
    free(s->paths);
    free(s->t);
    free(s->m);
    wr_symlib_free(s->lib); /* after the models: their symbolizers use it */
    memset(s, 0, sizeof *s);
}
