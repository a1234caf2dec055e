/* traces.h: the traces of a report, read together: one model per process,
 * all symbolized through one library of module files (traces.c). */
#ifndef WR_TRACES_H
#define WR_TRACES_H

#include "model/model.h"

/* A set of traces read together: one model per process, all symbolized
 * through one library of module files. */
struct wr_set {
    size_t n;
    struct wr_trace *t;
    struct wr_model *m;
    struct wr_symlib *lib;
    char **paths; /* owned copies of every file name opened */
    size_t npaths;
};

/* wr_set_load: open the traces named by paths (a directory stands for
 * its *.bin files and the *.bin.N of older recorders), in name order with
 * each process's images in the order they ran (x.bin, x.1.bin, ...), keep
 * those of pid when have_pid, and build a model of each as b asks (NULL:
 * the default; its lib is the set's own). 0, or 2 after a message naming
 * the file (bad input, no trace left, a --since/--until window outside
 * every trace, out of memory). */
int wr_set_load(struct wr_set *s, const char *const *paths, size_t npaths, int have_pid, uint32_t pid,
                const struct wr_build *b);
void wr_set_free(struct wr_set *s);

/* wr_set_expand: the trace files named by paths (a directory stands for
 * its *.bin files and the *.bin.N of older recorders), in that order, into
 * *v, n of them, each malloc'ed,
 * like *v itself (the caller frees both, also on failure). 0, -1 on out of
 * memory, or 2 after a message. */
int wr_set_expand(const char *const *paths, size_t npaths, char ***v, size_t *n);

#endif
