/* pathsums.c: the sites each thread called alone, for the critical path
 * to charge a thread's calls from their sums (model.h, wr_path_sums). */
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

static int cmp_owned(const void *a, const void *b)
{
    const struct wr_site *x = *(struct wr_site *const *)a, *y = *(struct wr_site *const *)b;
    if (x->path_owner != y->path_owner)
        return x->path_owner < y->path_owner ? -1 : 1;
    return (x->path_seq > y->path_seq) - (x->path_seq < y->path_seq);
}

static int cmp_stack(const void *a, const void *b)
{
    const struct wr_site *x = *(struct wr_site *const *)a, *y = *(struct wr_site *const *)b;
    return (x->stack > y->stack) - (x->stack < y->stack);
}

struct wr_site **wr_path_sites(const struct wr_model *m, size_t *n)
{
    size_t k = 0;
    for (const struct wr_site *s = m->sites; s; s = s->hh.next)
        k += s->path_owner && s->path_owner != UINT32_MAX;
    struct wr_site **a = k ? malloc(k * sizeof *a) : NULL;
    *n = 0;
    if (!a)
        return NULL;
    k = 0;
    for (struct wr_site *s = m->sites; s; s = s->hh.next)
        if (s->path_owner && s->path_owner != UINT32_MAX)
            a[k++] = s;
    qsort(a, k, sizeof *a, cmp_owned);
    *n = k;
    return a;
}

int wr_path_sites_share_stack(struct wr_site *const *a, size_t n)
{
    struct wr_site **b = malloc((n ? n : 1) * sizeof *b);
    if (!b)
        return 1;
    memcpy(b, a, n * sizeof *b);
    qsort(b, n, sizeof *b, cmp_stack);
    size_t i = 1;
    while (i < n && b[i]->stack != b[i - 1]->stack)
        i++;
    free(b);
    return i < n;
}
