/* html_analyses.c: the per-process lock, heap and marks sections of the
 * HTML report, with the figures of the text report's sections. */
#include <inttypes.h>

#include "html.h"
#include "oututil.h"
#include "report.h"

#define WR_HTML_MUTEXES 10 /* mutexes shown, most wait caused first */

/* cell_ns: a table cell with a duration. */
static void cell_ns(FILE *f, uint64_t ns)
{
    char b[32];
    fprintf(f, "<td>%s</td>", wr_fmt_ns(b, sizeof b, ns));
}

/* cell_site: a left-aligned cell naming site s ("fn at frame"). */
static void cell_site(FILE *f, struct wr_model *m, const struct wr_site *s)
{
    char n[200];
    fputs("<td class=\"l\">", f);
    wr_html_str(f, wr_site_name(m, s, n, sizeof n));
    fputs("</td>", f);
}

/* locks: per mutex (the most waited on), its figures and top holder. */
static void locks(FILE *f, struct wr_model *m, size_t idx)
{
    if (!m->nmutexes)
        return;
    size_t top = m->nmutexes < WR_HTML_MUTEXES ? m->nmutexes : WR_HTML_MUTEXES;
    fprintf(f,
            "<h3>locks (top %zu of %zu locks, by wait caused)</h3><table id=\"locks-%zu\"><tr><th>lock</th>"
            "<th>locks</th><th>contended</th><th>wait</th><th>held</th><th>max hold</th><th class=\"l\">top "
            "holder</th><th>caused</th><th class=\"l\">top waiter</th><th>waited</th></tr>\n",
            top, m->nmutexes, idx);
    for (size_t i = 0; i < top; i++) {
        const struct wr_mutex *mu = m->mutex_sorted[i];
        char a[32], c[32];
        fprintf(f, "<tr><td>%s 0x%" PRIx64 "</td><td>%s</td><td>%s</td>", wr_lock_kind_name(mu), mu->addr,
                wr_fmt_count(a, sizeof a, mu->locks), wr_fmt_count(c, sizeof c, mu->contended));
        cell_ns(f, mu->wait_ns);
        cell_ns(f, mu->hold_ns);
        cell_ns(f, mu->hold_max_ns);
        if (mu->nheld) {
            cell_site(f, m, mu->held_by[0].site);
            cell_ns(f, mu->held_by[0].blame_ns);
        } else
            fputs("<td class=\"l\">-</td><td>-</td>", f);
        if (mu->nwaited) {
            cell_site(f, m, mu->waited_by[0].site);
            cell_ns(f, mu->waited_by[0].ns);
        } else
            fputs("<td class=\"l\">-</td><td>-</td>", f);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* heap: the peak live heap and the five largest leaks. */
static void heap(FILE *f, struct wr_model *m, size_t idx)
{
    const struct wr_heap *hp = &m->heap;
    if (!hp->peak_bytes)
        return;
    char a[32], b[32], c[32], d[32];
    fprintf(f,
            "<h3>heap</h3><p id=\"heap-%zu\">peak %s bytes live in %s blocks at %s; %s %s bytes in %" PRIu64
            " blocks</p>\n",
            idx, wr_fmt_count(a, sizeof a, hp->peak_bytes), wr_fmt_count(b, sizeof b, hp->peak_count),
            wr_fmt_ns(c, sizeof c, hp->peak_ns), m->trace->incomplete ? "live at the end of the trace:" : "leaked:",
            wr_fmt_count(d, sizeof d, hp->leaked_bytes), hp->leaked);
    const struct wr_site *top[5];
    size_t n = wr_top_leaks(m, top, 5);
    if (!n)
        return;
    fprintf(f, "<table id=\"leaks-%zu\"><tr><th>bytes</th><th>blocks</th><th class=\"l\">site</th></tr>\n", idx);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "<tr><td>%s</td><td>%" PRIu64 "</td>", wr_fmt_count(a, sizeof a, top[i]->leaked_bytes),
                top[i]->leaked);
        cell_site(f, m, top[i]);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* marks: libwait_mark names and recording pauses, by time. */
static void marks(FILE *f, const struct wr_model *m, size_t idx)
{
    if (!m->nmarks)
        return;
    fprintf(f,
            "<h3>marks</h3><table id=\"marks-%zu\"><tr><th>time since start</th><th>tid</th>"
            "<th class=\"l\">mark</th></tr>\n",
            idx);
    for (size_t i = 0; i < m->nmarks; i++) {
        char t[32], b[96];
        fprintf(f, "<tr><td>%s</td><td>%u</td><td class=\"l\">", wr_fmt_ns(t, sizeof t, m->marks[i].t_ns),
                m->marks[i].tid);
        wr_html_str(f, wr_mark_label(&m->marks[i], b, sizeof b));
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

void wr_html_analyses(FILE *f, struct wr_model *m, size_t idx)
{
    locks(f, m, idx);
    heap(f, m, idx);
    marks(f, m, idx);
}
