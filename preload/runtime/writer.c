/* writer.c: the trace file, its chunks, and the records around calls.
 * Each thread owns its chunks; a chunk is claimed with one atomic add on the
 * header and mapped MAP_SHARED, so every committed record is in the page
 * cache at once and survives a crash or SIGKILL.
 *
 * A page of a chunk is touched only once its disk blocks are reserved, so
 * a full disk is an error, never a SIGBUS. The file covers every claimed
 * chunk whole from its claim (lw_extend), but a chunk's blocks are reserved
 * just ahead of the writer, by writing zeros, a step at a time as it is
 * pre-faulted (lw_reserve): a thread's first chunk a page at its claim,
 * then doubling up to LW_POP_WINDOW. A thread that ends has then reserved
 * at most a window past its last record and gives nothing back: a short
 * thread costs a page of disk, an ftruncate and a 4 KiB write at its
 * claim, and no hole punch (which takes the file system's locks). With a cap (flight.c) a
 * chunk is a ring slot that is reused whole, so it is reserved whole at
 * its first claim. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/runtime.h"
#include "runtime/spin.h"

#ifndef MADV_POPULATE_WRITE
#define LW_MADV_POPULATE_WRITE 23
#else
#define LW_MADV_POPULATE_WRITE MADV_POPULATE_WRITE
#endif

/* a chunk is pre-faulted writable this much at a time, ahead of the
 * writer (so a short thread dirties 64 KiB, not a whole chunk) */
#define LW_POP_WINDOW (64u << 10)

/* The file's size, which only grows: every claim extends it to the end of
 * its chunk (ftruncate) before reserving any of it, so a mapped chunk never
 * lies past the end of the file and the reader sees whole chunks. Two
 * extensions out of order would shrink the file under a higher chunk, so
 * they are made under lw_size_spin (spin.h), taken on a claim's slow path
 * with the guard held, holding no other lock of libwait's taken after it,
 * and reset with the file in a fork child (lw_writer_open). */
static off_t lw_file_size;
static lw_spin lw_size_spin;

/* lw_populate: fault [p, p + len) in writable now, in one call, rather than
 * one write fault per page on the hot path (MAP_POPULATE would map shared
 * file pages read-only); kernels before 5.14 refuse it and take the faults
 * as before. */
static void lw_populate(uint8_t *p, size_t len) { madvise(p, len, LW_MADV_POPULATE_WRITE); }

/* lw_window: the pre-fault step for this chunk size. */
static size_t lw_window(void) { return lw_g.chunk_size < LW_POP_WINDOW ? lw_g.chunk_size : LW_POP_WINDOW; }

/* lw_first_step: what a thread's first chunk reserves and pre-faults at
 * its claim: a whole page (pre-faulting it then allocates no block outside
 * the reservation), the chunk when that is smaller. */
static size_t lw_first_step(void)
{
    size_t pg = (size_t)getpagesize();
    return pg < lw_g.chunk_size ? pg : lw_g.chunk_size;
}

/* lw_extend: make the file at least end bytes long (see lw_file_size). 0,
 * or an errno. */
static int lw_extend(off_t end)
{
    int r = 0;
    lw_spin_lock(&lw_size_spin);
    if (lw_file_size < end) {
        r = ftruncate(lw_g.fd, end) == 0 ? 0 : errno;
        if (!r)
            lw_file_size = end;
    }
    lw_spin_unlock(&lw_size_spin);
    return r;
}

/* Zeros to write, never written themselves (the zero page stays mapped). */
static uint8_t lw_zeros[LW_POP_WINDOW];

/* lw_reserve: reserve the blocks of [from, to) of chunk i, which the file
 * already covers and which nothing has written yet, by writing zeros (the
 * raw syscall: the program's pwrite is wrapped). The pages are then in the
 * page cache with their blocks reserved, and pre-faulting them converts no
 * unwritten extent of the file system (ext4: reserving with fallocate, then
 * pre-faulting 4 KiB cost 60-120 us against 7-50 us this way). 0, or an
 * errno (ENOSPC: the disk is full). */
static int lw_reserve(uint64_t i, size_t from, size_t to)
{
    off_t off = (off_t)LW_HEADER_SIZE + (off_t)i * lw_g.chunk_size + (off_t)from;
    size_t n = to - from;
    while (n) {
        size_t k = n < sizeof lw_zeros ? n : sizeof lw_zeros;
        long w = syscall(SYS_pwrite64, lw_g.fd, lw_zeros, k, off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? errno : ENOSPC;
        off += w;
        n -= (size_t)w;
    }
    return 0;
}

/* lw_set_limit: where t's hot path next takes the slow path: the end of
 * the chunk, of its pre-faulted part, or (with no chunk claimed ahead yet)
 * its middle, whichever comes first. Short of the chunk's end, one byte
 * before the pre-faulted end: t->cur then always lies in a reserved page,
 * where a chunk's end mark may be written. */
static void lw_set_limit(struct lw_thread *t)
{
    uint8_t *l = t->end, *half = t->chunk + lw_g.chunk_size / 2;
    if (t->pop_end <= l)
        l = t->pop_end - 1;
    if (!t->next && !lw_g.stopped && t->cur < half && half < l)
        l = half;
    t->limit = l;
}

/* lw_expand_path: the first n bytes of pattern with %p replaced by pid
 * into out (*has_pid: it had one). 0, or -1 when it does not fit or has an
 * unknown % sequence. */
static int lw_expand_path(const char *pat, size_t n, char *out, size_t cap, int *has_pid)
{
    size_t o = 0;
    *has_pid = 0;
    for (const char *s = pat, *e = pat + n; s < e; s++) {
        char tmp[24];
        const char *add = tmp;
        if (*s == '%' && s + 1 < e && s[1] == 'p') {
            snprintf(tmp, sizeof tmp, "%d", (int)getpid());
            *has_pid = 1;
            s++;
        } else if (*s == '%' && s + 1 < e && s[1] == '%') {
            tmp[0] = '%', tmp[1] = 0;
            s++;
        } else if (*s == '%') {
            return -1;
        } else {
            tmp[0] = *s, tmp[1] = 0;
        }
        size_t k = strlen(add);
        if (o + k + 1 > cap)
            return -1;
        memcpy(out + o, add, k);
        o += k;
    }
    out[o] = 0;
    return o ? 0 : -1;
}

/* lw_read_small: read up to cap-1 bytes of a /proc file; returns the length. */
static size_t lw_read_small(const char *path, char *buf, size_t cap)
{
    int fd = real_open(path, O_RDONLY | O_CLOEXEC);
    size_t n = 0;
    if (fd >= 0) {
        ssize_t r;
        while (n + 1 < cap && (r = real_read(fd, buf + n, cap - 1 - n)) > 0)
            n += (size_t)r;
        real_close(fd);
    }
    buf[n] = 0;
    return n;
}

/* LW_CALIBRATE_NS: the start-up spin that gives the header's first
 * tsc_hz_hint. Every process pays it at its start, so it is short: the two
 * clock reads at each end are good to some 30 ns, so the rate is good to
 * about 0.1%. The analyzer prefers clock pairs at least 1 ms apart, and
 * lw_writer_close rates the whole life, so only a process that lived under
 * a millisecond, or a live reader meanwhile, goes by the spin's rate. */
#define LW_CALIBRATE_NS 50000

/* lw_rate: TSC ticks per second between two (tsc, CLOCK_MONOTONIC ns)
 * pairs. */
static uint64_t lw_rate(uint64_t c0, uint64_t m0, uint64_t c1, uint64_t m1)
{
    return (uint64_t)((double)(c1 - c0) * 1e9 / (double)(m1 - m0));
}

/* lw_calibrate: TSC ticks per second over a LW_CALIBRATE_NS spin against
 * CLOCK_MONOTONIC. */
static uint64_t lw_calibrate(void)
{
    uint64_t m0 = lw_mono_ns(), c0 = lw_rdtsc(), m1, c1;
    do {
        m1 = lw_mono_ns();
        c1 = lw_rdtsc();
    } while (m1 - m0 < LW_CALIBRATE_NS);
    return lw_rate(c0, m0, c1, m1);
}

/* lw_fits_fsize: whether the file may grow to end bytes under RLIMIT_FSIZE.
 * Growing past it would raise SIGXFSZ, which kills the program by default,
 * so that limit is checked first and treated like a full disk. */
static int lw_fits_fsize(off_t end)
{
    struct rlimit rl;
    return getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || (rlim_t)end <= rl.rlim_cur;
}

/* lw_writer_open: create the trace file for this process (0600, O_EXCL,
 * O_NOFOLLOW) and map its header. -1 after saying why on stderr. */
int lw_writer_open(void)
{
    const char *pat = getenv("WAIT_OUTPUT");
    lw_g.default_path = !pat || !*pat;
    if (lw_g.default_path)
        pat = "wait.%p.bin";
    /* the name is the expanded pattern up to its extension, then the
     * generation (none, or ".1" up to ".99": see lw_format.h), then the
     * extension, which has no % sequence */
    size_t ext = lw_name_ext(pat), extlen = strlen(pat + ext);
    int has_pid;
    if (extlen > sizeof lw_g.path / 2 ||
        lw_expand_path(pat, ext, lw_g.path, sizeof lw_g.path - 3 - extlen, &has_pid) != 0) {
        lw_warn("WAIT_OUTPUT is not a usable path (longer than %d bytes, or a %% not followed by p or %%); "
                "not recording: %.200s",
                LW_PATH_MAX - 4, pat);
        return -1;
    }
    int fd = -1, gen;
    size_t base = strlen(lw_g.path);
    for (gen = 0; gen < LW_NAME_GENS; gen++) { /* a name taken: exec kept the pid */
        if (gen)
            snprintf(lw_g.path + base, sizeof lw_g.path - base, ".%d%s", gen, pat + ext);
        else
            snprintf(lw_g.path + base, sizeof lw_g.path - base, "%s", pat + ext);
        fd = real_open(lw_g.path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0 || errno != EEXIST)
            break;
    }
    if (fd < 0) {
        int err = errno;
        snprintf(lw_g.path + base, sizeof lw_g.path - base, "%s", pat + ext);
        lw_warn("cannot create %s: %s; not recording", lw_g.path, strerror(err));
        return -1;
    }
    fd = lw_fd_high(fd, 1); /* the program's own fds number as without libwait */
    if (fd < 0) {
        unlink(lw_g.path);
        lw_warn("cannot keep %s out of the program's file descriptors: the open-file limit (ulimit -n) is %ld, "
                "libwait needs at least 16 and a free number near it; not recording",
                lw_g.path, lw_fd_limit());
        return -1;
    }
    if (!lw_fits_fsize(LW_HEADER_SIZE)) {
        lw_warn("cannot size %s: the file size limit (ulimit -f) is below %d bytes; not recording", lw_g.path,
                LW_HEADER_SIZE);
        unlink(lw_g.path);
        real_close(fd);
        return -1;
    }
    int r = posix_fallocate(fd, 0, LW_HEADER_SIZE); /* a full disk fails here, not as SIGBUS */
    if (r != 0) {
        lw_warn("cannot size %s: %s; not recording", lw_g.path, strerror(r));
        unlink(lw_g.path);
        real_close(fd);
        return -1;
    }
    void *m = real_mmap(NULL, LW_HEADER_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        lw_warn("cannot map %s: %s; not recording", lw_g.path, strerror(errno));
        real_close(fd);
        return -1;
    }
    struct lw_file_header *h = m;
    h->version = LW_VERSION;
    h->header_size = LW_HEADER_SIZE;
    h->chunk_size = lw_g.chunk_size;
    h->pid = (uint32_t)getpid();
    h->ppid = (uint32_t)getppid();
    h->depth = lw_g.depth;
    if (lw_flight_open(h) != 0)
        lw_warn("cannot map the state of WAIT_MAX_SIZE: %s; recording without a cap", strerror(errno));
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    h->start_real_ns = (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec;
    h->start_mono_ns = lw_mono_ns();
    h->start_tsc = lw_rdtsc();
    h->tsc_hz_hint = lw_calibrate();
    size_t n = lw_read_small("/proc/self/cmdline", h->command, sizeof h->command);
    for (size_t i = 0; i + 1 < n; i++)
        if (!h->command[i])
            h->command[i] = ' ';
    ssize_t e = readlink("/proc/self/exe", h->exe, sizeof h->exe - 1);
    h->exe[e > 0 ? e : 0] = 0;
    __atomic_store_n(&h->magic[0], 0, __ATOMIC_RELAXED);
    memcpy(h->magic + 1, LW_MAGIC + 1, sizeof LW_MAGIC - 1);
    __atomic_store_n(&h->magic[0], LW_MAGIC[0], __ATOMIC_RELEASE);
    struct stat st;
    if (fstat(fd, &st) == 0)
        lw_g.fd_dev = st.st_dev, lw_g.fd_ino = st.st_ino;
    lw_file_size = LW_HEADER_SIZE;
    lw_spin_init(&lw_size_spin); /* a fork child's: another thread may have held it at the fork */
    lw_g.fd = fd;
    lw_g.hdr = h;
    lw_control_attach(h);
    /* a %p name is taken only by this pid's image before an exec: that is
     * expected, and the program's stderr stays as it is */
    lw_g.renamed = gen && !has_pid;
    lw_g.gen = gen;
    return 0;
}

/* lw_writer_parent_traced: whether libwait is loaded in the parent
 * process (the one that started this process, not init after it ended):
 * then the parent, or the first traced process above it, announces the
 * run's traces, so this one stays quiet and a program that forks fifty
 * traced children prints one line, not fifty. Read from the parent's
 * /proc maps, since a child that changed directory (a shell script's cd)
 * names its trace elsewhere than the parent did. */
int lw_writer_parent_traced(void)
{
    Dl_info self;
    char path[64], buf[8192];
    int ppid = lw_g.hdr ? (int)lw_g.hdr->ppid : 0;
    if (ppid <= 1 || !dladdr((void *)lw_writer_parent_traced, &self) || !self.dli_fname || !self.dli_fname[0])
        return 0;
    const char *lib = self.dli_fname;
    size_t n = strlen(lib), keep = 0;
    if (n >= sizeof buf / 2)
        return 0;
    snprintf(path, sizeof path, "/proc/%d/maps", ppid);
    int fd = real_open(path, O_RDONLY | O_CLOEXEC), found = 0;
    if (fd < 0)
        return 0;
    for (;;) { /* a window that keeps the last n - 1 bytes: a name split between two reads is found */
        ssize_t r = real_read(fd, buf + keep, sizeof buf - keep);
        if (r <= 0)
            break;
        size_t have = keep + (size_t)r;
        if (memmem(buf, have, lib, n)) {
            found = 1;
            break;
        }
        keep = have < n - 1 ? have : n - 1;
        memmove(buf, buf + have - keep, keep);
    }
    real_close(fd);
    return found;
}

/* lw_writer_stop: stop recording for good after an error; say so once. */
void lw_writer_stop(const char *why, int err)
{
    if (__atomic_exchange_n(&lw_g.stopped, 1, __ATOMIC_ACQ_REL))
        return;
    if (lw_g.hdr)
        __atomic_fetch_or(&lw_g.hdr->flags, LW_HF_STOPPED, __ATOMIC_RELAXED);
    lw_warn("%s %s: %s; recording stopped, the program runs on (trace kept so far)", why, lw_g.path, strerror(err));
}

/* lw_fd_still_ours: whether lw_g.fd is still the trace file. The program
 * may have replaced it (dup2 onto it) and then libwait must never extend,
 * punch or map that file of the program's: recording stops, said once.
 * One fstat per chunk or thread end, never per record. */
int lw_fd_still_ours(void)
{
    struct stat st;
    if (fstat(lw_g.fd, &st) == 0 && st.st_dev == lw_g.fd_dev && st.st_ino == lw_g.fd_ino)
        return 1;
    lw_writer_stop("the program closed or replaced the file descriptor of", EBADF);
    return 0;
}

/* lw_claim: claim and map a fresh chunk for t, its first step bytes
 * reserved and pre-faulted. NULL on failure (recording stops). With a cap
 * (flight.c) the chunk may be a reused slot of the ring, emptied here
 * before t gets it, and is reserved whole. */
static uint8_t *lw_claim(struct lw_thread *t, uint64_t *index, size_t step)
{
    if (lw_g.stopped)
        return NULL;
    if (!lw_fd_still_ours())
        return NULL;
    int reused = 0;
    uint64_t i;
    if (lw_flight_on()) {
        int64_t s = lw_flight_take(t, &reused);
        if (s < 0)
            return NULL;
        i = (uint64_t)s;
    } else {
        i = __atomic_fetch_add(&lw_g.hdr->next_chunk, 1, __ATOMIC_RELAXED);
    }
    off_t off = (off_t)LW_HEADER_SIZE + (off_t)i * lw_g.chunk_size;
    if (!reused && !lw_fits_fsize(off + (off_t)lw_g.chunk_size)) {
        lw_writer_stop("file size limit (ulimit -f) reached for", EFBIG);
        return NULL;
    }
    /* blocks reserved now: a full disk is this error, never a SIGBUS later
     * (posix_fallocate falls back to writing zeros where fallocate is not
     * supported) */
    int r = reused ? 0 : lw_extend(off + (off_t)lw_g.chunk_size);
    if (r == 0 && !reused)
        r = lw_flight_on() ? posix_fallocate(lw_g.fd, off, lw_g.chunk_size) : lw_reserve(i, 0, step);
    if (r != 0) {
        lw_writer_stop("cannot extend", r);
        return NULL;
    }
    void *m = real_mmap(NULL, lw_g.chunk_size, PROT_READ | PROT_WRITE, MAP_SHARED, lw_g.fd, off);
    if (m == MAP_FAILED) {
        lw_writer_stop("cannot map a chunk of", errno);
        return NULL;
    }
    if (reused && lw_flight_reuse(m, i) != 0) {
        real_munmap(m, lw_g.chunk_size);
        return NULL;
    }
    lw_populate(m, step);
    *index = i;
    __atomic_fetch_add(&lw_g.hdr->stats.chunks, 1, __ATOMIC_RELAXED);
    return m;
}

/* lw_start_chunk: make chunk c the current one: header, fresh delta state;
 * lw_claim reserved and pre-faulted its first step bytes (with a cap,
 * reserved all of it). */
static void lw_start_chunk(struct lw_thread *t, uint8_t *c, size_t step)
{
    struct lw_chunk_header *ch = (struct lw_chunk_header *)c;
    ch->stream = t->stream;
    ch->seq = t->seq++;
    ch->tid = t->tid;
    ch->base_mono_ns = lw_mono_ns();
    ch->base_tsc = lw_rdtsc();
    if (t == &lw_meta)
        ch->flags = LW_CH_META;
    t->base_mono = ch->base_mono_ns;
    __atomic_store_n(&ch->magic, LW_CHUNK_MAGIC, __ATOMIC_RELEASE);
    t->chunk = c;
    t->cur = c + sizeof *ch;
    t->end = c + lw_g.chunk_size - LW_CHUNK_TAIL;
    t->pop_end = c + step;
    t->resv_end = lw_flight_on() ? c + lw_g.chunk_size : t->pop_end;
    lw_set_limit(t);
    t->last_tsc = ch->base_tsc;
    t->last_addr = t->last_obj = 0;
    t->last_sync = ch->base_tsc;
}

/* lw_writer_first_chunk: give a new thread its first chunk. 0, or -1. */
int lw_writer_first_chunk(struct lw_thread *t)
{
    uint64_t i;
    uint8_t *c = lw_claim(t, &i, lw_first_step());
    if (!c)
        return -1;
    t->chunk_index = i;
    lw_start_chunk(t, c, lw_first_step());
    return 0;
}

/* lw_writer_release: a finished thread's chunks are unmapped; t writes
 * nothing afterwards. The byte at cur stays zero and ends the reader's
 * walk; one claimed ahead and never started reads as empty. */
void lw_writer_release(struct lw_thread *t)
{
    if (t->chunk) {
        lw_flight_leave(t, t->chunk, t->chunk_index);
        real_munmap(t->chunk, lw_g.chunk_size);
        t->chunk = NULL;
    }
    if (t->next) {
        lw_flight_leave(t, t->next, t->next_index);
        real_munmap(t->next, lw_g.chunk_size);
        t->next = NULL;
    }
}

/* lw_grow: reserve t's chunk up to want (lw_reserve), after checking that
 * lw_g.fd is still the trace file (zeros must never reach a file of the
 * program's) and that the program has not lowered its file size limit
 * below them since the claim (a write past it raises SIGXFSZ). 0, or -1
 * when recording stops (said once). */
static int lw_grow(struct lw_thread *t, uint8_t *want)
{
    size_t have = (size_t)(t->resv_end - t->chunk), to = (size_t)(want - t->chunk);
    if (!lw_fd_still_ours())
        return -1;
    if (!lw_fits_fsize((off_t)LW_HEADER_SIZE + (off_t)t->chunk_index * lw_g.chunk_size + (off_t)to)) {
        lw_writer_stop("file size limit (ulimit -f) reached for", EFBIG);
        return -1;
    }
    int r = lw_reserve(t->chunk_index, have, to);
    if (r != 0) {
        lw_writer_stop("cannot extend", r);
        return -1;
    }
    t->resv_end = want;
    return 0;
}

/* lw_drop_chunk: leave t's chunk where it stands, without an end mark
 * (the byte at t->cur is zero and ends the reader's walk): every later
 * record of t is dropped. */
static void lw_drop_chunk(struct lw_thread *t)
{
    lw_thread_flush_stats(t);
    lw_flight_leave(t, t->chunk, t->chunk_index);
    real_munmap(t->chunk, lw_g.chunk_size);
    t->chunk = NULL;
    t->limit = t->end = t->cur;
}

/* lw_writer_advance: slow path when need bytes might not fit below
 * t->limit. Past the half mark it maps the next chunk ahead; when the chunk is
 * full it switches to that chunk, already mapped, so it never waits on one.
 * 1 when need bytes fit at t->cur, 0 when recording cannot go on. */
int lw_writer_advance(struct lw_thread *t, size_t need)
{
    int saved = errno, ok = 0;
    lw_slow_begin(t);
    if (!t->chunk)
        goto out;
    /* past half of the chunk, map the next one ahead */
    if (!t->next && !lw_g.stopped && t->cur + need > t->chunk + lw_g.chunk_size / 2)
        t->next = lw_claim(t, &t->next_index, lw_window()); /* a busy thread: a window at once */
    if (t->cur + need <= t->end) {
        uint8_t *ce = t->chunk + lw_g.chunk_size;
        while (t->pop_end < ce && t->cur + need + LW_REC_CALL_MAX >= t->pop_end) {
            /* pre-fault (and first reserve) as much again as is
             * pre-faulted, up to the window */
            size_t w = (size_t)(t->pop_end - t->chunk);
            if (w > lw_window())
                w = lw_window();
            if (w > (size_t)(ce - t->pop_end))
                w = (size_t)(ce - t->pop_end);
            if (t->pop_end + w > t->resv_end && lw_grow(t, t->pop_end + w) != 0) {
                lw_drop_chunk(t); /* recording stopped */
                goto out;
            }
            lw_populate(t->pop_end, w);
            t->pop_end += w;
        }
        lw_set_limit(t);
        ok = 1;
        goto out;
    }
    uint8_t *old = t->chunk;
    __atomic_store_n(t->cur, (uint8_t)LW_REC_CHUNK_END, __ATOMIC_RELEASE); /* len byte is 0 */
    lw_thread_flush_stats(t);                                              /* with a cap, the chunk's call count too */
    lw_flight_leave(t, old, t->chunk_index);
    t->chunk = NULL;
    real_munmap(old, lw_g.chunk_size);
    if (t->next) {
        t->chunk_index = t->next_index;
        lw_start_chunk(t, t->next, lw_window());
        t->next = NULL;
        if (lw_flight_on() && t != &lw_meta)
            lw_thread_named(t); /* its name in every chunk: the first ones may be reused */
        if (t->sw_page && !t->sw_draining)
            lw_switch_drain(t); /* a fresh chunk has room for them */
        ok = t->cur + need <= t->end;
    } else {
        t->limit = t->end = t->cur; /* no chunk: every later record comes here */
    }
out:
    lw_slow_end(t);
    errno = saved;
    return ok;
}

/* lw_writer_room: the slow path of a call record (lw_wrap_record), taken
 * when a clock sync is due, the context-switch ring is past half full, or
 * the largest call record might not fit below t->limit; each is handled
 * in that order. 1 when a call record fits at t->cur, 0 when it cannot be
 * written (counted as dropped). */
int lw_writer_room(struct lw_thread *t, uint64_t t1)
{
    if (t1 - t->last_sync > LW_SYNC_TICKS)
        lw_writer_sync(t);
    if (lw_switch_due(t)) {
        lw_slow_begin(t);
        lw_switch_drain(t);
        lw_slow_end(t);
    }
    if (t->cur + LW_REC_CALL_MAX > t->limit && !lw_writer_advance(t, LW_REC_CALL_MAX)) {
        t->st.dropped++;
        return 0;
    }
    return 1;
}

/* lw_writer_meta: write a meta record with a body built elsewhere (slow
 * paths only). 0, or -1 when it cannot be written. */
int lw_writer_meta(struct lw_thread *t, unsigned kind, const uint8_t *body, size_t len)
{
    if (lw_flight_on() && t != &lw_meta && (kind == LW_REC_STACK || kind == LW_REC_MODULE))
        return lw_flight_meta(t, kind, body, len); /* never reused (lw_format.h, struct lw_flight) */
    size_t need = 1 + LW_VARINT_MAX + len;
    if (len > lw_g.chunk_size / 4 || (t->cur + need > t->limit && !lw_writer_advance(t, need)))
        return -1;
    uint8_t *p = t->cur;
    uint8_t *b = lw_enc_len(p, len);
    memcpy(b, body, len);
    __atomic_store_n(p, (uint8_t)kind, __ATOMIC_RELEASE);
    t->cur = b + len;
    t->st.bytes += (uint64_t)(t->cur - p);
    return 0;
}

/* lw_writer_sync: record a (TSC, CLOCK_MONOTONIC) pair, then drain the
 * context-switch ring: a live reader (waitreport top) then knows that every
 * switch before the pair's time is in the stream once it sees the next
 * record that is not a SWITCH. */
void lw_writer_sync(struct lw_thread *t)
{
    uint8_t body[2 * LW_VARINT_MAX];
    uint64_t m = lw_mono_ns(), c = lw_rdtsc();
    uint8_t *p = lw_enc_time(body, c, m);
    t->last_sync = c;
    lw_writer_meta(t, LW_REC_TIME, body, (size_t)(p - body));
    if (t->sw_page && !t->sw_draining)
        lw_switch_drain(t);
    lw_control_flush(t);
}

/* lw_writer_close: exit path: stamp the end and mark the trace closed. A
 * life longer than the start-up spin rates the clock better than it did,
 * so the hint becomes the whole life's rate. */
void lw_writer_close(void)
{
    struct lw_file_header *h = lw_g.hdr;
    if (!h)
        return;
    h->end_mono_ns = lw_mono_ns();
    h->end_tsc = lw_rdtsc();
    if (h->end_mono_ns > h->start_mono_ns + 4 * LW_CALIBRATE_NS && h->end_tsc > h->start_tsc)
        h->tsc_hz_hint = lw_rate(h->start_tsc, h->start_mono_ns, h->end_tsc, h->end_mono_ns);
    __atomic_fetch_or(&h->flags, LW_HF_CLOSED, __ATOMIC_RELEASE);
}
