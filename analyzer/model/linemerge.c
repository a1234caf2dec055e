/* linemerge.c: --merge line: the stacks that show the same frames,
 * file:line by file:line, as a stack with a lower id (wr_build.merge_line). */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/linemerge.h"

/* The line key of a stack: what the reports show of each of its frames
 * (function, file, line, inlined; module and offset without a line), so
 * that two stacks with equal keys differ only in addresses. */
struct line_key {
    UT_hash_handle hh;
    char *key;
    uint32_t canon; /* the lowest stack id with this key */
};

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* line_key_of: the line key of stack id in m, malloc'ed; NULL on out of memory. */
static char *line_key_of(struct wr_model *m, uint32_t id)
{
    struct wr_frame fr[LW_MAX_DEPTH];
    size_t n = wr_model_frames(m, id, fr, LW_MAX_DEPTH);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (fr[i].file && fr[i].line)
            fprintf(f, "%s\t%s:%d%s\n", fr[i].function, fr[i].file, fr[i].line, fr[i].inlined ? "\ti" : "");
        else
            fprintf(f, "%s\t%s+%" PRIx64 "\n", fr[i].function, fr[i].module, fr[i].offset);
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* wr_line_map: the stacks of m that show the same frames as a stack with a
 * lower id, each mapped to the lowest, into *map (*n of them). 0 or -1. */
int wr_line_map(struct wr_model *m, struct wr_stackmap **map, size_t *n)
{
    *map = NULL;
    *n = 0;
    size_t ns = HASH_COUNT(m->stacks), k = 0;
    uint32_t *ids = malloc((ns ? ns : 1) * sizeof *ids);
    if (!ids)
        return -1;
    for (struct wr_stackdef *d = m->stacks; d; d = d->hh.next)
        ids[k++] = d->id;
    qsort(ids, ns, sizeof *ids, cmp_u32);
    struct line_key *keys = NULL, *lk, *tmp;
    int r = 0;
    for (size_t i = 0; !r && i < ns; i++) {
        char *key = line_key_of(m, ids[i]);
        if (!key) {
            r = -1;
            break;
        }
        HASH_FIND_STR(keys, key, lk);
        if (!lk) {
            if (!(lk = calloc(1, sizeof *lk))) {
                free(key);
                r = -1;
                break;
            }
            lk->key = key;
            lk->canon = ids[i];
            HASH_ADD_KEYPTR(hh, keys, lk->key, strlen(lk->key), lk);
            continue;
        }
        free(key);
        struct wr_stackmap *e = calloc(1, sizeof *e);
        if (!e) {
            r = -1;
            break;
        }
        e->from = ids[i];
        e->to = lk->canon;
        HASH_ADD(hh, *map, from, sizeof e->from, e);
        (*n)++;
    }
    HASH_ITER(hh, keys, lk, tmp)
    {
        HASH_DEL(keys, lk);
        free(lk->key);
        free(lk);
    }
    free(ids);
    return r;
}

void wr_stackmap_free(struct wr_stackmap *map)
{
    struct wr_stackmap *e, *tmp;
    HASH_ITER(hh, map, e, tmp)
    {
        HASH_DEL(map, e);
        free(e);
    }
}
