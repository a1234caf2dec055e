/* pprof.h: the tables of a pprof profile being built (pprof_tables.c):
 * its string table, functions, locations, mappings, samples and labels,
 * pooled and deduplicated, for the export of pprof.c. Every function
 * notes out of memory in p->oom and then does nothing more. */
#ifndef WR_PPROF_H
#define WR_PPROF_H

#include <uthash.h>

#include "model/model.h"
#include "output/proto/profile.pb-c.h"
#include "trace/grow.h"

typedef Perftools__Profiles__Profile pp_profile;
typedef Perftools__Profiles__ValueType pp_vtype;
typedef Perftools__Profiles__Sample pp_sample;
typedef Perftools__Profiles__Label pp_label;
typedef Perftools__Profiles__Mapping pp_mapping;
typedef Perftools__Profiles__Location pp_location;
typedef Perftools__Profiles__Line pp_line;
typedef Perftools__Profiles__Function pp_function;

/* a key of the tables below: two numbers (string indices, ids, addresses) */
struct pp_ent {
    UT_hash_handle hh;
    uint64_t key[2];
    uint64_t id;
};

struct pp_str {
    UT_hash_handle hh;
    char *s; /* the string table's entry: well-formed UTF-8 */
    int64_t idx;
};

/* pp_span: a run of a pool (lines of a location, ids and labels of a sample) */
struct pp_span {
    size_t first, n;
};

/* the sample values, in the order of the sample types: calls/count,
 * wait/nanoseconds (the default), cpu/nanoseconds, blocked/nanoseconds,
 * runnable/nanoseconds, bytes/bytes */
enum { WR_PP_CALLS, WR_PP_WAIT, WR_PP_CPU, WR_PP_BLOCKED, WR_PP_RUNNABLE, WR_PP_BYTES, WR_PP_NVALUES };

struct pprof {
    struct pp_str *strh;
    char **strs;
    size_t nstrs, capstrs;
    struct pp_ent *fnh, *loch, *leafh;
    pp_function *fns;
    size_t nfns, capfns;
    pp_mapping *maps;
    size_t nmaps, capmaps;
    pp_location *locs;
    struct pp_span *loclines; /* per location, into lines */
    size_t nlocs, caplocs, caploclines;
    pp_line *lines;
    size_t nlines, caplines;
    pp_sample *samples;
    struct pp_span *sids, *slabels; /* per sample, into ids and labels */
    size_t nsamples, capsamples, capsids, capslabels;
    uint64_t *ids;
    size_t nids, capids;
    int64_t *vals; /* WR_PP_NVALUES per sample */
    size_t capvals;
    pp_label *labels;
    size_t nlabels, caplabels;
    int oom;
};

/* grow: room for element n of a pool of p, noting a failure in p->oom. */
#define GROW(p, arr, cap, n) ((p)->oom |= wr_grow((void **)&(arr), &(cap), (n), sizeof *(arr), 64) != 0, !(p)->oom)

/* wr_pp_str: the string table index of s (NULL and "" are 0), added on first use. */
int64_t wr_pp_str(struct pprof *p, const char *s);

/* wr_pp_find: the id under key (a, b) in *h, or 0. */
uint64_t wr_pp_find(struct pp_ent **h, uint64_t a, uint64_t b);

/* wr_pp_note: remember id under key (a, b) in *h; id, or 0 on out of memory. */
uint64_t wr_pp_note(struct pprof *p, struct pp_ent **h, uint64_t a, uint64_t b, uint64_t id);

/* wr_pp_function: the id of the function named name in file (NULL: unknown). */
uint64_t wr_pp_function(struct pprof *p, const char *name, const char *file);

/* wr_pp_location: a new location of mapping map at address addr, with one line
 * per frame of fr[0..n) (innermost first); its id, or 0 on out of memory. */
uint64_t wr_pp_location(struct pprof *p, uint64_t map, uint64_t addr, const struct wr_frame *fr, size_t n);

/* wr_pp_leaf: the location of wrapped function f, the leaf of its samples. */
uint64_t wr_pp_leaf(struct pprof *p, unsigned f);

/* wr_pp_base_name: the module name wr_frame gives for path (symbols.c). */
const char *wr_pp_base_name(const char *path);

/* wr_pp_mapping: the id of the mapping of module mod, made on first use: one
 * per file (path and build id) at one place, shared by the processes that
 * loaded it there (a linear search: it runs once per module of a process).
 * Its range spans the module's executable ranges. file_offset is that
 * range's start less the load bias: its address in the ELF file, which is
 * its file offset where the text segment's address and offset are equal
 * (GNU ld's usual layout). 0 on out of memory. */
uint64_t wr_pp_mapping(struct pprof *p, const struct wr_module *mod);

/* wr_pp_push_id: append location id to the ids pool. */
void wr_pp_push_id(struct pprof *p, uint64_t id);

/* wr_pp_label: append a label (key, and str or num) to the labels pool. */
void wr_pp_label(struct pprof *p, const char *key, const char *s, int64_t num);

/* pprof_write.c: what every pprof export shares. */

/* wr_pp_init: p empty (string 0 and the sample types' names in it). */
void wr_pp_init(struct pprof *p);

/* wr_pp_main_mapping: the mapping of m's module at path exe made first:
 * pprof takes mapping[0] as the main binary. mapid: per module of m, the
 * id of its mapping, 0 until made. */
void wr_pp_main_mapping(struct pprof *p, const struct wr_model *m, uint64_t *mapid, const char *exe);

/* wr_pp_stack: the location ids of a sample of wrapped function func at
 * stack of m, leaf first, appended to the ids pool: the wrapped call, then
 * one location per return address, its inlined frames as lines. */
struct pp_span wr_pp_stack(struct pprof *p, struct wr_model *m, uint64_t *mapid, unsigned func, uint32_t stack);

/* wr_pp_clamp: v as a profile's int64 value, saturated. */
int64_t wr_pp_clamp(uint64_t v);

/* wr_pp_sample: a sample at locations ids with values v; labels thread
 * (when named), tid, family and pid. */
void wr_pp_sample(struct pprof *p, struct pp_span ids, const int64_t v[WR_PP_NVALUES], const char *thread, uint32_t tid,
                  const char *family, uint32_t pid);

#define WR_PP_COMMENTS 8 /* comments a profile carries at most */

/* wr_pp_head: the profile's own fields. split: some process had the
 * wait/CPU split (else the default type is calls); time_ns: wall-clock
 * start (ns since the epoch); duration_ns; comments pprof prints at the
 * top of every view. */
struct wr_pp_head {
    int split;
    uint64_t time_ns, duration_ns;
    const char *comments[WR_PP_COMMENTS];
    size_t ncomments;
};

/* wr_pp_write: p as a gzip-compressed profile.proto to out. 0, or -1 on
 * a write error, or out of memory (said on stderr). */
int wr_pp_write(struct pprof *p, const struct wr_pp_head *hd, FILE *out);

/* wr_pp_free: every table of p. */
void wr_pp_free(struct pprof *p);

#endif
