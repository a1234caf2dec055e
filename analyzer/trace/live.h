/* live.h: follow a trace file while its process writes it (waitreport top).
 * Streams are decoded incrementally, one position per stream; only records
 * whose kind byte is committed are taken; new chunks are picked up as they
 * are claimed, and the file is re-mapped as it grows. The same code replays
 * a finished trace up to a time horizon. Untrusted input: every offset and
 * length is checked; damage is warned about (once per kind of problem) and
 * the rest of the damaged chunk is skipped. */
#ifndef WR_LIVE_H
#define WR_LIVE_H

#include <uthash.h>

#include "trace/reader.h"

/* A synthetic event kind: stream s starts a chunk; ev.mono = its base
 * monotonic ns (every switch before it has been drained once the next
 * record that is not a SWITCH arrives). */
#define WR_LIVE_CHUNK 0x100u

struct wr_live_chunk {
    UT_hash_handle hh;
    uint64_t key; /* stream << 32 | seq */
    uint64_t index;
};

/* wr_live_delta: what a stream's next record is coded against (lw_format.h,
 * "Address deltas"): the previous stamp, address and object. Kept whole, so
 * a record read but not taken puts it back in one assignment. */
struct wr_live_delta {
    uint64_t tsc, addr, obj;
};

struct wr_live_stream {
    UT_hash_handle hh;
    uint32_t stream, tid;
    uint32_t seq;               /* seq of the chunk being read */
    int have_chunk;             /* chunk/off are valid */
    uint64_t chunk;             /* its index in the file */
    uint32_t off;               /* the next record's offset in it */
    struct wr_live_delta delta; /* at off */
    uint64_t base_mono;
    uint64_t pair_tsc, pair_ns; /* latest clock pair (chunk header or TIME) */
    int ended;                  /* its THREAD end record was read */
    int stuck;                  /* damage: waiting for the next chunk */
    int meta;                   /* a flight trace's meta stream (stacks, modules) */
    uint64_t ident[2];          /* flight: the current chunk's first 16 header bytes (its identity) */
    void *user;                 /* the consumer's state for this stream */
};

struct wr_live {
    struct wr_trace t; /* path, warnings, quiet; map/size are ours */
    int fd;
    struct lw_file_header hdr; /* copy taken at the last poll */
    uint64_t nchunks;          /* chunks claimed and present in the file */
    uint64_t scanned;          /* chunks [0, scanned) were looked at */
    uint64_t *unstarted;       /* claimed chunks whose header was still empty */
    size_t nunstarted, capunstarted;
    struct wr_live_chunk *chunks;
    struct wr_live_stream *streams;
    size_t nstreams;
    struct wr_live_stream *cur; /* the stream of the event being passed on */
    double ns_per_tick;
    uint64_t records;    /* records taken so far (all kinds) */
    uint64_t last_taken; /* records taken by the last poll */
    int closed;          /* header says the process ran its exit path */
    int gone;            /* the process no longer runs (wr_live_pid_alive) */
    int finished;        /* closed or gone, and the last poll found nothing */
    int cut;             /* the file shrank under us: nothing more is read */
    int paused;          /* the control word at the last poll (lw_control) */
    int flight;          /* a flight recorder's trace: chunks are reused (lw_format.h, struct lw_flight) */
    uint64_t torn;       /* flight: chunks reused before or while they were read (records lost) */
    uint64_t last_mono;  /* the latest stamp (CLOCK_MONOTONIC ns) taken so far */
};

/* A flight recorder's trace: every poll indexes every slot again (slots are
 * reused), a stream whose next chunk was reused goes on at its next one
 * that is still there, and the identity of the chunk being read is checked
 * after every record is read and before it is passed on, like a seqlock: a
 * chunk reused under the reader is left at once (counted in torn), so no
 * record of a torn chunk is passed on. The meta stream (stacks and modules
 * of all threads) is read like a thread's, with meta set. */

/* wr_live_d2i: d as an integer, clamped to +-2^62 (untrusted stamps and
 * rates must not overflow a conversion). */
static inline int64_t wr_live_d2i(double d)
{
    return d >= 4.6e18 ? (int64_t)4600000000000000000 : d <= -4.6e18 ? -(int64_t)4600000000000000000 : (int64_t)d;
}

/* wr_live_open: open and map path, check its header. 0, or -1 with a
 * message naming the file in err. */
int wr_live_open(struct wr_live *l, const char *path, char *err, size_t errlen);

/* wr_live_header_flags: the header's LW_HF_* flags as the file holds them
 * now (l->hdr has them as of the last poll). A thread sets LW_HF_SWITCHES
 * before it writes its first call, so a reader that has taken a call and
 * then reads the flags here sees whether that thread's switches will come. */
uint32_t wr_live_header_flags(const struct wr_live *l);

/* wr_live_poll: take every committed record not taken yet whose time is at
 * most horizon_ns (CLOCK_MONOTONIC; UINT64_MAX = all), calling fn for each
 * (and for WR_LIVE_CHUNK). Call records are decoded (ev.tsc, ev.dur...).
 * 0, fn's non-zero value when it stopped, or -1 on out of memory or when
 * the file shrank (l->cut set: it was cut short; nothing more is read). */
int wr_live_poll(struct wr_live *l, uint64_t horizon_ns, wr_event_fn fn, void *ctx);

/* wr_live_mono: a TSC stamp of stream s as CLOCK_MONOTONIC ns, from the
 * stream's latest clock pair and the fitted rate. */
uint64_t wr_live_mono(const struct wr_live *l, const struct wr_live_stream *s, uint64_t tsc);

/* wr_live_stream_of: the stream with id, or NULL. */
struct wr_live_stream *wr_live_stream_of(struct wr_live *l, uint32_t id);

/* wr_live_paused: 1 when the header's control line said recording is
 * paused (lw_control) at the last poll, 0 otherwise. Reads the copy, never
 * the mapping (which may be cut short under us). */
int wr_live_paused(const struct wr_live *l);

/* wr_live_pid_alive: 1 when the process that wrote header h still runs
 * (its pid exists and did not start after the trace: not a reused pid). */
int wr_live_pid_alive(const struct lw_file_header *h);

/* wr_live_scan_end: the latest stamp in the trace at path, read through
 * once (the end of a run that never closed its trace). 0, or -1 (cannot
 * open, out of memory, cut short); *end is 0 when nothing was read. */
int wr_live_scan_end(const char *path, uint64_t *end);

void wr_live_close(struct wr_live *l);

#endif
