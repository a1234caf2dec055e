/* wake_links.c: what the waker analysis (wakers.c) keeps of each wait it
 * matched beyond the site's wakers and causes: the waiter and waker
 * threads summed per pair (the HTML wait-for graph), and, when the build
 * asks, the wait itself (the Chrome trace's flow arrows). */
#include <stdlib.h>

#include "analyses/wakers.h"

void wr_wk_link(struct wr_model *m, size_t th, size_t wth, uint64_t a, uint64_t b, uint64_t k, unsigned func)
{
    uint64_t key = (uint64_t)th << 32 | (wth & 0xffffffffu);
    struct wr_wait_edge *e;
    HASH_FIND(hh, m->wait_edges, &key, sizeof key, e);
    if (!e && (e = calloc(1, sizeof *e))) {
        e->key = key;
        HASH_ADD(hh, m->wait_edges, key, sizeof e->key, e);
    }
    if (e) /* out of memory: the graph misses this wait, the report goes on */
        e->ns += wr_model_ns(m, b - a), e->waits++;
    if (!m->keep_wake_links)
        return;
    if (m->nwake_links == m->capwake_links) {
        size_t cap = m->capwake_links ? 2 * m->capwake_links : 256;
        struct wr_wake_link *l = m->nwake_links < WR_WAKE_LINKS_MAX ? realloc(m->wake_links, cap * sizeof *l) : NULL;
        if (!l) {
            m->wake_links_lost++;
            return;
        }
        m->wake_links = l, m->capwake_links = cap;
    }
    m->wake_links[m->nwake_links++] = (struct wr_wake_link){a, b, k, (uint32_t)th, (uint32_t)wth, func};
}

void wr_wk_links_release(struct wr_model *m)
{
    struct wr_wait_edge *e, *t;
    HASH_ITER(hh, m->wait_edges, e, t)
    {
        HASH_DEL(m->wait_edges, e);
        free(e);
    }
    free(m->wake_links);
    m->wake_links = NULL;
    m->nwake_links = m->capwake_links = 0;
}
