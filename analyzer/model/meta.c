/* meta.c: the records that describe a trace rather than calls: stacks,
 * modules (the load map) and thread names, decoded for the model and for
 * top's live model alike. Bodies are untrusted: every length is checked.
 * Also what the model's stacks and functions are called: a stack's frames
 * (symbolized on first use) and a function's family. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

static int on_stack(struct wr_model *m, const struct wr_event *ev)
{
    const uint8_t *p = ev->body, *e = ev->body + ev->len;
    uint32_t id32, depth;
    if (!lw_dec_stack_head(&p, e, &id32, &depth)) {
        wr_warn(m->trace, "thread %u: malformed stack record", ev->tid);
        return 0;
    }
    struct wr_stackdef *s;
    HASH_FIND(hh, m->stacks, &id32, sizeof id32, s);
    if (s)
        return 0; /* first definition wins */
    s = calloc(1, sizeof *s + depth * sizeof s->frames[0]);
    if (!s)
        return -1;
    s->id = id32;
    uint64_t prev = 0;
    for (uint32_t i = 0; i < depth; i++) {
        if (!lw_dec_stack_frame(&p, e, &prev)) {
            wr_warn(m->trace, "thread %u: stack %u is truncated", ev->tid, id32);
            break;
        }
        s->frames[s->depth++] = prev;
    }
    HASH_ADD(hh, m->stacks, id, sizeof s->id, s);
    return 0;
}

static int on_module(struct wr_model *m, const struct wr_event *ev)
{
    const uint8_t *p = ev->body, *e = ev->body + ev->len;
    struct lw_module_rec r;
    if (!lw_dec_module(&p, e, &r)) {
        wr_warn(m->trace, "thread %u: malformed module record", ev->tid);
        return 0;
    }
    if (m->nmods == m->capmods) {
        size_t cap = m->capmods ? 2 * m->capmods : 16;
        struct wr_module *n = realloc(m->mods, cap * sizeof *n);
        if (!n)
            return -1;
        m->mods = n;
        m->capmods = cap;
    }
    struct wr_module *mod = &m->mods[m->nmods];
    memset(mod, 0, sizeof *mod);
    for (size_t i = 0; i < r.nranges; i++)
        if (r.ranges[i][0] < r.ranges[i][1]) { /* an empty range holds no code */
            mod->ranges[mod->nranges][0] = r.ranges[i][0];
            mod->ranges[mod->nranges++][1] = r.ranges[i][1];
        }
    mod->first_stack = (uint32_t)r.first;
    mod->path = strndup((const char *)r.path, r.path_len);
    if (!mod->path)
        return -1;
    mod->base = r.base;
    memcpy(mod->build_id, r.build_id, r.build_id_len);
    mod->build_id_len = r.build_id_len;
    m->nmods++;
    return 0;
}

/* wr_model_meta: feed one STACK or MODULE record to m (incremental readers
 * that keep only stacks and modules, e.g. top). 0, or -1 on out of memory. */
int wr_model_meta(struct wr_model *m, const struct wr_event *ev)
{
    if (ev->kind == LW_REC_STACK)
        return on_stack(m, ev);
    if (ev->kind == LW_REC_MODULE)
        return on_module(m, ev);
    return 0;
}

size_t wr_thread_name(const struct wr_event *ev, char name[17])
{
    const uint8_t *p = ev->body, *e = ev->body + ev->len;
    struct lw_thread_rec r;
    uint64_t last = 0;
    if (!lw_dec_thread_head(&p, e, &last, &r) || !lw_dec_thread_name(&p, e, &r))
        return 0;
    memcpy(name, r.name, r.name_len + 1);
    return r.name_len + 1;
}

void wr_name_printable(char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            s[i] = '?';
}

const char *wr_model_family(unsigned f)
{
    static const char *names[LW_FAM_COUNT] = LW_FAMILY_NAMES;
    const struct lw_func_info *fi = lw_func_info_of(f);
    return fi && fi->family < LW_FAM_COUNT ? names[fi->family] : "unknown";
}

size_t wr_model_frames(struct wr_model *m, uint32_t stack, struct wr_frame *out, size_t max)
{
    struct wr_stackdef *s;
    HASH_FIND(hh, m->stacks, &stack, sizeof stack, s);
    if (!s || !max)
        return 0;
    if (!m->sym) {
        m->sym = m->symlib ? wr_symbols_new_in(m->symlib) : wr_symbols_new();
        if (!m->sym)
            return 0;
        for (size_t i = 0; i < m->nmods; i++) {
            struct wr_module *mod = &m->mods[i];
            wr_symbols_add_module(m->sym, mod->path, mod->base, mod->build_id, mod->build_id_len,
                                  (const uint64_t(*)[2])mod->ranges, mod->nranges, mod->first_stack);
        }
    }
    size_t n = 0;
    for (uint32_t i = 0; i < s->depth && n < max; i++)
        n += wr_symbols_resolve(m->sym, stack, s->frames[i], out + n, max - n);
    return n;
}
