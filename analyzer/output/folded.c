/* folded.c: folded stacks ("root;...;caller;function N") for
 * flamegraph.pl, inferno and speedscope. Sites of every process are merged
 * by their symbolized path (sitekey.h), so a line is one distinct path. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "output/export.h"

static const char *const kind_names[] = {"wait", "cpu", "blocked", "runnable", "total", "calls", "bytes"};

int wr_fold_kind_parse(const char *s)
{
    for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
        if (!strcmp(s, kind_names[i]))
            return (int)i;
    return -1;
}

const char *wr_fold_kind_name(int kind) { return kind >= 0 && kind <= WR_FOLD_BYTES ? kind_names[kind] : "?"; }

int wr_fold_needs_split(int kind) { return kind <= WR_FOLD_RUNNABLE; }

uint64_t wr_fold_weight(const struct wr_ksite *k, int kind)
{
    switch (kind) {
    case WR_FOLD_WAIT:
        return wr_kval_wait(&k->v);
    case WR_FOLD_CPU:
        return wr_kval_cpu(&k->v);
    case WR_FOLD_BLOCKED:
        return k->v.blocked_ns;
    case WR_FOLD_RUNNABLE:
        return k->v.runnable_ns;
    case WR_FOLD_TOTAL:
        return k->v.total_ns;
    case WR_FOLD_CALLS:
        return k->v.calls;
    case WR_FOLD_BYTES:
        return k->v.bytes;
    }
    return 0;
}

static int g_kind;

static int cmp_weight(const void *a, const void *b)
{
    const struct wr_ksite *x = *(struct wr_ksite *const *)a, *y = *(struct wr_ksite *const *)b;
    uint64_t wx = wr_fold_weight(x, g_kind), wy = wr_fold_weight(y, g_kind);
    if (wx != wy)
        return wx > wy ? -1 : 1;
    return strcmp(x->key, y->key);
}

int wr_export_folded(struct wr_set *s, int kind, FILE *out)
{
    struct wr_ktable t = {0};
    int r = 0;
    for (size_t i = 0; !r && i < s->n; i++)
        r = wr_ktable_add(&t, &s->m[i]);
    if (!r)
        r = wr_ktable_sort(&t);
    if (!r) {
        g_kind = kind;
        qsort(t.sorted, t.n, sizeof *t.sorted, cmp_weight);
        for (size_t i = 0; i < t.n; i++) {
            uint64_t w = wr_fold_weight(t.sorted[i], kind);
            if (w)
                fprintf(out, "%s %" PRIu64 "\n", t.sorted[i]->key, w);
        }
    }
    if (r)
        fprintf(stderr, "waitreport: out of memory\n");
    wr_ktable_free(&t);
    return r || ferror(out) ? -1 : 0;
}
