/* pprof_tables.c: the deduplicated tables of a pprof profile (pprof.h). */
#include <stdlib.h>
#include <string.h>

#include "output/fmt.h"
#include "output/pprof.h"

/* wr_pp_str: the string table index of s (NULL and "" are 0), added on first use. */
int64_t wr_pp_str(struct pprof *p, const char *s)
{
    if (!s || !*s || p->oom)
        return 0;
    size_t len = strlen(s), o = 0;
    char *c = malloc(3 * len + 1); /* each bad byte takes the 3 bytes of U+FFFD */
    if (!c)
        return p->oom = 1, 0;
    for (const unsigned char *q = (const unsigned char *)s; *q; q++) {
        size_t n = *q < 0x80 ? 1 : wr_utf8_seq(q);
        if (n)
            memcpy(c + o, q, n), o += n, q += n - 1;
        else
            memcpy(c + o, "\xef\xbf\xbd", 3), o += 3;
    }
    c[o] = 0;
    struct pp_str *e;
    HASH_FIND_STR(p->strh, c, e);
    if (e) {
        free(c);
        return e->idx;
    }
    if (!GROW(p, p->strs, p->capstrs, p->nstrs) || !(e = calloc(1, sizeof *e))) {
        free(c);
        return p->oom = 1, 0;
    }
    e->s = p->strs[p->nstrs] = c;
    e->idx = (int64_t)p->nstrs++;
    HASH_ADD_KEYPTR(hh, p->strh, e->s, o, e);
    return e->idx;
}

/* wr_pp_find: the id under key (a, b) in *h, or 0. */
uint64_t wr_pp_find(struct pp_ent **h, uint64_t a, uint64_t b)
{
    uint64_t key[2] = {a, b};
    struct pp_ent *e;
    HASH_FIND(hh, *h, key, sizeof key, e);
    return e ? e->id : 0;
}

/* wr_pp_note: remember id under key (a, b) in *h; id, or 0 on out of memory. */
uint64_t wr_pp_note(struct pprof *p, struct pp_ent **h, uint64_t a, uint64_t b, uint64_t id)
{
    struct pp_ent *e = calloc(1, sizeof *e);
    if (!e)
        return p->oom = 1, 0;
    e->key[0] = a, e->key[1] = b, e->id = id;
    HASH_ADD(hh, *h, key, sizeof e->key, e);
    return id;
}

/* wr_pp_function: the id of the function named name in file (NULL: unknown). */
uint64_t wr_pp_function(struct pprof *p, const char *name, const char *file)
{
    int64_t n = wr_pp_str(p, name), f = wr_pp_str(p, file);
    uint64_t id = wr_pp_find(&p->fnh, (uint64_t)n, (uint64_t)f);
    if (id || !GROW(p, p->fns, p->capfns, p->nfns))
        return id;
    pp_function *fn = &p->fns[p->nfns];
    *fn = (pp_function)PERFTOOLS__PROFILES__FUNCTION__INIT;
    fn->id = ++p->nfns;
    fn->name = fn->system_name = n;
    fn->filename = f;
    return wr_pp_note(p, &p->fnh, (uint64_t)n, (uint64_t)f, fn->id);
}

/* wr_pp_location: a new location of mapping map at address addr, with one line
 * per frame of fr[0..n) (innermost first); its id, or 0 on out of memory. */
uint64_t wr_pp_location(struct pprof *p, uint64_t map, uint64_t addr, const struct wr_frame *fr, size_t n)
{
    if (!GROW(p, p->locs, p->caplocs, p->nlocs) || !GROW(p, p->loclines, p->caploclines, p->nlocs))
        return 0;
    size_t first = p->nlines;
    for (size_t i = 0; i < n; i++) {
        char unknown[300];
        const char *name = fr[i].function;
        if (!strcmp(name, "??")) /* as the folded stacks name it */
            snprintf(unknown, sizeof unknown, "[%s]", fr[i].module), name = unknown;
        uint64_t fid = wr_pp_function(p, name, fr[i].file);
        if (!fid || !GROW(p, p->lines, p->caplines, p->nlines))
            return 0;
        pp_line *l = &p->lines[p->nlines++];
        *l = (pp_line)PERFTOOLS__PROFILES__LINE__INIT;
        l->function_id = fid;
        l->line = fr[i].line;
    }
    pp_location *loc = &p->locs[p->nlocs];
    *loc = (pp_location)PERFTOOLS__PROFILES__LOCATION__INIT;
    loc->id = p->nlocs + 1;
    loc->mapping_id = map;
    loc->address = addr;
    p->loclines[p->nlocs++] = (struct pp_span){first, n};
    return loc->id;
}

/* wr_pp_leaf: the location of wrapped function f, the leaf of its samples. */
uint64_t wr_pp_leaf(struct pprof *p, unsigned f)
{
    uint64_t id = wr_pp_find(&p->leafh, f, 0);
    if (id)
        return id;
    const struct lw_func_info *fi = lw_func_info_of(f);
    struct wr_frame fr = {.function = fi ? fi->name : "?", .module = "[unknown]"};
    id = wr_pp_location(p, 0, 0, &fr, 1);
    return id ? wr_pp_note(p, &p->leafh, f, 0, id) : 0;
}

/* wr_pp_base_name: the module name wr_frame gives for path (symbols.c). */
const char *wr_pp_base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

/* wr_pp_mapping: the id of the mapping of module mod, made on first use: one
 * per file (path and build id) at one place, shared by the processes that
 * loaded it there (a linear search: it runs once per module of a process).
 * Its range spans the module's executable ranges. file_offset is that
 * range's start less the load bias: its address in the ELF file, which is
 * its file offset where the text segment's address and offset are equal
 * (GNU ld's usual layout). 0 on out of memory. */
uint64_t wr_pp_mapping(struct pprof *p, const struct wr_module *mod)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < mod->nranges; i++) {
        lo = mod->ranges[i][0] < lo ? mod->ranges[i][0] : lo;
        hi = mod->ranges[i][1] > hi ? mod->ranges[i][1] : hi;
    }
    if (lo > hi)
        lo = hi = mod->base;
    char bid[2 * sizeof mod->build_id + 1] = "";
    for (size_t i = 0; i < mod->build_id_len && i < sizeof mod->build_id; i++)
        snprintf(bid + 2 * i, 3, "%02x", mod->build_id[i]);
    int64_t path = wr_pp_str(p, mod->path), b = wr_pp_str(p, bid);
    for (size_t i = 0; i < p->nmaps; i++) {
        const pp_mapping *q = &p->maps[i];
        if (q->filename == path && q->build_id == b && q->memory_start == lo && q->memory_limit == hi &&
            q->file_offset == lo - mod->base)
            return q->id;
    }
    if (p->oom || !GROW(p, p->maps, p->capmaps, p->nmaps))
        return 0;
    pp_mapping *mp = &p->maps[p->nmaps];
    *mp = (pp_mapping)PERFTOOLS__PROFILES__MAPPING__INIT;
    mp->id = ++p->nmaps;
    mp->memory_start = lo;
    mp->memory_limit = hi;
    mp->file_offset = lo - mod->base;
    mp->filename = path;
    mp->build_id = b;
    mp->has_functions = mp->has_filenames = mp->has_line_numbers = mp->has_inline_frames = 1;
    return mp->id;
}

/* wr_pp_push_id: append location id to the ids pool. */
void wr_pp_push_id(struct pprof *p, uint64_t id)
{
    if (GROW(p, p->ids, p->capids, p->nids))
        p->ids[p->nids++] = id;
}

/* wr_pp_label: append a label (key, and str or num) to the labels pool. */
void wr_pp_label(struct pprof *p, const char *key, const char *s, int64_t num)
{
    if (!GROW(p, p->labels, p->caplabels, p->nlabels))
        return;
    pp_label *l = &p->labels[p->nlabels++];
    *l = (pp_label)PERFTOOLS__PROFILES__LABEL__INIT;
    l->key = wr_pp_str(p, key);
    if (s)
        l->str = wr_pp_str(p, s);
    else
        l->num = num;
}

void wr_pp_free(struct pprof *p)
{
    struct pp_str *e, *te;
    HASH_ITER(hh, p->strh, e, te)
    {
        HASH_DEL(p->strh, e);
        free(e);
    }
    struct pp_ent **tabs[] = {&p->fnh, &p->loch, &p->leafh};
    for (size_t i = 0; i < sizeof tabs / sizeof tabs[0]; i++) {
        struct pp_ent *x, *tx;
        HASH_ITER(hh, *tabs[i], x, tx)
        {
            HASH_DEL(*tabs[i], x);
            free(x);
        }
    }
    for (size_t i = 0; i < p->nstrs; i++)
        free(p->strs[i]);
    free(p->strs);
    free(p->fns);
    free(p->maps);
    free(p->locs);
    free(p->loclines);
    free(p->lines);
    free(p->samples);
    free(p->sids);
    free(p->slabels);
    free(p->ids);
    free(p->vals);
    free(p->labels);
}
