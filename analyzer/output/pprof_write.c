/* pprof_write.c: what every pprof export shares (pprof.h): the stack of a
 * sample as locations, a sample with its values and labels, and the whole
 * profile packed with protobuf-c and gzip-compressed. The exports of a
 * set of traces (pprof.c) and of top's intervals (pprof_top.c) differ only
 * in where their samples' figures come from. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "output/fmt.h"
#include "output/pprof.h"

static const char *const sample_types[WR_PP_NVALUES][2] = {
    {"calls", "count"},         {"wait", "nanoseconds"},     {"cpu", "nanoseconds"},
    {"blocked", "nanoseconds"}, {"runnable", "nanoseconds"}, {"bytes", "bytes"},
};

void wr_pp_init(struct pprof *p)
{
    memset(p, 0, sizeof *p);
    if (GROW(p, p->strs, p->capstrs, 0) && (p->strs[0] = calloc(1, 1))) /* string 0 is "" */
        p->nstrs = 1;
    else
        p->oom = 1;
    for (size_t i = 0; i < WR_PP_NVALUES; i++) { /* the sample types' names first */
        wr_pp_str(p, sample_types[i][0]);
        wr_pp_str(p, sample_types[i][1]);
    }
}

/* frame_mapping: the mapping of the module that frame fr was resolved in:
 * the module of that name loaded at fr->addr - fr->offset whose executable
 * ranges hold the call (fr->addr - 1). 0 for none (an unknown address). */
static uint64_t frame_mapping(struct pprof *p, const struct wr_model *m, uint64_t *mapid, const struct wr_frame *fr)
{
    if (!strcmp(fr->module, "[unknown]"))
        return 0;
    uint64_t base = fr->addr - fr->offset, a = fr->addr - 1;
    for (size_t i = 0; i < m->nmods; i++) {
        const struct wr_module *mod = &m->mods[i];
        if (mod->base != base || strcmp(wr_pp_base_name(mod->path), fr->module) != 0)
            continue;
        for (size_t k = 0; k < mod->nranges; k++)
            if (a >= mod->ranges[k][0] && a < mod->ranges[k][1])
                return mapid[i] ? mapid[i] : (mapid[i] = wr_pp_mapping(p, mod));
    }
    return 0;
}

void wr_pp_main_mapping(struct pprof *p, const struct wr_model *m, uint64_t *mapid, const char *exe)
{
    for (size_t i = 0; i < m->nmods; i++)
        if (!strcmp(m->mods[i].path, exe)) {
            mapid[i] = wr_pp_mapping(p, &m->mods[i]);
            return;
        }
}

struct pp_span wr_pp_stack(struct pprof *p, struct wr_model *m, uint64_t *mapid, unsigned func, uint32_t stack)
{
    struct wr_frame fr[LW_MAX_DEPTH];
    size_t n = wr_model_frames(m, stack, fr, LW_MAX_DEPTH);
    struct pp_span sp = {p->nids, 0};
    wr_pp_push_id(p, wr_pp_leaf(p, func));
    for (size_t i = 0; i < n && !p->oom;) {
        size_t j = i; /* fr[i..j]: one return address, inlined frames first */
        while (j + 1 < n && fr[j].inlined && fr[j + 1].addr == fr[i].addr)
            j++;
        uint64_t map = frame_mapping(p, m, mapid, &fr[i]), addr = fr[i].addr ? fr[i].addr - 1 : 0;
        uint64_t id = wr_pp_find(&p->loch, map, addr);
        if (!id && (id = wr_pp_location(p, map, addr, fr + i, j - i + 1)))
            wr_pp_note(p, &p->loch, map, addr, id);
        wr_pp_push_id(p, id);
        i = j + 1;
    }
    sp.n = p->nids - sp.first;
    return sp;
}

int64_t wr_pp_clamp(uint64_t v) { return v > INT64_MAX ? INT64_MAX : (int64_t)v; }

void wr_pp_sample(struct pprof *p, struct pp_span ids, const int64_t v[WR_PP_NVALUES], const char *thread, uint32_t tid,
                  const char *family, uint32_t pid)
{
    if (!GROW(p, p->samples, p->capsamples, p->nsamples) || !GROW(p, p->sids, p->capsids, p->nsamples) ||
        !GROW(p, p->slabels, p->capslabels, p->nsamples) ||
        !GROW(p, p->vals, p->capvals, p->nsamples * WR_PP_NVALUES + WR_PP_NVALUES - 1))
        return;
    memcpy(p->vals + p->nsamples * WR_PP_NVALUES, v, WR_PP_NVALUES * sizeof *v);
    size_t l0 = p->nlabels;
    if (thread && thread[0])
        wr_pp_label(p, "thread", thread, 0);
    wr_pp_label(p, "tid", NULL, tid);
    wr_pp_label(p, "family", family, 0);
    wr_pp_label(p, "pid", NULL, pid);
    pp_sample *smp = &p->samples[p->nsamples];
    *smp = (pp_sample)PERFTOOLS__PROFILES__SAMPLE__INIT;
    p->sids[p->nsamples] = ids;
    p->slabels[p->nsamples++] = (struct pp_span){l0, p->nlabels - l0};
}

/* write_gz: buf[0..len) gzip-compressed to out (zlib's own streaming
 * pattern: input in pieces that fit its counters, output drained while it
 * fills the buffer). 0, or -1. */
static int write_gz(const uint8_t *buf, size_t len, FILE *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    uint8_t o[16384];
    size_t done = 0;
    int flush, zr = Z_OK;
    do {
        size_t left = len - done;
        uInt in = left > (1u << 30) ? (1u << 30) : (uInt)left;
        z.next_in = (Bytef *)(uintptr_t)(buf + done);
        z.avail_in = in;
        flush = in == left ? Z_FINISH : Z_NO_FLUSH;
        do {
            z.next_out = o;
            z.avail_out = sizeof o;
            zr = deflate(&z, flush);
            fwrite(o, 1, sizeof o - z.avail_out, out);
        } while (z.avail_out == 0);
        done += in;
    } while (flush != Z_FINISH);
    deflateEnd(&z);
    return zr == Z_STREAM_END && !ferror(out) ? 0 : -1;
}

/* ptrs: an array of pointers to the n elements of size elem at base, as
 * protobuf-c's repeated message fields are; NULL on out of memory. */
static void **ptrs(void *base, size_t n, size_t elem)
{
    void **v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; v && i < n; i++)
        v[i] = (char *)base + i * elem;
    return v;
}

int wr_pp_write(struct pprof *p, const struct wr_pp_head *hd, FILE *out)
{
    pp_vtype vt[WR_PP_NVALUES], *vtp[WR_PP_NVALUES];
    for (size_t i = 0; i < WR_PP_NVALUES; i++) {
        vt[i] = (pp_vtype)PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
        vt[i].type = wr_pp_str(p, sample_types[i][0]);
        vt[i].unit = wr_pp_str(p, sample_types[i][1]);
        vtp[i] = &vt[i];
    }
    pp_profile pr = PERFTOOLS__PROFILES__PROFILE__INIT;
    pr.n_sample_type = WR_PP_NVALUES;
    pr.sample_type = vtp;
    /* with no split anywhere, the calls: a default view of zeros says nothing */
    pr.default_sample_type = wr_pp_str(p, hd->split ? "wait" : "calls");
    pr.time_nanos = wr_pp_clamp(hd->time_ns);
    pr.duration_nanos = wr_pp_clamp(hd->duration_ns);
    int64_t cm[WR_PP_COMMENTS];
    pr.comment = cm;
    for (size_t i = 0; i < hd->ncomments && i < WR_PP_COMMENTS; i++)
        cm[pr.n_comment++] = wr_pp_str(p, hd->comments[i]);
    /* the pools are complete: point the messages into them */
    pp_label **labp = (pp_label **)ptrs(p->labels, p->nlabels, sizeof *p->labels);
    pp_line **linep = (pp_line **)ptrs(p->lines, p->nlines, sizeof *p->lines);
    pr.sample = (pp_sample **)ptrs(p->samples, p->nsamples, sizeof *p->samples);
    pr.location = (pp_location **)ptrs(p->locs, p->nlocs, sizeof *p->locs);
    pr.mapping = (pp_mapping **)ptrs(p->maps, p->nmaps, sizeof *p->maps);
    pr.function = (pp_function **)ptrs(p->fns, p->nfns, sizeof *p->fns);
    int r = -1;
    uint8_t *buf = NULL;
    if (!p->oom && labp && linep && pr.sample && pr.location && pr.mapping && pr.function) {
        for (size_t i = 0; i < p->nsamples; i++) {
            pp_sample *x = &p->samples[i];
            x->n_location_id = p->sids[i].n;
            x->location_id = p->ids + p->sids[i].first;
            x->n_value = WR_PP_NVALUES;
            x->value = p->vals + i * WR_PP_NVALUES;
            x->n_label = p->slabels[i].n;
            x->label = labp + p->slabels[i].first;
        }
        for (size_t i = 0; i < p->nlocs; i++) {
            p->locs[i].n_line = p->loclines[i].n;
            p->locs[i].line = linep + p->loclines[i].first;
        }
        pr.n_sample = p->nsamples;
        pr.n_location = p->nlocs;
        pr.n_mapping = p->nmaps;
        pr.n_function = p->nfns;
        pr.n_string_table = p->nstrs;
        pr.string_table = p->strs;
        size_t len = perftools__profiles__profile__get_packed_size(&pr);
        if ((buf = malloc(len ? len : 1))) {
            perftools__profiles__profile__pack(&pr, buf);
            r = write_gz(buf, len, out);
        }
    }
    if (r && !ferror(out))
        fprintf(stderr, "waitreport: --pprof: out of memory\n");
    free(buf);
    free(labp);
    free(linep);
    free(pr.sample);
    free(pr.location);
    free(pr.mapping);
    free(pr.function);
    return r;
}
