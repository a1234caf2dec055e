/* marks.c: control records of a trace (libwait_mark names, recording paused
 * and resumed), collected by the model and printed by the reports. */
#include <stdlib.h>
#include <string.h>

#include "analyses/analyses.h"

/* marks_event: decode a MARK/PAUSE/RESUME record of ev into m->marks.
 * A malformed body is warned about and skipped. 0, or -1 on out of memory. */
static int marks_event(void *state, size_t th, struct wr_site *site, const struct wr_event *ev)
{
    struct wr_model *m = state;
    (void)th, (void)site;
    const uint8_t *p = ev->body, *e = ev->body + ev->len;
    struct wr_mark k;
    memset(&k, 0, sizeof k);
    uint64_t n;
    if (!lw_dec_control(&p, e, ev->kind, &k.tsc, &n)) {
        wr_warn(m->trace, "thread %u: malformed control record (kind 0x%02x)", ev->tid, ev->kind);
        return 0;
    }
    k.kind = ev->kind;
    k.tid = ev->tid;
    if (ev->kind == LW_REC_MARK) {
        memcpy(k.name, p, n);
        wr_name_printable(k.name, n); /* names are shown on terminals: no control bytes */
    } else {
        k.source = (unsigned)(n < 16 ? n : 0);
    }
    if (m->nmarks == m->capmarks) {
        size_t cap = m->capmarks ? 2 * m->capmarks : 16;
        struct wr_mark *a = realloc(m->marks, cap * sizeof *a);
        if (!a)
            return -1;
        m->marks = a;
        m->capmarks = cap;
    }
    m->marks[m->nmarks++] = k;
    return 0;
}

static int cmp_mark(const void *a, const void *b)
{
    const struct wr_mark *x = a, *y = b;
    return x->tsc < y->tsc ? -1 : x->tsc > y->tsc;
}

/* marks_finish: sort by stamp and give each its time since the start
 * (needs the clock fit). */
static int marks_finish(void *state)
{
    struct wr_model *m = state;
    if (!m->nmarks)
        return 0;
    qsort(m->marks, m->nmarks, sizeof *m->marks, cmp_mark);
    uint64_t t0 = m->trace->hdr.start_mono_ns;
    for (size_t i = 0; i < m->nmarks; i++) {
        uint64_t t = wr_cpu_mono(m, m->marks[i].tsc);
        m->marks[i].t_ns = t > t0 ? t - t0 : 0;
    }
    return 0;
}

static int marks_wants(unsigned kind) { return kind == LW_REC_MARK || kind == LW_REC_PAUSE || kind == LW_REC_RESUME; }

/* marks_begin: the marks go straight into m, which is the state */
static void *marks_begin(struct wr_model *m) { return m; }

static void marks_release(struct wr_model *m) { free(m->marks); }

const struct wr_analysis wr_marks_analysis = {"marks",     marks_wants,  marks_begin,
                                              marks_event, marks_finish, marks_release};
