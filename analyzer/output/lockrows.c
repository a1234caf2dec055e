/* lockrows.c: the rows of the lock lists of the text and HTML reports (who
 * held a lock, who waited on it, whom a waiter's wait is blamed on).
 *
 * locks.c keeps one entry per site, and a site is a wrapped function plus a
 * whole stack: two entries can differ only in frames a row does not show
 * (the same lock call reached from two callers), or in return addresses
 * that resolve to the same file:line (a loop the compiler unrolled). Such
 * rows would read the same twice, with the figures split between them, so
 * the rows are made from the entries merged by the text the row shows,
 * their figures summed (the longest hold kept), and sorted again. */
#include <stdlib.h>
#include <string.h>

#include "output/fmt.h"

/* one entry before merging: its row's text and its figures */
struct item {
    char *name;
    struct wr_lock_row fig;
};

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const struct item *)a)->name, ((const struct item *)b)->name);
}

/* cmp_row: the order of locks.c's lists (cmp_ms, cmp_blame): the time held
 * plus the wait caused, largest first; then by name, so equal rows come in
 * one order whatever the sites' stack ids. */
static int cmp_row(const void *a, const void *b)
{
    const struct wr_lock_row *x = a, *y = b;
    uint64_t kx = x->ns + x->blame_ns, ky = y->ns + y->blame_ns;
    return kx != ky ? (kx > ky ? -1 : 1) : strcmp(x->name, y->name);
}

/* merge: items[0..n) (names malloc'ed, owned here from now on) merged by
 * name into *out, sorted; *nout rows. 0, or -1 on out of memory. */
static int merge(struct item *items, size_t n, struct wr_lock_row **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    qsort(items, n, sizeof *items, cmp_name);
    struct wr_lock_row *r = malloc((n ? n : 1) * sizeof *r);
    if (!r) {
        for (size_t i = 0; i < n; i++)
            free(items[i].name);
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && !strcmp(r[k - 1].name, items[i].name)) {
            struct wr_lock_row *d = &r[k - 1];
            d->count += items[i].fig.count;
            d->ns += items[i].fig.ns;
            d->blame_ns += items[i].fig.blame_ns;
            if (items[i].fig.max_ns > d->max_ns)
                d->max_ns = items[i].fig.max_ns;
            free(items[i].name);
            continue;
        }
        r[k] = items[i].fig;
        r[k++].name = items[i].name;
    }
    qsort(r, k, sizeof *r, cmp_row);
    *out = r;
    *nout = k;
    return 0;
}

/* an entry's row text (cap bytes) and figures, from entry i of src */
typedef void (*entry_fn)(struct wr_model *m, const void *src, size_t i, char *name, size_t cap,
                         struct wr_lock_row *fig);

/* rows: the n entries of src, through get, merged into *out (see merge). */
static int rows(struct wr_model *m, const void *src, size_t n, entry_fn get, struct wr_lock_row **out, size_t *nout)
{
    struct item *it = malloc((n ? n : 1) * sizeof *it);
    if (!it)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char name[WR_NAME_CAP];
        get(m, src, i, name, sizeof name, &it[i].fig);
        if (!(it[i].name = strdup(name))) {
            while (i-- > 0)
                free(it[i].name);
            free(it);
            return -1;
        }
    }
    int r = merge(it, n, out, nout);
    free(it);
    return r;
}

/* mutex_entry: a held_by or waited_by entry, named "function at frame" */
static void mutex_entry(struct wr_model *m, const void *src, size_t i, char *name, size_t cap, struct wr_lock_row *fig)
{
    const struct wr_mutex_site *e = (const struct wr_mutex_site *)src + i;
    wr_site_name(m, e->site, name, cap);
    *fig = (struct wr_lock_row){NULL, e->count, e->ns, e->max_ns, e->blame_ns};
}

/* holder_entry: a site's holder, named by its frame as "top holder" shows it */
static void holder_entry(struct wr_model *m, const void *src, size_t i, char *name, size_t cap, struct wr_lock_row *fig)
{
    const struct wr_blame *b = (const struct wr_blame *)src + i;
    struct wr_frame fr[1];
    if (wr_model_frames(m, b->site->stack, fr, 1))
        wr_frame_line(name, cap, &fr[0]);
    else
        snprintf(name, cap, "(no stack)");
    *fig = (struct wr_lock_row){NULL, b->count, b->ns, 0, 0};
}

int wr_mutex_rows(struct wr_model *m, const struct wr_mutex_site *e, size_t n, struct wr_lock_row **out, size_t *nout)
{
    return rows(m, e, n, mutex_entry, out, nout);
}

int wr_holder_rows(struct wr_model *m, const struct wr_blame *b, size_t n, struct wr_lock_row **out, size_t *nout)
{
    return rows(m, b, n, holder_entry, out, nout);
}

void wr_lock_rows_free(struct wr_lock_row *r, size_t n)
{
    for (size_t i = 0; r && i < n; i++)
        free(r[i].name);
    free(r);
}
