/* analyses.c: the per-process lock, heap and marks sections of the
 * HTML report, with the figures of the text report's sections. */
#include <inttypes.h>

#include "output/fmt.h"
#include "output/html/html.h"
#include "output/report.h"

#define WR_HTML_MUTEXES 10 /* locks shown, most wait caused first (--all-locks: all) */

/* cell_ns: a table cell with a duration. */
static void cell_ns(FILE *f, uint64_t ns)
{
    char b[32];
    fprintf(f, "<td>%s</td>", wr_fmt_ns(b, sizeof b, ns));
}

/* cell_site: a left-aligned cell naming site s ("fn at frame"). */
static void cell_site(FILE *f, struct wr_model *m, const struct wr_site *s)
{
    char n[WR_NAME_CAP];
    fputs("<td class=\"l\">", f);
    wr_html_str(f, wr_site_name(m, s, n, sizeof n));
    fputs("</td>", f);
}

/* cell_top: the name and ns of the first of a mutex's held_by or waited_by
 * lists, with the entries that read the same merged (lockrows.c), then
 * the caused wait when held. -1 on out of memory. */
static int cell_top(FILE *f, struct wr_model *m, const struct wr_mutex_site *e, size_t n, int held)
{
    struct wr_lock_row *r;
    size_t nr;
    if (wr_mutex_rows(m, e, n, &r, &nr) != 0)
        return -1;
    if (nr) {
        fputs("<td class=\"l\">", f);
        wr_html_str(f, r[0].name);
        fputs("</td>", f);
        cell_ns(f, held ? r[0].blame_ns : r[0].ns);
    } else
        fputs("<td class=\"l\">-</td><td>-</td>", f);
    wr_lock_rows_free(r, nr);
    return 0;
}

/* locks: the locks that made a thread wait (every lock with --all-locks),
 * the WR_HTML_MUTEXES most waited on (all with --all-locks), with their
 * figures, top holder and top waiter. -1 on out of memory. */
static int locks(FILE *f, struct wr_model *m, size_t idx, const struct wr_opts *o)
{
    if (!m->nmutexes)
        return 0;
    size_t waited = 0;
    for (size_t i = 0; i < m->nmutexes; i++)
        waited += wr_mutex_waited(m->mutex_sorted[i]);
    char a[32], c[32], h[200];
    size_t top = o->all_locks ? m->nmutexes : waited < WR_HTML_MUTEXES ? waited : WR_HTML_MUTEXES;
    wr_locks_heading(h, sizeof h, m->nmutexes, waited, top, o->all_locks);
    if (!waited && !o->all_locks) {
        fprintf(f, "<h3 id=\"locks-%zu\">", idx);
        wr_html_str(f, h);
        fputs("</h3>\n", f);
        return 0;
    }
    fputs("<h3>", f);
    wr_html_str(f, h);
    fputs("</h3>", f);
    fprintf(f,
            "<table id=\"locks-%zu\"><tr><th>lock</th>"
            "<th>locks</th><th>contended</th><th>wait</th><th>held</th><th>max hold</th><th class=\"l\">top "
            "holder</th><th>caused</th><th class=\"l\">top waiter</th><th>waited</th></tr>\n",
            idx);
    for (size_t i = 0, shown = 0; i < m->nmutexes && shown < top; i++) {
        const struct wr_mutex *mu = m->mutex_sorted[i];
        if (!o->all_locks && !wr_mutex_waited(mu))
            continue;
        shown++;
        fprintf(f, "<tr><td>%s 0x%" PRIx64 "</td><td>%s</td><td>%s</td>", wr_lock_kind_name(mu), mu->addr,
                wr_fmt_count(a, sizeof a, mu->locks), wr_fmt_count(c, sizeof c, mu->contended));
        cell_ns(f, mu->wait_ns);
        cell_ns(f, mu->hold_ns);
        cell_ns(f, mu->hold_max_ns);
        if (cell_top(f, m, mu->held_by, mu->nheld, 1) || cell_top(f, m, mu->waited_by, mu->nwaited, 0))
            return -1;
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    return 0;
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

int wr_html_analyses(FILE *f, struct wr_model *m, size_t idx, const struct wr_opts *o)
{
    if (locks(f, m, idx, o) != 0)
        return -1;
    heap(f, m, idx);
    marks(f, m, idx);
    return 0;
}
