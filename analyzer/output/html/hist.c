/* hist.c: a site's latency histogram as a small inline SVG. */
#include <inttypes.h>

#include "output/fmt.h"
#include "output/html/html.h"
#include "output/report.h"

#define HW 140.0
#define HH 26.0

void wr_html_hist(FILE *f, const struct wr_hist *h)
{
    size_t nb = wr_hist_nbuckets(), first = nb, last = 0;
    uint64_t lo, hi, c, top = 0;
    for (size_t i = 0; i < nb; i++) {
        wr_hist_bucket(h, i, &lo, &hi, &c);
        if (!c)
            continue;
        first = i < first ? i : first;
        last = i;
        top = c > top ? c : top;
    }
    if (first == nb) {
        fputs("<svg class=\"hist\" width=\"140\" height=\"26\"></svg>", f);
        return;
    }
    double bw = HW / (double)(last - first + 1);
    fprintf(f, "<svg class=\"hist\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\">", HW, HH + 12);
    for (size_t i = first; i <= last; i++) {
        wr_hist_bucket(h, i, &lo, &hi, &c);
        if (!c)
            continue;
        double bh = 2 + (HH - 2) * (double)c / (double)top;
        char a[32], b[32], what[80];
        if (!lo) /* [0, 1): the calls recorded with one stamp (fmt.h) */
            snprintf(what, sizeof what, "untimed (one stamp, did not wait)");
        else
            snprintf(what, sizeof what, "%s to %s", wr_fmt_ns(a, sizeof a, lo),
                     hi == UINT64_MAX ? "more" : wr_fmt_ns(b, sizeof b, hi));
        fprintf(
            f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"><title>%s: %" PRIu64 " calls</title></rect>",
            (double)(i - first) * bw, HH - bh, bw > 1.5 ? bw - 0.5 : bw, bh, what, c);
    }
    char a[32], b[32];
    wr_hist_bucket(h, first, &lo, &hi, &c);
    wr_fmt_quantile(a, sizeof a, h->min_ns);
    wr_fmt_quantile(b, sizeof b, h->max_ns);
    fprintf(f, "<text x=\"0\" y=\"%.0f\">%s</text><text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%s</text></svg>",
            HH + 11, a, HW, HH + 11, b);
}
