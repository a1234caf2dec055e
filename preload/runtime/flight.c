/* flight.c: the flight recorder (WAIT_MAX_SIZE): the trace file is a ring of
 * chunk slots, and the oldest chunks are reused so that the newest records
 * survive. lw_format.h (struct lw_flight) has the file's side of it.
 *
 * Everything here runs on the slow path of a chunk change (a claim, a
 * chunk left) or of a meta record; the hot path of a call record is the
 * same with and without a cap. Slot states live in libwait's own memory:
 * a claim takes a free slot with one compare-and-swap, so a thread never
 * waits for another to claim a chunk. Meta records (STACK, MODULE) of all
 * threads go to one meta stream under a spinlock: they are already written
 * under the stack table's or the module list's lock, once per distinct
 * stack or module. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>

#include "runtime/runtime.h"
#include "runtime/spin.h"

/* slot states */
#define LW_SLOT_FREE 0u /* never used, or left by its thread: may be reused */
#define LW_SLOT_BUSY 1u /* a thread writes it or holds it claimed ahead */
#define LW_SLOT_META 2u /* a meta chunk: never reused */

/* Slots past the ring, for when every ring slot is in use at once (more
 * threads than the cap has chunks for); beyond these recording stops. */
#define LW_SLOT_EXTRA 4096u

static uint32_t *lw_slots; /* ring + LW_SLOT_EXTRA states, private memory */
/* lw_slot_left[i]: when ring slot i's chunk was left, as a count of chunks
 * left (0 = never used). The ring is reused in this order, not in slot
 * order: a chunk claimed early but filled late (a thread's chunk claimed
 * ahead, or a slow thread's) holds newer records than chunks claimed after
 * it and left before it. */
static uint64_t *lw_slot_left;
static uint64_t lw_left_count;
static uint64_t lw_nslots;   /* ring slots */
static uint32_t lw_nextra;   /* extra slots handed out so far */
static uint32_t lw_nmeta;    /* meta slots taken */
static lw_spin lw_meta_spin; /* guards lw_meta; taken with the guard held,
                                inside lw_stack_spin or lw_mod_spin only */
struct lw_thread lw_meta;    /* the meta stream's writer state */

/* lw_flight_chunk_for: the chunk size for a cap of max bytes: the largest
 * power of two up to 1 MiB that gives the ring 16 slots, at least
 * LW_CHUNK_MIN. Fewer, larger chunks cost less: every chunk change maps,
 * unmaps and reserves (micro malloc under a 64 MiB cap: about 80 ns an
 * operation with 512 KiB or 1 MiB chunks, 140 to 250 ns with 128 KiB);
 * 16 slots keep the window's loss to chunks claimed ahead small. */
uint32_t lw_flight_chunk_for(uint64_t max)
{
    uint32_t c = 1u << 20;
    while (c > LW_CHUNK_MIN && (max - LW_HEADER_SIZE) / c < 16)
        c >>= 1;
    return c;
}

/* lw_flight_open: set up the ring for the header h of a new file (also in
 * a fork child, whose file is new: the parent's states are dropped). 0, or
 * -1 when the states cannot be mapped (then recording is not capped). */
int lw_flight_open(struct lw_file_header *h)
{
    if (!lw_g.max_size)
        return 0;
    uint64_t n = (lw_g.max_size - LW_HEADER_SIZE) / lw_g.chunk_size;
    /* states, then the ring's left counts, in one private mapping */
    size_t states = ((size_t)(n + LW_SLOT_EXTRA) * sizeof *lw_slots + 7) & ~(size_t)7;
    size_t bytes = states + (size_t)n * sizeof *lw_slot_left;
    if (lw_slots) {
        size_t old = ((size_t)(lw_nslots + LW_SLOT_EXTRA) * sizeof *lw_slots + 7) & ~(size_t)7;
        real_munmap(lw_slots, old + (size_t)lw_nslots * sizeof *lw_slot_left);
    }
    void *m = real_mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    lw_slots = m == MAP_FAILED ? NULL : m;
    lw_slot_left = lw_slots ? (uint64_t *)((uint8_t *)m + states) : NULL;
    lw_nslots = lw_slots ? n : 0;
    lw_nextra = lw_nmeta = 0;
    lw_left_count = 0;
    lw_spin_init(&lw_meta_spin);
    memset(&lw_meta, 0, sizeof lw_meta);
    if (!lw_slots)
        return -1;
    h->flight.max_size = lw_g.max_size;
    h->flight.ring_chunks = n;
    h->flags |= LW_HF_FLIGHT;
    return 0;
}

/* lw_flight_on: whether claims go through the ring. */
int lw_flight_on(void) { return lw_nslots != 0; }

/* lw_flight_take: a slot for a chunk of t (the meta stream's, or a
 * thread's): its index, *reused = 1 when it held an older chunk. -1 when
 * none is free (said once, recording stops). */
int64_t lw_flight_take(struct lw_thread *t, int *reused)
{
    uint32_t want = t == &lw_meta ? LW_SLOT_META : LW_SLOT_BUSY;
    if (want == LW_SLOT_META && __atomic_add_fetch(&lw_nmeta, 1, __ATOMIC_RELAXED) > lw_nslots / 2) {
        lw_writer_stop("WAIT_MAX_SIZE leaves too little room (half the cap) for the stacks and modules of", ENOSPC);
        return -1;
    }
    /* The free ring slot left longest ago holds the oldest records (a never
     * used one first). A scan reads the left counts without a lock, so a
     * claim checks after its compare-and-swap that the slot was not taken,
     * refilled and left again in between; then it holds the chunk it chose.
     * A scan is one pass over the ring's counts, once per chunk change. */
    for (int tries = 0; tries < 64; tries++) {
        uint64_t best = UINT64_MAX, seen = 0;
        for (uint64_t s = 0; s < lw_nslots; s++) {
            if (__atomic_load_n(&lw_slots[s], __ATOMIC_RELAXED) != LW_SLOT_FREE)
                continue;
            uint64_t left = __atomic_load_n(&lw_slot_left[s], __ATOMIC_RELAXED);
            if (best == UINT64_MAX || left < seen) {
                best = s;
                seen = left;
            }
        }
        if (best == UINT64_MAX)
            break;
        uint32_t expect = LW_SLOT_FREE;
        if (!__atomic_compare_exchange_n(&lw_slots[best], &expect, want, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            continue;
        if (__atomic_load_n(&lw_slot_left[best], __ATOMIC_RELAXED) != seen) {
            __atomic_store_n(&lw_slots[best], LW_SLOT_FREE, __ATOMIC_RELEASE);
            continue;
        }
        __atomic_fetch_add(&lw_g.hdr->next_chunk, 1, __ATOMIC_RELAXED); /* claims, for the header */
        *reused = seen != 0;
        return (int64_t)best;
    }
    /* every ring slot in use: a slot past the ring, a freed one first */
    uint32_t have = __atomic_load_n(&lw_nextra, __ATOMIC_ACQUIRE);
    for (uint32_t k = 0; k < have; k++) {
        uint32_t expect = LW_SLOT_FREE;
        if (__atomic_compare_exchange_n(&lw_slots[lw_nslots + k], &expect, want, 0, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED)) {
            *reused = 1;
            return (int64_t)(lw_nslots + k);
        }
    }
    uint32_t k = __atomic_fetch_add(&lw_nextra, 1, __ATOMIC_ACQ_REL);
    if (k >= LW_SLOT_EXTRA) {
        lw_writer_stop("more threads write at once than WAIT_MAX_SIZE has chunks for in", ENOSPC);
        return -1;
    }
    __atomic_store_n(&lw_slots[lw_nslots + k], want, __ATOMIC_RELAXED);
    *reused = 0;
    return (int64_t)(lw_nslots + k);
}

/* lw_flight_reuse: make chunk c (slot i, mapped) empty before it is reused:
 * invalidate its header first (a reader that raced it sees its identity
 * change), count what is lost with it, then zero it. The pages are given
 * back (a hole reads as zeros in every mapping) and reserved again, so a
 * full disk stays an error, never a SIGBUS. 0, or -1 (recording stops). */
int lw_flight_reuse(uint8_t *c, uint64_t i)
{
    struct lw_chunk_header *ch = (struct lw_chunk_header *)c;
    uint32_t magic = __atomic_load_n(&ch->magic, __ATOMIC_RELAXED);
    uint32_t calls = ch->calls;
    uint64_t end = ch->end_mono_ns;
    __atomic_store_n(&ch->magic, 0, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the magic is 0 before any byte changes */
    struct lw_flight *f = &lw_g.hdr->flight;
    if (magic == LW_CHUNK_MAGIC) {
        __atomic_fetch_add(&f->dropped_calls, calls, __ATOMIC_RELAXED);
        __atomic_fetch_add(&f->dropped_chunks, 1, __ATOMIC_RELAXED);
        uint64_t old = __atomic_load_n(&f->lost_until_ns, __ATOMIC_RELAXED);
        while (old < end &&
               !__atomic_compare_exchange_n(&f->lost_until_ns, &old, end, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            ;
    }
    off_t off = (off_t)LW_HEADER_SIZE + (off_t)i * lw_g.chunk_size;
    if (fallocate(lw_g.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, lw_g.chunk_size) != 0)
        memset(c + sizeof *ch, 0, lw_g.chunk_size - sizeof *ch); /* no holes here: the header stays 0 */
    int r = posix_fallocate(lw_g.fd, off, lw_g.chunk_size);
    if (r != 0) {
        lw_writer_stop("cannot extend", r);
        return -1;
    }
    memset(c, 0, sizeof *ch);
    return 0;
}

/* lw_flight_leave: t is done with chunk c (slot i): say when, and let the
 * slot be reused. Meta chunks are never left. */
void lw_flight_leave(struct lw_thread *t, uint8_t *c, uint64_t i)
{
    if (!lw_nslots || t == &lw_meta)
        return;
    struct lw_chunk_header *ch = (struct lw_chunk_header *)c;
    if (__atomic_load_n(&ch->magic, __ATOMIC_RELAXED) == LW_CHUNK_MAGIC)
        ch->end_mono_ns = lw_mono_ns();
    if (i < lw_nslots)
        __atomic_store_n(&lw_slot_left[i], __atomic_add_fetch(&lw_left_count, 1, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
    __atomic_store_n(&lw_slots[i], LW_SLOT_FREE, __ATOMIC_RELEASE);
}

/* lw_flight_meta: write a STACK or MODULE record into the meta stream
 * (its first chunk claimed on the first one). The calling thread's byte
 * count takes it. 0, or -1 when it cannot be written. */
int lw_flight_meta(struct lw_thread *t, unsigned kind, const uint8_t *body, size_t len)
{
    int r = -1;
    lw_spin_lock(&lw_meta_spin);
    if (!lw_meta.chunk && !lw_meta.seq) {
        lw_meta.guard = 1;
        lw_meta.guard_sp = UINTPTR_MAX;
        lw_meta.stream = (uint32_t)__atomic_fetch_add(&lw_g.hdr->next_stream, 1, __ATOMIC_RELAXED);
        if (lw_writer_first_chunk(&lw_meta) != 0)
            lw_meta.seq = 1; /* recording stopped: never again */
    }
    if (lw_meta.chunk) {
        uint8_t *before = lw_meta.cur;
        r = lw_writer_meta(&lw_meta, kind, body, len);
        if (r == 0 && lw_meta.cur > before)
            t->st.bytes += (uint64_t)(lw_meta.cur - before);
        lw_meta.st.bytes = 0;
        lw_thread_flush_stats(&lw_meta); /* chunks, self time */
    }
    lw_spin_unlock(&lw_meta_spin);
    return r;
}

/* lw_flight_after_fork: a fork child drops the meta stream's mapping of
 * the parent's file (abandon: replaced by private memory, for code of the
 * parent's that may still write it once a signal handler returns). */
void lw_flight_after_fork(int abandon)
{
    uint8_t *m[2] = {lw_meta.chunk, lw_meta.next};
    for (int k = 0; k < 2; k++)
        if (m[k] && abandon)
            real_mmap(m[k], lw_g.chunk_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        else if (m[k])
            real_munmap(m[k], lw_g.chunk_size);
    if (!abandon)
        memset(&lw_meta, 0, sizeof lw_meta);
    lw_spin_init(&lw_meta_spin);
}
