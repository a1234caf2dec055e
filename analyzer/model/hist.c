/* hist.c: log-linear latency histograms (see hist.h). */
#include "model/hist.h"

void wr_hist_merge(struct wr_hist *dst, const struct wr_hist *src)
{
    if (!src->n)
        return;
    if (!dst->n || src->min_ns < dst->min_ns)
        dst->min_ns = src->min_ns;
    if (src->max_ns > dst->max_ns)
        dst->max_ns = src->max_ns;
    dst->n += src->n;
    for (size_t i = 0; i < WR_HIST_NBUCKETS; i++)
        dst->count[i] += src->count[i];
}

size_t wr_hist_nbuckets(void) { return WR_HIST_NBUCKETS; }

/* bounds: the value range [lo, hi) of bucket i (< WR_HIST_NBUCKETS). */
static void bounds(size_t i, uint64_t *lo, uint64_t *hi)
{
    if (i < WR_HIST_SUB) {
        *lo = i;
        *hi = i + 1;
        return;
    }
    size_t k = i - WR_HIST_SUB;
    unsigned e = (unsigned)(k / WR_HIST_SUB) + WR_HIST_SUB_BITS;
    uint64_t width = 1ull << (e - WR_HIST_SUB_BITS);
    *lo = (1ull << e) + (k % WR_HIST_SUB) * width;
    *hi = i == WR_HIST_NBUCKETS - 1 ? UINT64_MAX : *lo + width;
}

void wr_hist_bucket(const struct wr_hist *h, size_t i, uint64_t *lo_ns, uint64_t *hi_ns, uint64_t *count)
{
    if (i >= WR_HIST_NBUCKETS) {
        *lo_ns = *hi_ns = *count = 0;
        return;
    }
    bounds(i, lo_ns, hi_ns);
    *count = h->count[i];
}

uint64_t wr_hist_quantile(const struct wr_hist *h, double q)
{
    if (!h->n)
        return 0;
    if (!(q > 0)) /* also NaN */
        return h->min_ns;
    if (q >= 1)
        return h->max_ns;
    double r = q * (double)h->n;
    uint64_t rank = (uint64_t)r;
    if ((double)rank < r)
        rank++;
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < WR_HIST_NBUCKETS; i++) {
        seen += h->count[i];
        if (seen >= rank) {
            uint64_t lo, hi;
            bounds(i, &lo, &hi);
            uint64_t v = i < WR_HIST_SUB ? lo : lo + (hi - lo) / 2;
            if (i == WR_HIST_NBUCKETS - 1)
                v = h->max_ns;
            return v < h->min_ns ? h->min_ns : v > h->max_ns ? h->max_ns : v;
        }
    }
    return h->max_ns;
}
