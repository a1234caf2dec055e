/* reader.h: read a libwait trace (untrusted input) into per-thread streams
 * of decoded events. Every offset, length and count is checked before use. */
#ifndef WR_READER_H
#define WR_READER_H

#include <stddef.h>
#include <stdint.h>

#include "lw_codec.h"

struct wr_chunk_ref {
    uint32_t stream, seq;
    uint64_t index;
    int meta; /* a flight trace's meta chunk (LW_CH_META) */
};

struct wr_stream {
    uint32_t stream, tid;
    size_t first, count; /* range in wr_trace.chunks, sorted by seq */
};

struct wr_trace {
    const char *path;
    const uint8_t *map;
    size_t size;
    struct lw_file_header hdr; /* a copy: the file may still be growing */
    uint64_t nchunks;
    struct wr_chunk_ref *chunks;
    size_t nused; /* chunks with a valid header */
    struct wr_stream *streams;
    size_t nstreams;
    unsigned warnings; /* problems seen and reported */
    int quiet;         /* do not print warnings */
    int incomplete;    /* trace cut short (crash, kill, still running) */
    int mapped;        /* map is ours to unmap */
    int skip_calls;    /* walk: pass call records over, undecoded */
    int flight;        /* a flight recorder's trace (LW_HF_FLIGHT) */
    uint64_t torn;     /* flight: chunks being reused while read, dropped */
    uint8_t *copy;     /* flight, still written: the snapshot map points at */
};

/* One decoded record. For calls, kind is the function id (1..0x7f). */
struct wr_event {
    unsigned kind;
    uint32_t stream, tid;
    uint64_t tsc; /* call start, or the record's stamp */
    uint64_t dur; /* call duration in ticks */
    uint32_t stack;
    uint64_t size;       /* allocation size; SLEEP: ns asked for; MMAP,
                            MREMAP: bytes mapped (MREMAP: new size) */
    uint64_t ptr, old;   /* allocation result, realloc's old pointer, mutex;
                            SYNC: the object; COND: ptr = condvar, old = mutex */
    int64_t ret;         /* I/O result, -errno; fd for eventfd() */
    uint64_t err;        /* error number returned (locks, posix_memalign) */
    uint64_t fd, aux;    /* fd or nfds (FDOP: a signed fd); select timeout
                            class / eventfd flags; MREMAP: aux = old size;
                            LW_SW_* flags of a SWITCH record; LOCK: aux =
                            LW_LOCK_* flags, fd = 1 when the record has them
                            (SYNC: the same, LW_LOCK_ and LW_SYNC_ flags) */
    uint64_t mono;       /* SWITCH: CLOCK_MONOTONIC ns; LOST: count */
    const uint8_t *body; /* meta records: the body, len bytes */
    size_t len;
};

typedef int (*wr_event_fn)(void *ctx, const struct wr_event *ev);

/* wr_open_regular: open path (flags plus O_CLOEXEC) only if it is a
 * regular file. Its type is checked with stat before the open, and the
 * open itself is non-blocking, so a FIFO, a device or a socket is refused
 * without ever being opened or waited on; fstat checks the fd once more
 * (the name may have been replaced in between). Returns the fd, or -1
 * with "PATH: why" in err (errlen bytes) when stat or open fails or path
 * is not a regular file. */
int wr_open_regular(const char *path, int flags, char *err, size_t errlen);

/* A flight recorder's trace (lw_format.h, struct lw_flight) reads like any
 * other: its meta chunks (stacks and modules of every thread, never reused)
 * are walked first, as the head of the first stream, and a stream may start
 * past seq 0 (its first chunks were reused). One that its process may still
 * write (not closed) is read from a snapshot taken at open, each chunk
 * copied like a seqlock: a chunk whose identity changed while it was
 * copied is dropped (counted in torn), so no record of a torn chunk is ever
 * seen. */

/* wr_trace_open: map path and validate its header and chunk headers.
 * t->quiet is kept from the caller (zero-initialise t).
 * 0 on success; -1 with a message in err (naming the file) on bad input. */
int wr_trace_open(struct wr_trace *t, const char *path, char *err, size_t errlen);

/* wr_trace_open_mem: the same over a caller-owned buffer (tests, fuzzing). */
int wr_trace_open_mem(struct wr_trace *t, const uint8_t *buf, size_t size, const char *name, char *err, size_t errlen);

/* wr_trace_walk: decode every stream in order, calling fn for each record.
 * Damage inside a chunk is warned about and the rest of that chunk skipped.
 * Stops early and returns fn's value when fn returns non-zero; else 0. */
int wr_trace_walk(struct wr_trace *t, wr_event_fn fn, void *ctx);

/* wr_trace_walk_chunk: the same for chunk k of stream index si only (the
 * walk is this over every stream and chunk in order); a duplicate chunk is
 * warned about and skipped. 0, or fn's non-zero value. */
int wr_trace_walk_chunk(struct wr_trace *t, size_t si, size_t k, wr_event_fn fn, void *ctx);

/* A walk of one chunk by the caller's own loop (trace/walk.h), for a walk
 * that pauses inside a chunk and resumes later (model/merge.c):
 * wr_trace_chunk_begin sets *cur at chunk k of stream index si, after the
 * checks of its sequence (a duplicate is warned about: 0, skip it; else
 * 1); wr_trace_chunk_done ends it, got being the wr_cursor_next value that
 * ended it (WR_NEXT_RECORD: the cursor reached the chunk's end without an
 * end marker), rec the record it stopped at and kind that record's kind: it
 * warns as wr_trace_walk does and gives the chunk's pages back. */
struct wr_cursor;
int wr_trace_chunk_begin(struct wr_trace *t, size_t si, size_t k, struct wr_cursor *cur);
void wr_trace_chunk_done(struct wr_trace *t, size_t si, size_t k, int got, const uint8_t *rec, unsigned kind);

/* wr_decode_call: one call record's body [p, e) of a current-version
 * trace into ev, advancing the stream's stamp, address and object deltas
 * (three distinct variables). 0 when malformed (never reads past e). */
int wr_decode_call(const struct lw_func_info *fi, const uint8_t *p, const uint8_t *e, uint64_t *last_tsc,
                   uint64_t *last_addr, uint64_t *last_obj, struct wr_event *ev);

/* wr_trace_window: a flight trace's window, from *start_ns (ns since the
 * trace's start) to end_ns (the same scale, the end of the run): every call
 * that started in it is in the trace (lw_format.h, struct lw_flight; a
 * chunk dropped in t->torn aside). Returns its length in ns. */
uint64_t wr_trace_window(const struct wr_trace *t, uint64_t end_ns, uint64_t *start_ns);

/* wr_trace_close: unmap and free; t may be reused. */
void wr_trace_close(struct wr_trace *t);

/* wr_warn: report a problem with the trace once per call (unless quiet). */
void wr_warn(struct wr_trace *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
