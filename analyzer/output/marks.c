/* marks.c: marks (libwait_mark names, recording paused/resumed) in
 * the text and JSON reports. */
#include <inttypes.h>

#include "output/fmt.h"
#include "output/report.h"

/* wr_mark_label: what a mark says ("phase 2", "recording paused (signal)"). */
const char *wr_mark_label(const struct wr_mark *k, char *buf, size_t cap)
{
    static const char *src[] = {"", " (libwait_pause)", " (SIGUSR2)"};
    const char *s = k->source < 3 ? src[k->source] : "";
    if (k->kind == LW_REC_MARK)
        return k->name;
    snprintf(buf, cap, "[recording %s%s]", k->kind == LW_REC_PAUSE ? "paused" : "resumed",
             k->kind == LW_REC_RESUME && k->source == LW_CTL_API ? " (libwait_resume)" : s);
    return buf;
}

/* wr_marks_text: the "marks" section of the text report (nothing when the
 * trace has none). */
void wr_marks_text(const struct wr_model *m, FILE *f)
{
    if (!m->nmarks)
        return;
    fprintf(f, "\nmarks (time since start)\n");
    for (size_t i = 0; i < m->nmarks; i++) {
        char t[32], b[96];
        fprintf(f, "  %10s  tid %-8u %s\n", wr_fmt_ns(t, sizeof t, m->marks[i].t_ns), m->marks[i].tid,
                wr_mark_label(&m->marks[i], b, sizeof b));
    }
}

/* wr_marks_json: ,"marks":[{"kind":"mark","name":..,"tid":..,"t_ns":..}]. */
void wr_marks_json(const struct wr_model *m, FILE *f)
{
    static const char *kinds[] = {"mark", "pause", "resume"};
    static const char *src[] = {NULL, "api", "signal"};
    fputs(",\"marks\":[", f);
    for (size_t i = 0; i < m->nmarks; i++) {
        const struct wr_mark *k = &m->marks[i];
        fprintf(f, "%s{\"kind\":\"%s\",\"name\":", i ? "," : "", kinds[k->kind - LW_REC_MARK]);
        wr_json_str(f, k->kind == LW_REC_MARK ? k->name : NULL);
        fprintf(f, ",\"source\":");
        wr_json_str(f, k->kind != LW_REC_MARK && k->source < 3 ? src[k->source] : NULL);
        fprintf(f, ",\"tid\":%u,\"t_ns\":%" PRIu64 "}", k->tid, k->t_ns);
    }
    fputc(']', f);
}
