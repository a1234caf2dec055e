/* hist.h: a fixed-size log-linear latency histogram (ns), one per site.
 *
 * Buckets: values 0..7 ns have a bucket each; from 8 ns on, every power of
 * two [2^e, 2^(e+1)) is split into WR_HIST_SUB equal sub-buckets, so a bucket
 * is at most 1/8 = 12.5% wide and a quantile reported at the bucket's middle
 * is within ~6.3% of the true value (clamped to the exact min and max).
 * Values of 2^WR_HIST_MAX_EXP ns (~78 hours) and more share the last bucket.
 * Memory is fixed (~3 KB), independent of the number of values added. */
#ifndef WR_HIST_H
#define WR_HIST_H

#include <stddef.h>
#include <stdint.h>

#define WR_HIST_SUB_BITS 3
#define WR_HIST_SUB      (1u << WR_HIST_SUB_BITS)
#define WR_HIST_MAX_EXP  48
#define WR_HIST_NBUCKETS (WR_HIST_SUB + (WR_HIST_MAX_EXP - WR_HIST_SUB_BITS) * WR_HIST_SUB)

struct wr_hist {
    uint64_t n;                       /* values added */
    uint64_t min_ns, max_ns;          /* exact extremes (0 when n == 0) */
    uint64_t count[WR_HIST_NBUCKETS]; /* per bucket */
};

/* wr_hist_merge: add every value counted in src to dst. */
void wr_hist_merge(struct wr_hist *dst, const struct wr_hist *src);

/* wr_hist_quantile: the q-quantile (0 <= q <= 1; clamped) in ns: the middle of
 * the bucket holding the value of rank ceil(q * n), clamped to [min, max];
 * q = 1 gives the exact max. 0 for an empty histogram. */
uint64_t wr_hist_quantile(const struct wr_hist *h, double q);

/* wr_hist_nbuckets: the number of buckets (the same for every histogram). */
size_t wr_hist_nbuckets(void);

/* wr_hist_bucket: bucket i covers [*lo_ns, *hi_ns) (the last one's hi is
 * UINT64_MAX, inclusive) and holds *count values. i >= nbuckets gives zeros. */
void wr_hist_bucket(const struct wr_hist *h, size_t i, uint64_t *lo_ns, uint64_t *hi_ns, uint64_t *count);

/* wr_hist_index: the bucket of value ns. */
static inline size_t wr_hist_index(uint64_t ns)
{
    if (ns < WR_HIST_SUB)
        return (size_t)ns;
    unsigned e = 63u - (unsigned)__builtin_clzll(ns); /* >= WR_HIST_SUB_BITS */
    if (e >= WR_HIST_MAX_EXP)
        return WR_HIST_NBUCKETS - 1;
    return WR_HIST_SUB + (size_t)(e - WR_HIST_SUB_BITS) * WR_HIST_SUB +
           (size_t)((ns >> (e - WR_HIST_SUB_BITS)) & (WR_HIST_SUB - 1));
}

/* wr_hist_add: count one value of ns nanoseconds. Never fails. Inline: the
 * analyzer adds one value per call record. */
static inline void wr_hist_add(struct wr_hist *h, uint64_t ns)
{
    if (!h->n || ns < h->min_ns)
        h->min_ns = ns;
    if (ns > h->max_ns)
        h->max_ns = ns;
    h->n++;
    h->count[wr_hist_index(ns)]++;
}

/* wr_hist_add_bucket: count one value in its bucket (wr_hist_index of it)
 * and nothing else: for a caller that keeps the values' number and extremes
 * itself in another unit and sets n, min_ns and max_ns from them once (the
 * model's sites keep their calls' durations in ticks). */
static inline void wr_hist_add_bucket(struct wr_hist *h, size_t bucket) { h->count[bucket]++; }

#endif
