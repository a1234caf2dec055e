/* top_hist.h: a small log-linear histogram of durations for top's p99
 * (8 buckets per power of two, so a quantile is within 1/16 = 6.25% of the
 * true value). Header-only; replace with analyzer/hist.h once that lands. */
#ifndef WR_TOP_HIST_H
#define WR_TOP_HIST_H

#include <stdint.h>
#include <string.h>

#define WR_THIST_SUB 8
#define WR_THIST_N   (16 + 60 * WR_THIST_SUB)

struct wr_thist {
    uint64_t n;
    uint32_t b[WR_THIST_N];
};

/* wr_thist_bucket: the bucket of v: exact below 16, else 8 per octave. */
static inline unsigned wr_thist_bucket(uint64_t v)
{
    if (v < 16)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v); /* 4..63 */
    return 16 + (e - 4) * WR_THIST_SUB + (unsigned)((v >> (e - 3)) & (WR_THIST_SUB - 1));
}

/* wr_thist_mid: a representative value (the middle) of bucket i. */
static inline uint64_t wr_thist_mid(unsigned i)
{
    if (i < 16)
        return i;
    unsigned e = (i - 16) / WR_THIST_SUB + 4, sub = (i - 16) % WR_THIST_SUB;
    uint64_t lo = (1ull << e) + ((uint64_t)sub << (e - 3));
    return lo + (1ull << (e - 4));
}

static inline void wr_thist_add(struct wr_thist *h, uint64_t v)
{
    unsigned i = wr_thist_bucket(v);
    if (h->b[i] != UINT32_MAX) {
        h->b[i]++;
        h->n++;
    }
}

static inline void wr_thist_merge(struct wr_thist *dst, const struct wr_thist *src)
{
    for (unsigned i = 0; i < WR_THIST_N; i++) {
        uint64_t v = (uint64_t)dst->b[i] + src->b[i];
        dst->b[i] = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    }
    dst->n += src->n;
}

/* wr_thist_quantile: the q-quantile (0 < q <= 1) as a bucket middle; 0
 * for an empty histogram. */
static inline uint64_t wr_thist_quantile(const struct wr_thist *h, double q)
{
    if (!h->n)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)h->n + 0.999999), seen = 0;
    if (rank < 1)
        rank = 1;
    for (unsigned i = 0; i < WR_THIST_N; i++) {
        seen += h->b[i];
        if (seen >= rank)
            return wr_thist_mid(i);
    }
    return wr_thist_mid(WR_THIST_N - 1);
}

#endif
