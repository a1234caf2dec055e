/* lw_format.h: the libwait trace format, the one contract between the
 * recorder (preload/) and the analyzer (analyzer/). Nothing else defines it.
 *
 * File layout
 *   [file header, LW_HEADER_SIZE bytes][chunk 0][chunk 1]...
 *   chunk i starts at LW_HEADER_SIZE + i * chunk_size.
 *
 * A chunk belongs to one thread (one "stream"). A thread claims chunks with a
 * single atomic add on lw_file_header.next_chunk and writes only into its own.
 * A chunk is a lw_chunk_header followed by records, back to back.
 *
 * Record = [kind u8][len varint][body, len bytes].
 * The writer fills len and body first and stores the kind byte last with
 * release order; the pages start zeroed. So a reader that sees kind != 0 has a
 * complete record, and kind == 0 means "nothing committed from here on".
 * A chunk the writer left for a newer one ends with LW_REC_CHUNK_END.
 *
 * All integers in bodies are LEB128 varints; "s" fields are zigzag-encoded.
 * Delta state (last stamp, last address, last object) resets at every chunk
 * start, so each chunk decodes on its own: the stamp base is
 * lw_chunk_header.base_tsc, the address and object bases are 0.
 */
#ifndef LW_FORMAT_H
#define LW_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define LW_MAGIC       "LWTRACE" /* 8 bytes with the NUL */
#define LW_VERSION     2
#define LW_VERSION_MIN 1 /* the oldest version a reader still decodes (see "Address deltas") */
/* LW_VERSION_READABLE(v): whether a reader of this header decodes version v. */
#define LW_VERSION_READABLE(v) ((v) >= LW_VERSION_MIN && (v) <= LW_VERSION)
/* LW_VERSION_ONE_BASE(v): whether version v's objects are deltas against
 * the last address, as blocks are ("Address deltas"). */
#define LW_VERSION_ONE_BASE(v) ((v) < 2)
#define LW_HEADER_SIZE         4096u
#define LW_CHUNK_MAGIC         0x4b4e4843u /* "CHNK" */
#define LW_CHUNK_MIN           (4u * 1024)
#define LW_CHUNK_MAX           (64u * 1024 * 1024)
#define LW_MAX_DEPTH           256
#define LW_CMD_MAX             1024
#define LW_PATH_MAX            512

/* lw_file_header.flags */
#define LW_HF_CLOSED   0x1u  /* process ran its exit path */
#define LW_HF_SWITCHES 0x2u  /* per-thread context-switch collection on */
#define LW_HF_NO_PERF  0x4u  /* perf_event_open was refused */
#define LW_HF_STOPPED  0x8u  /* recording stopped early (error) */
#define LW_HF_FLIGHT   0x10u /* flight recorder: chunks are recycled (below) */
#define LW_HF_EXEC     0x20u /* the image ended in an exec (with LW_HF_CLOSED; end_* are its time) */

/* Monitor-the-monitor counters, summed by threads as they flush. */
struct lw_stats {
    uint64_t records;    /* call records written */
    uint64_t bytes;      /* record bytes written (all kinds) */
    uint64_t stacks;     /* distinct stacks written */
    uint64_t unwinds;    /* full unwinds performed (fast-cache misses) */
    uint64_t stack_hits; /* stacks served by the verified fast cache, no unwind */
    uint64_t nested;     /* calls made inside a wrapped call, not recorded */
    uint64_t dropped;    /* calls not recorded because recording failed */
    uint64_t self_ticks; /* TSC ticks spent in libwait outside real calls */
    uint64_t chunks;     /* chunks claimed */
    uint64_t threads;    /* threads seen */
};

/* The flight recorder (WAIT_MAX_SIZE, LW_HF_FLIGHT). The file is a ring
 * of ring_chunks chunk slots (max_size bytes at most, header included).
 * next_chunk counts claims, not slots: claim n takes slot n mod
 * ring_chunks, or the next claim's when that slot is in use (a thread still
 * writes it, or it is a meta chunk). When the ring is full of chunks in use,
 * a claim takes a slot past it, so the file can outgrow max_size by the
 * chunks that threads hold at the same time. A reader reads every slot the
 * file holds.
 *
 * Reusing a slot: the claimer reads the old chunk's header, stores 0 in its
 * magic (release), adds its calls to dropped_calls and raises lost_until_ns
 * to its end_mono_ns, then zeroes the chunk (the pages start zeroed again)
 * and starts it like a fresh one, magic stored last. A chunk's identity is
 * (magic, stream, seq), and no two chunk contents share one, so a reader
 * that may race the writer reads a chunk like a seqlock: its identity,
 * then the records, then (after an acquire fence) the identity again; a
 * change means that what it read may be torn, and it is dropped.
 *
 * Meta chunks (LW_CH_META) hold the STACK and MODULE records of every thread
 * (in an unbounded trace they are in the stream of the thread that found
 * them) and are never reused, so the stacks and modules that kept records
 * need are never overwritten with the chunks that first used them. They
 * form one stream with tid 0 and take at most half of the ring; past that
 * recording stops (LW_HF_STOPPED). A thread writes a THREAD record (flags
 * 0) with its name at the start of each of its chunks, so a thread whose
 * first chunks were overwritten keeps its name. */
struct lw_flight {
    uint64_t max_size;       /* WAIT_MAX_SIZE in force, bytes */
    uint64_t ring_chunks;    /* chunk slots in max_size */
    uint64_t dropped_calls;  /* atomic: call records lost with reused chunks */
    uint64_t dropped_chunks; /* atomic: chunks reused (their records lost) */
    uint64_t lost_until_ns;  /* atomic max: CLOCK_MONOTONIC end of the newest
                                chunk reused; every call that started after it
                                is kept (the window's start) */
    uint64_t pad[3];
};

struct lw_file_header {
    char magic[8];        /* LW_MAGIC */
    uint32_t version;     /* LW_VERSION */
    uint32_t header_size; /* LW_HEADER_SIZE */
    uint32_t chunk_size;  /* power of two, LW_CHUNK_MIN..LW_CHUNK_MAX */
    uint32_t flags;       /* LW_HF_* */
    uint32_t pid, ppid;
    uint32_t depth; /* WAIT_DEPTH in force */
    uint32_t pad0;
    uint64_t start_tsc, start_mono_ns, start_real_ns;
    uint64_t end_tsc, end_mono_ns; /* 0 until the exit path ran */
    uint64_t tsc_hz_hint;          /* short start-up calibration; fallback only */
    uint8_t pad1[40];              /* next_chunk sits alone on its cache line */
    uint64_t next_chunk;           /* atomic: chunks claimed so far */
    uint8_t pad2[56];
    uint64_t next_stream; /* atomic: thread serials handed out */
    uint8_t pad3[56];
    struct lw_stats stats;
    char command[LW_CMD_MAX]; /* argv joined by spaces, truncated */
    char exe[LW_PATH_MAX];    /* /proc/self/exe at start */
    struct lw_flight flight;  /* all 0 unless LW_HF_FLIGHT */
    uint64_t lone_locks;      /* atomic: lock and unlock calls counted, not
                                 recorded: made while the process had one
                                 thread, on a lock they found free
                                 (WAIT_LOCKS); 0 in older traces */
};
_Static_assert(offsetof(struct lw_file_header, next_chunk) == 128, "layout");
_Static_assert(offsetof(struct lw_file_header, flight) == 1872, "layout");
_Static_assert(offsetof(struct lw_file_header, lone_locks) == 1936, "layout");
_Static_assert(offsetof(struct lw_file_header, stats) == 256, "layout");
_Static_assert(sizeof(struct lw_file_header) <= LW_HEADER_SIZE, "layout");

/* Run-time control, in the header page on a cache line of its own. The
 * recorder reads `paused` on every wrapped call (1 = pass straight through)
 * and writes it for WAIT_START, SIGUSR2 and libwait_pause/resume; other
 * processes may write it too (`waitreport ctl`, top's p key): 0 or 1 only. */
#define LW_CONTROL_OFFSET (LW_HEADER_SIZE - 64)
struct lw_control {
    uint32_t paused;
    uint32_t pad[15];
};
_Static_assert(sizeof(struct lw_file_header) <= LW_CONTROL_OFFSET, "layout");

struct lw_chunk_header {
    uint32_t magic;  /* LW_CHUNK_MAGIC, stored last */
    uint32_t stream; /* thread serial, unique in the process */
    uint32_t seq;    /* index of this chunk within its stream */
    uint32_t tid;
    uint64_t base_tsc;     /* stamp base of the chunk, paired with: */
    uint64_t base_mono_ns; /* CLOCK_MONOTONIC read next to base_tsc */
    uint32_t flags;        /* LW_CH_* (flight recorder only, else 0) */
    uint32_t calls;        /* flight recorder: call records in the chunk,
                              set when its thread leaves it, else 0 */
    uint64_t end_mono_ns;  /* flight recorder: CLOCK_MONOTONIC when its
                              thread left it, else 0 */
    uint64_t pad[2];
};
#define LW_CH_META 0x1u /* a meta chunk of a flight trace (lw_flight) */
_Static_assert(sizeof(struct lw_chunk_header) == 64, "layout");

/* Record kinds. 1..0x7f are calls: the kind is the function id. */
enum lw_rec_kind {
    LW_REC_NONE = 0,
    LW_REC_CHUNK_END = 0x80, /* empty body */
    LW_REC_THREAD = 0x81,    /* tid, flags (LW_THR_*), s(stamp delta), name, [by flag] (below) */
    LW_REC_TIME = 0x82,      /* tsc, mono_ns (absolute) */
    LW_REC_STACK = 0x83,     /* id, depth, depth x s(frame delta) */
    LW_REC_MODULE = 0x84,    /* base, path, build_id, n, n x (lo, hi), [first] (below) */
    LW_REC_DROPPED = 0x85,   /* count of calls lost since the last one */
    LW_REC_SWITCH = 0x86,    /* flags (LW_SW_*), s(mono ns - chunk base_mono_ns) */
    LW_REC_LOST = 0x87,      /* switch records the kernel dropped (ring full) */
};

/* MODULE: first (optional, absent = 0) is the first stack id that may hold
 * this module's code. It is not 0 when the module was loaded where another
 * one lay before (dlclose, then dlopen at the same addresses): a stack
 * belongs to the module, among those whose ranges hold an address, with
 * the greatest first not above the stack's id. */
/* Kinds 0x88..0x8f are control records. A reader skips kinds it does not
 * know by their length. Their stamps are absolute TSC values (they never
 * touch the chunk's delta state, so older readers stay in step).
 *   MARK    tsc, name length (<= LW_MARK_MAX), name bytes (libwait_mark)
 *   PAUSE   tsc, source (LW_CTL_*): recording paused from this stamp on
 *   RESUME  tsc, source: recording resumed
 * PAUSE/RESUME go to the stream of the thread that made the change. One
 * made where no record can be written (a signal inside a wrapped call, or on
 * a thread with no stream yet) is written later, with its own stamp, by the
 * next thread that starts or syncs its clock. A change made from outside
 * the process (lw_control) has no record. */
#define LW_REC_MARK   0x88
#define LW_REC_PAUSE  0x89
#define LW_REC_RESUME 0x8a
#define LW_MARK_MAX   64
#define LW_CTL_API    1 /* libwait_pause()/libwait_resume() */
#define LW_CTL_SIGNAL 2 /* SIGUSR2 */

/* Kind 0x8b is a control record too (absolute stamp, skipped by length
 * where unknown): the identity of a file descriptor that can carry a wake-up
 * between threads or processes, written when the fd is made (pipe, pipe2,
 * socketpair, eventfd, accept, accept4, connect, listen) and, for the main
 * thread, for fds 0 to 2 when they are pipes or sockets at its start:
 *   FDID    tsc, s(fd), type (LW_FD_*), dev, ino, peer ino,
 *           [family, local, peer, peer pid]   (LW_FD_SOCKET, LW_FD_LISTEN)
 * dev and ino are fstat's st_dev and st_ino of the fd. A pipe's two ends
 * share one inode (peer ino = ino); a socketpair's ends have one each, and
 * peer ino names the other end's. An eventfd's inode is the anonymous one
 * every eventfd shares, so its identity is the record itself: the fd from
 * this stamp to its close (peer ino 0). For a socket from accept or
 * connect, or one listen made listening (its peer hash 0): family (AF_*), local and peer: FNV-1a 64-bit hashes of the
 * addresses getsockname and getpeername gave (0 when they failed, as for a
 * connect still in progress), so the two ends of one TCP connection inside
 * the process have local and peer swapped; peer pid: for AF_UNIX the
 * peer's process (SO_PEERCRED, 0 unknown), else 0. The fd's identity holds
 * until the fd's close record or the next FDID for the same number; an fd
 * closed where libwait does not see it (fclose, dup2 onto it) keeps a stale
 * identity until then. */
#define LW_REC_FDID    0x8b
#define LW_FD_PIPE     1 /* a pipe or FIFO */
#define LW_FD_SOCKPAIR 2 /* one end of a socketpair */
#define LW_FD_EVENTFD  3
#define LW_FD_SOCKET   4 /* a connected socket (accept, accept4, connect) */
#define LW_FD_LISTEN   5 /* a listening socket (listen): ready when a peer connects */

/* Kind 0x8c is a control record too (absolute stamp, skipped by length
 * where unknown): an fd registered with an epoll instance, so that a
 * reader can tell which fd an event that epoll_wait returned is about
 * (the event carries the program's data, not the fd). Written after each
 * epoll_ctl that succeeded:
 *   EPCTL   tsc, s(epfd), op (EPOLL_CTL_ADD 1, DEL 2, MOD 3), s(fd), data
 * data is the event's epoll_data as a 64-bit value (0 for DEL). From its
 * stamp, an event of epfd whose data equals data is about fd, until a
 * later EPCTL of the same epfd gives that data to another fd, or a DEL of
 * fd. Two fds of one epfd registered with the same data are told apart by
 * no one: the later registration wins. An epoll_ctl made where libwait
 * records nothing (paused, before the thread's stream, nested in another
 * wrapped call) has no record, and events of its data name no fd. */
#define LW_REC_EPCTL 0x8c

/* THREAD record fields by flag, after the name (absent when the flag is
 * clear, so a reader that knows none of them stops after the name):
 *   LW_THR_END     an end record (written at the thread's exit, from its
 *                  key destructor, or at the exit path for the main
 *                  thread), else a start record
 *   LW_THR_BORN    start only: the stamp is the thread's birth, not its
 *                  first recorded call: the first instruction of libwait's
 *                  start routine in the new thread, before the program's
 *                  start function ran (the process start for the main
 *                  thread). Followed by self (pthread_self: the object of
 *                  the pthread_create and pthread_join records naming this
 *                  thread) and creator (the tid whose pthread_create made
 *                  it; 0 for the main thread). A birth stamp may lie
 *                  before its chunk's base_tsc (the chunk is claimed
 *                  after it): its delta is then negative.
 *   LW_THR_FAULTS  end only: followed by minor, major: the page faults of
 *                  the thread's whole life (getrusage RUSAGE_THREAD) */
#define LW_THR_END    0x1u
#define LW_THR_BORN   0x2u
#define LW_THR_FAULTS 0x4u

/* LOCK record flags: the mutex was not free at the first attempt, so the
 * call had to wait for it (lock and timedlock only). */
#define LW_LOCK_CONTENDED 0x1u
/* SYNC record flags (LW_LOCK_CONTENDED means the same there): the barrier
 * wait returned PTHREAD_BARRIER_SERIAL_THREAD (err is then 0). */
#define LW_SYNC_SERIAL 0x2u

/* LW_REC_SWITCH flags: the thread left the CPU (else it came back), and
 * whether it left because it was preempted (runnable) or blocked. */
#define LW_SW_OUT     0x1u
#define LW_SW_PREEMPT 0x2u

/* Families, as reported ("family" in JSON). lock: mutexes, rwlocks and
 * spinlocks (held, so with holds and holder blame); sleep: intentional
 * waits (nanosleep, ...); mmap: anonymous mappings, with bytes; sync:
 * condition variables, semaphores, joins and barriers (waits for an
 * event). */
enum lw_family {
    LW_FAM_MALLOC,
    LW_FAM_LOCK,
    LW_FAM_IO,
    LW_FAM_EVENT,
    LW_FAM_SLEEP,
    LW_FAM_MMAP,
    LW_FAM_SYNC,
    LW_FAM_COUNT
};
#define LW_FAMILY_NAMES                                                                                                \
    {                                                                                                                  \
        "malloc", "lock", "io", "event", "sleep", "mmap", "sync"                                                       \
    }

/* Argument schemas of call records, after the common part
 * [stack_id][s start_delta][duration]:
 *   ALLOC    size, s(ptr delta)              ptr 0 = failed
 *   REALLOC  s(old delta), size, s(new delta)
 *   FREE     s(ptr delta)
 *   MEMALIGN size, s(ptr delta), err         posix_memalign's return value
 *   LOCK     s(mutex delta), err, [flags]    err = returned error number;
 *                                            flags (optional, absent = 0):
 *                                            LW_LOCK_CONTENDED
 *   IO       fd, s(ret)                      ret = bytes, or -errno
 *   SELECT   nfds, s(ret), tmo, [ready]      ret = ready, or -errno;
 *                                            tmo 0 = none, 1 = zero, 2 = finite;
 *                                            ready (below)
 *   EVENTFD  initval, flags, s(ret)          ret = fd, or -errno
 *   FDOP     s(fd), s(ret)                   calls on an fd whose result is
 *                                            not a byte count: accept,
 *                                            connect, fsync, close, open ...
 *                                            fd = the fd acted on (open,
 *                                            creat: AT_FDCWD; openat: dirfd);
 *                                            ret = the new fd, 0, or -errno
 *   SLEEP    ns, s(ret)                      ns = time asked for (an
 *                                            absolute clock_nanosleep: the
 *                                            time left to its deadline);
 *                                            ret = 0, -errno, or sleep()'s
 *                                            unslept seconds
 *   MMAP     size, s(addr delta), err        mmap: addr = result (0 when
 *                                            it failed); munmap: the range
 *                                            unmapped; err = errno or 0
 *   MREMAP   s(old delta), old size, size, s(new delta), err
 *                                            new = 0 when it failed
 *   COND     s(cond delta), s(mutex delta), err
 *                                            err = returned error number
 *                                            (ETIMEDOUT); ECANCELED: the
 *                                            thread was cancelled inside
 *                                            (the mutex is held again)
 *   SYNC     s(object delta), err, [flags]   one object (semaphore,
 *                                            barrier, condvar; pthread_t
 *                                            for join); err = returned
 *                                            error number, errno for sem_*,
 *                                            ECANCELED as for COND; flags
 *                                            (optional, absent = 0):
 *                                            LW_LOCK_CONTENDED, LW_SYNC_SERIAL
 * The polls (poll, ppoll, epoll_*, pselect) use SELECT, with nfds = the
 * number of fds (poll) or maxevents (epoll_*).
 * SELECT's ready (optional: absent when ret <= 0, and in the traces of
 * recorders that did not write it, which say nothing of which fds were
 * ready) names the fds found ready for reading, the ones a write, send or
 * close elsewhere can have made ready: s(epfd), n, n x value, n <=
 * LW_READY_MAX. select, pselect (epfd -1): the first n fds set in the read
 * set after the call, lowest first; poll, ppoll (epfd -1): the fds of the
 * first n entries whose revents has POLLIN, POLLPRI, POLLRDHUP, POLLHUP or
 * POLLERR, in the array's order; epoll_* (epfd >= 0, the epoll fd): the
 * data (EPCTL above) of the first n events with EPOLLIN, EPOLLPRI,
 * EPOLLRDHUP, EPOLLHUP or EPOLLERR, in the order returned. n 0: ready, but
 * only for writing. The recorder scans the returned sets after its second
 * stamp, outside the call's time, and only when ret > 0; a scan stops at
 * LW_READY_MAX fds, and a poll's scan when it has met ret entries. The stdio calls (fread ...)
 * use IO with fd = fileno of the stream and ret = bytes moved.
 * rwlocks and spinlocks are in the lock family with the LOCK schema (their
 * holds are tracked like a mutex's); the other sync calls (condvars, semaphores,
 * joins, barriers) are in the sync family.
 * Address deltas: the synchronization objects (LOCK's mutex, SYNC's object,
 * COND's condvar and mutex) are deltas against the stream's last object;
 * every other address (blocks, mappings) against its last address. A
 * program that locks a mutex around each allocation (sqlite, glibc's
 * stdio) so writes a delta of 0 for the mutex and a short one between
 * neighbouring blocks, where one base for both wrote the distance between
 * the heap and the mutex, about 7 bytes, twice per call. Version 1 traces
 * used the last address for every schema; readers decode them so.
 * pthread_create uses SYNC with the object = the new thread's pthread_t
 * (0 when it failed) and err = its returned error number.
 * Function ids 19..69 are kept for polls, I/O, sleeps, mmap and stdio
 * (19..62 used, 63..69 free); 70..99 for the sync family. An id
 * in a gap has no table entry (lw_func_info_of gives NULL).
 */
#define LW_READY_MAX 4 /* SELECT's ready: fds (or epoll data) at most */

enum lw_schema {
    LW_S_ALLOC,
    LW_S_REALLOC,
    LW_S_FREE,
    LW_S_MEMALIGN,
    LW_S_LOCK,
    LW_S_IO,
    LW_S_SELECT,
    LW_S_EVENTFD,
    LW_S_FDOP,
    LW_S_SLEEP,
    LW_S_MMAP,
    LW_S_MREMAP,
    LW_S_COND,
    LW_S_SYNC
};

/* X(id, name, family, schema): every wrapped function, ids never reused. */
#define LW_FUNCS(X)                                                                                                    \
    X(1, malloc, LW_FAM_MALLOC, LW_S_ALLOC)                                                                            \
    X(2, free, LW_FAM_MALLOC, LW_S_FREE)                                                                               \
    X(3, calloc, LW_FAM_MALLOC, LW_S_ALLOC)                                                                            \
    X(4, realloc, LW_FAM_MALLOC, LW_S_REALLOC)                                                                         \
    X(5, posix_memalign, LW_FAM_MALLOC, LW_S_MEMALIGN)                                                                 \
    X(6, aligned_alloc, LW_FAM_MALLOC, LW_S_ALLOC)                                                                     \
    X(7, memalign, LW_FAM_MALLOC, LW_S_ALLOC)                                                                          \
    X(8, valloc, LW_FAM_MALLOC, LW_S_ALLOC)                                                                            \
    X(9, pthread_mutex_lock, LW_FAM_LOCK, LW_S_LOCK)                                                                   \
    X(10, pthread_mutex_trylock, LW_FAM_LOCK, LW_S_LOCK)                                                               \
    X(11, pthread_mutex_timedlock, LW_FAM_LOCK, LW_S_LOCK)                                                             \
    X(12, pthread_mutex_unlock, LW_FAM_LOCK, LW_S_LOCK)                                                                \
    X(13, read, LW_FAM_IO, LW_S_IO)                                                                                    \
    X(14, write, LW_FAM_IO, LW_S_IO)                                                                                   \
    X(15, select, LW_FAM_EVENT, LW_S_SELECT)                                                                           \
    X(16, eventfd, LW_FAM_EVENT, LW_S_EVENTFD)                                                                         \
    X(17, eventfd_read, LW_FAM_EVENT, LW_S_IO)                                                                         \
    X(18, eventfd_write, LW_FAM_EVENT, LW_S_IO)                                                                        \
    X(19, poll, LW_FAM_EVENT, LW_S_SELECT)                                                                             \
    X(20, ppoll, LW_FAM_EVENT, LW_S_SELECT)                                                                            \
    X(21, epoll_wait, LW_FAM_EVENT, LW_S_SELECT)                                                                       \
    X(22, epoll_pwait, LW_FAM_EVENT, LW_S_SELECT)                                                                      \
    X(23, epoll_pwait2, LW_FAM_EVENT, LW_S_SELECT)                                                                     \
    X(24, pselect, LW_FAM_EVENT, LW_S_SELECT)                                                                          \
    X(25, pread, LW_FAM_IO, LW_S_IO)                                                                                   \
    X(26, pwrite, LW_FAM_IO, LW_S_IO)                                                                                  \
    X(27, readv, LW_FAM_IO, LW_S_IO)                                                                                   \
    X(28, writev, LW_FAM_IO, LW_S_IO)                                                                                  \
    X(29, preadv, LW_FAM_IO, LW_S_IO)                                                                                  \
    X(30, pwritev, LW_FAM_IO, LW_S_IO)                                                                                 \
    X(31, preadv2, LW_FAM_IO, LW_S_IO)                                                                                 \
    X(32, pwritev2, LW_FAM_IO, LW_S_IO)                                                                                \
    X(33, recv, LW_FAM_IO, LW_S_IO)                                                                                    \
    X(34, recvfrom, LW_FAM_IO, LW_S_IO)                                                                                \
    X(35, recvmsg, LW_FAM_IO, LW_S_IO)                                                                                 \
    X(36, send, LW_FAM_IO, LW_S_IO)                                                                                    \
    X(37, sendto, LW_FAM_IO, LW_S_IO)                                                                                  \
    X(38, sendmsg, LW_FAM_IO, LW_S_IO)                                                                                 \
    X(39, accept, LW_FAM_IO, LW_S_FDOP)                                                                                \
    X(40, accept4, LW_FAM_IO, LW_S_FDOP)                                                                               \
    X(41, connect, LW_FAM_IO, LW_S_FDOP)                                                                               \
    X(42, fsync, LW_FAM_IO, LW_S_FDOP)                                                                                 \
    X(43, fdatasync, LW_FAM_IO, LW_S_FDOP)                                                                             \
    X(44, sync_file_range, LW_FAM_IO, LW_S_FDOP)                                                                       \
    X(45, open, LW_FAM_IO, LW_S_FDOP)                                                                                  \
    X(46, openat, LW_FAM_IO, LW_S_FDOP)                                                                                \
    X(47, creat, LW_FAM_IO, LW_S_FDOP)                                                                                 \
    X(48, close, LW_FAM_IO, LW_S_FDOP)                                                                                 \
    X(49, nanosleep, LW_FAM_SLEEP, LW_S_SLEEP)                                                                         \
    X(50, clock_nanosleep, LW_FAM_SLEEP, LW_S_SLEEP)                                                                   \
    X(51, usleep, LW_FAM_SLEEP, LW_S_SLEEP)                                                                            \
    X(52, sleep, LW_FAM_SLEEP, LW_S_SLEEP)                                                                             \
    X(53, mmap, LW_FAM_MMAP, LW_S_MMAP)                                                                                \
    X(54, munmap, LW_FAM_MMAP, LW_S_MMAP)                                                                              \
    X(55, mremap, LW_FAM_MMAP, LW_S_MREMAP)                                                                            \
    X(56, fread, LW_FAM_IO, LW_S_IO)                                                                                   \
    X(57, fwrite, LW_FAM_IO, LW_S_IO)                                                                                  \
    X(58, fgets, LW_FAM_IO, LW_S_IO)                                                                                   \
    X(59, fputs, LW_FAM_IO, LW_S_IO)                                                                                   \
    X(60, fflush, LW_FAM_IO, LW_S_IO)                                                                                  \
    X(61, getline, LW_FAM_IO, LW_S_IO)                                                                                 \
    X(62, getdelim, LW_FAM_IO, LW_S_IO)                                                                                \
    LW_FUNCS_SYNC(X)

/* ids 70..99: condition variables, rwlocks, semaphores, spinlocks, joins,
 * barriers, thread creation (preload/wrap/cond.c, rwlock.c, sem.c,
 * spinlock.c, join_barrier.c, thread_create.c) */
#define LW_FUNCS_SYNC(X)                                                                                               \
    X(70, pthread_cond_wait, LW_FAM_SYNC, LW_S_COND)                                                                   \
    X(71, pthread_cond_timedwait, LW_FAM_SYNC, LW_S_COND)                                                              \
    X(72, pthread_cond_clockwait, LW_FAM_SYNC, LW_S_COND)                                                              \
    X(73, pthread_cond_signal, LW_FAM_SYNC, LW_S_SYNC)                                                                 \
    X(74, pthread_cond_broadcast, LW_FAM_SYNC, LW_S_SYNC)                                                              \
    X(75, pthread_rwlock_rdlock, LW_FAM_LOCK, LW_S_LOCK)                                                               \
    X(76, pthread_rwlock_wrlock, LW_FAM_LOCK, LW_S_LOCK)                                                               \
    X(77, pthread_rwlock_tryrdlock, LW_FAM_LOCK, LW_S_LOCK)                                                            \
    X(78, pthread_rwlock_trywrlock, LW_FAM_LOCK, LW_S_LOCK)                                                            \
    X(79, pthread_rwlock_timedrdlock, LW_FAM_LOCK, LW_S_LOCK)                                                          \
    X(80, pthread_rwlock_timedwrlock, LW_FAM_LOCK, LW_S_LOCK)                                                          \
    X(81, pthread_rwlock_clockrdlock, LW_FAM_LOCK, LW_S_LOCK)                                                          \
    X(82, pthread_rwlock_clockwrlock, LW_FAM_LOCK, LW_S_LOCK)                                                          \
    X(83, pthread_rwlock_unlock, LW_FAM_LOCK, LW_S_LOCK)                                                               \
    X(84, sem_wait, LW_FAM_SYNC, LW_S_SYNC)                                                                            \
    X(85, sem_timedwait, LW_FAM_SYNC, LW_S_SYNC)                                                                       \
    X(86, sem_clockwait, LW_FAM_SYNC, LW_S_SYNC)                                                                       \
    X(87, sem_trywait, LW_FAM_SYNC, LW_S_SYNC)                                                                         \
    X(88, sem_post, LW_FAM_SYNC, LW_S_SYNC)                                                                            \
    X(89, pthread_spin_lock, LW_FAM_LOCK, LW_S_LOCK)                                                                   \
    X(90, pthread_spin_trylock, LW_FAM_LOCK, LW_S_LOCK)                                                                \
    X(91, pthread_spin_unlock, LW_FAM_LOCK, LW_S_LOCK)                                                                 \
    X(92, pthread_join, LW_FAM_SYNC, LW_S_SYNC)                                                                        \
    X(93, pthread_barrier_wait, LW_FAM_SYNC, LW_S_SYNC)                                                                \
    X(94, pthread_create, LW_FAM_SYNC, LW_S_SYNC)

enum lw_func {
#define LW_ENUM_(id, name, fam, sch) LW_F_##name = id,
    LW_FUNCS(LW_ENUM_)
#undef LW_ENUM_
        LW_F_COUNT
};

struct lw_func_info {
    const char *name;
    uint8_t family, schema;
};

/* lw_func_info_of: static description of function id f, or NULL (also
 * for an id no function has). */
static inline const struct lw_func_info *lw_func_info_of(unsigned f)
{
    static const struct lw_func_info tab[LW_F_COUNT] = {
#define LW_INFO_(id, nm, fam, sch) [id] = {#nm, fam, sch},
        LW_FUNCS(LW_INFO_)
#undef LW_INFO_
    };
    return (f > 0 && f < LW_F_COUNT && tab[f].name) ? &tab[f] : NULL; /* ids are sparse */
}

/* ---- varints, shared by writer and reader ---- */

#define LW_VARINT_MAX 10

/* lw_put_uv: write v as LEB128 at p (needs LW_VARINT_MAX bytes); returns end. */
static inline uint8_t *lw_put_uv(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static inline uint64_t lw_zz(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t lw_unzz(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

static inline uint8_t *lw_put_sv(uint8_t *p, int64_t v) { return lw_put_uv(p, lw_zz(v)); }

/* lw_get_uv: read a varint from [*pp, end). Returns 0 and leaves *pp on a
 * truncated or over-long varint, 1 on success. Never reads past end.
 * Always inline: the analyzer's hot loop reads several per record
 * (lw_codec.h, lw_dec_uv). */
static inline __attribute__((always_inline)) int lw_get_uv(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (p >= end)
            return 0;
        uint8_t b = *p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *pp = p;
            *out = v;
            return 1;
        }
    }
    return 0;
}

static inline int lw_get_sv(const uint8_t **pp, const uint8_t *end, int64_t *out)
{
    uint64_t u;
    if (!lw_get_uv(pp, end, &u))
        return 0;
    *out = lw_unzz(u);
    return 1;
}

/* ---- trace file names, shared by the recorder, `waitreport record` and
 * the directory expansion of the analyzer ----
 *
 * WAIT_OUTPUT is a pattern (%p: the pid). When its name is taken, as it is
 * for an image that exec kept the pid of, the recorder tries the name with
 * a generation ".N" (N = 1 to LW_NAME_GENS - 1) put before the pattern's
 * extension: "run.%p.bin" gives run.42.bin, then run.42.1.bin, so a glob on
 * "*.bin" finds every image. The extension is the last '.' of the pattern's
 * last component and what follows it, when that dot is not the component's
 * first character, something follows it and no '%' does (so "run.%p"
 * has none: the pid is not an extension). A pattern without one gets ".N" at its end ("trace"
 * gives trace.1). Traces written before this rule carry ".bin.N" at the end
 * of the name; the analyzer still reads them. */
#define LW_NAME_GENS 100 /* a chain of execs such as pyenv's shims takes 7 */

/* lw_name_ext: the offset in pattern where its extension starts (see
 * above), or its length when it has none. Never reads past the NUL. */
static inline size_t lw_name_ext(const char *pattern)
{
    size_t comp = 0, dot = 0, n = 0;
    for (; pattern[n]; n++) {
        if (pattern[n] == '/')
            comp = n + 1, dot = 0;
        else if (pattern[n] == '.' && n > comp)
            dot = n;
        else if (pattern[n] == '%')
            dot = 0;
    }
    return dot && dot + 1 < n ? dot : n;
}

/* lw_name_gen: the generation whose digits are s[0, n): 1 to
 * LW_NAME_GENS - 1, written without a leading zero; 0 when they are not
 * one. Never reads past s[n - 1]. */
static inline unsigned lw_name_gen(const char *s, size_t n)
{
    unsigned g = 0;
    if (!n || n > 2 || s[0] == '0')
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        g = 10 * g + (unsigned)(s[i] - '0');
    }
    return g < LW_NAME_GENS ? g : 0;
}

#endif
