/* init.c: start-up and shut-down of the recorder: settings, messages on
 * stderr, fork. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/runtime.h"

struct lw_global lw_g = {.fd = -1};

/* ---- small helpers ---- */

/* The stderr libwait may write to: what fd 2 was when libwait started
 * (lw_stderr_note). A program that closes fd 2 and opens a file, a socket
 * or a pipe that takes the number 2 must not find libwait's messages in
 * it, so lw_warn writes only while fd 2 still is that same open file. */
static int lw_err_state; /* 0 not noted yet, 1 fd 2 was open, 2 it was not */
static dev_t lw_err_dev;
static ino_t lw_err_ino;

/* lw_stderr_note: remember what fd 2 is now (once, at start-up). */
static void lw_stderr_note(void)
{
    struct stat st;
    if (lw_err_state)
        return;
    if (fstat(2, &st) == 0) {
        lw_err_dev = st.st_dev;
        lw_err_ino = st.st_ino;
        lw_err_state = 1;
    } else {
        lw_err_state = 2;
    }
}

/* lw_stderr_same: whether fd 2 is still the file noted at start-up. Two
 * opens of the same file (the same device and inode) count as the same
 * stderr: a program that reopens its own terminal still sees messages. */
static int lw_stderr_same(void)
{
    struct stat st;
    lw_stderr_note();
    return lw_err_state == 1 && fstat(2, &st) == 0 && st.st_dev == lw_err_dev && st.st_ino == lw_err_ino;
}

/* lw_warn: one line on stderr, prefixed "libwait: ", only while fd 2 is
 * still the stderr libwait saw at start-up (else the line is dropped).
 * Uses write(2) directly so it never recurses into the wrappers or stdio;
 * messages are rare, so the fstat per message costs nothing that matters. */
void lw_warn(const char *fmt, ...)
{
    int saved = errno;
    if (!lw_stderr_same()) {
        errno = saved;
        return;
    }
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + 9, sizeof buf - 10, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    memcpy(buf, "libwait: ", 9);
    size_t len = 9 + ((size_t)n < sizeof buf - 10 ? (size_t)n : sizeof buf - 11);
    buf[len++] = '\n';
    ssize_t w = real_write ? real_write(2, buf, len) : -1;
    (void)w;
    errno = saved;
}

uint64_t lw_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* lw_env_uint: parse env var name as a whole decimal number in [lo, hi].
 * Unset gives def; a bad value is reported once and gives def. */
static unsigned lw_env_uint(const char *name, unsigned def, unsigned lo, unsigned hi)
{
    const char *s = getenv(name);
    if (!s)
        return def;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (*s < '0' || *s > '9' || *end || errno || v < lo || v > hi) {
        lw_warn("ignoring %s=%s: expected a whole number from %u to %u; using %u", name, s, lo, hi, def);
        return def;
    }
    return (unsigned)v;
}

/* lw_env_locks: WAIT_LOCKS, 1 when it asks for every lock call to be
 * recorded ("all"), 0 for the lone-thread rule (runtime.h: "auto", the
 * default). A bad value is said once and the default kept. */
static uint32_t lw_env_locks(void)
{
    const char *s = getenv("WAIT_LOCKS");
    if (!s || !*s || !strcmp(s, "auto"))
        return 0;
    if (!strcmp(s, "all"))
        return 1;
    lw_warn("ignoring WAIT_LOCKS=%s: expected auto or all; using auto", s);
    return 0;
}

/* lw_env_size: WAIT_MAX_SIZE, the flight recorder's cap: a whole number
 * of bytes, or of KiB, MiB or GiB with a K, M or G after it. 0 when unset
 * or bad (reported once: recording goes on without a cap). A cap below
 * the least one that works (LW_MAX_SIZE_MIN, or 8 chunks of a chosen
 * WAIT_CHUNK_KB) is raised to it, said once. Sets the chunk size. */
#define LW_MAX_SIZE_MIN (1ull << 20)
static uint64_t lw_env_size(void)
{
    const char *s = getenv("WAIT_MAX_SIZE");
    if (!s || !*s)
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10, end++;
    else if (*end == 'M' || *end == 'm')
        shift = 20, end++;
    else if (*end == 'G' || *end == 'g')
        shift = 30, end++;
    if (*s < '0' || *s > '9' || *end || errno || v > (1ull << 50) >> shift) {
        lw_warn("ignoring WAIT_MAX_SIZE=%.40s: expected bytes as a whole number, with K, M or G after it for "
                "KiB, MiB or GiB; recording without a cap",
                s);
        return 0;
    }
    v <<= shift;
    if (!getenv("WAIT_CHUNK_KB"))
        lw_g.chunk_size = lw_flight_chunk_for(v < LW_MAX_SIZE_MIN ? LW_MAX_SIZE_MIN : v);
    uint64_t min = LW_HEADER_SIZE + 8ull * lw_g.chunk_size;
    if (min < LW_MAX_SIZE_MIN)
        min = LW_MAX_SIZE_MIN;
    if (v < min) {
        lw_warn("WAIT_MAX_SIZE=%.40s is below the least cap that works here, %llu KiB; using that", s,
                (unsigned long long)(min >> 10));
        v = min;
    }
    return v;
}

/* ---- fork ---- */

/* Fork: no thread may be inside libunwind or the loader (lw_gate_close), and
 * none may hold the stack table's lock, while the process is copied. A fork
 * made by a signal handler that interrupted this very thread inside
 * libwait or a wrapped call (lw_thread_inside) cannot wait for those: the
 * interrupted code may hold them and cannot run until the handler returns.
 * Such a fork takes no lock (lw_fork_unlocked), and its child does not
 * record (lw_atfork_child says so in one line): its copy of libwait's state
 * may be mid-update. */
static int lw_fork_unlocked;

static void lw_atfork_prepare(void)
{
    lw_fork_unlocked = lw_thread_inside();
    if (lw_fork_unlocked)
        return;
    lw_gate_close();
    lw_stack_lock();
}

static void lw_atfork_parent(void)
{
    lw_g.forks++;
    if (lw_fork_unlocked) {
        lw_fork_unlocked = 0;
        return;
    }
    lw_stack_unlock();
    lw_gate_open(0);
}

/* lw_atfork_child_unlocked: the child of a fork lw_atfork_prepare let
 * through without locks. It stops recording for good and lets go of the
 * parent's file: the header becomes private memory (the interrupted code
 * may still update counters in it), the fd is closed. The locks are
 * released for the one thread the child has: if it held one, it resumes
 * inside the section once the handler returns and finishes alone. */
static void lw_atfork_child_unlocked(void)
{
    lw_fork_unlocked = 0;
    lw_stack_unlock();
    lw_gate_open(1);
    if (!lw_g.ready)
        return;
    lw_g.ready = 0;
    lw_g.stopped = 1;
    lw_thread_abandon_after_fork();
    if (lw_g.hdr)
        real_mmap(lw_g.hdr, LW_HEADER_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (lw_g.fd >= 0)
        real_close(lw_g.fd);
    lw_g.fd = -1;
    lw_fd_release_all();
    lw_warn("process %d was forked by a signal handler that interrupted libwait; not recording in it", (int)getpid());
}

/* lw_atfork_child: the child must never write into the parent's file. It
 * drops the inherited state; its own trace file is created at its first
 * recorded call (lw_enter_slow), so a child that only execs leaves no file
 * and its new image can take the name. */
static void lw_atfork_child(void)
{
    if (lw_fork_unlocked) {
        lw_atfork_child_unlocked();
        return;
    }
    lw_stack_unlock();
    lw_gate_open(1);
    if (!lw_g.ready)
        return;
    lw_g.ready = 0;
    lw_thread_reset_after_fork();
    lw_stack_reset_after_fork();
    lw_modules_reset_after_fork();
    lw_control_detach(); /* off the parent's header before it is unmapped */
    if (lw_g.hdr)
        real_munmap(lw_g.hdr, LW_HEADER_SIZE);
    lw_g.hdr = NULL;
    if (lw_g.fd >= 0)
        real_close(lw_g.fd);
    lw_g.fd = -1;
    lw_g.stopped = 0; /* a new file, a new chance */
    lw_g.reopen = 1;
    lw_g.ready = 1;
}

/* ---- constructor and destructor ---- */

/* lw_output_absolute: a relative WAIT_OUTPUT is made absolute, once, in
 * the first process's environment, before the program runs: its children
 * inherit it, so a child that changed directory (a shell script's cd, a
 * build's make -C) still writes beside the others instead of failing to
 * create the file under a directory that does not exist there. The
 * environment keeps the value as given when the current directory cannot
 * be read or the result would be too long for a trace path. */
static void lw_output_absolute(void)
{
    const char *pat = getenv("WAIT_OUTPUT");
    char cwd[LW_PATH_MAX], abs[LW_PATH_MAX];
    if (!pat || !*pat || pat[0] == '/' || !getcwd(cwd, sizeof cwd))
        return;
    if (snprintf(abs, sizeof abs, "%s/%s", strcmp(cwd, "/") ? cwd : "", pat) >= (int)sizeof abs)
        return;
    setenv("WAIT_OUTPUT", abs, 1);
}

__attribute__((constructor(101))) static void lw_init(void)
{
    int saved = errno;
    lw_stderr_note(); /* before anything could be said, and before the program runs */
    lw_resolve();
    if (getauxval(AT_SECURE)) {
        lw_g.disabled = 1; /* setuid/setgid: never trace */
        errno = saved;
        return;
    }
    lw_g.depth = lw_env_uint("WAIT_DEPTH", 32, 1, LW_MAX_DEPTH);
    lw_g.switches = (int)lw_env_uint("WAIT_SWITCHES", 1, 0, 1);
    lw_lone.s.all = lw_env_locks();
    unsigned kb = lw_env_uint("WAIT_CHUNK_KB", 1024, LW_CHUNK_MIN / 1024, LW_CHUNK_MAX / 1024);
    if (kb & (kb - 1)) {
        lw_warn("ignoring WAIT_CHUNK_KB=%u: not a power of two; using 1024", kb);
        kb = 1024;
    }
    lw_g.chunk_size = kb * 1024;
    lw_g.max_size = lw_env_size();
    lw_modules_self_range();
    lw_stack_init();
    lw_thread_init_key();
    lw_output_absolute();
    if (lw_writer_open() != 0) {
        lw_g.disabled = 1;
        lw_fd_release_all(); /* not recording: the program gets every fd number it would natively */
        errno = saved;
        return;
    }
    pthread_atfork(lw_atfork_prepare, lw_atfork_parent, lw_atfork_child);
    lw_control_init(); /* WAIT_START, WAIT_SIGNAL */
    __atomic_store_n(&lw_g.ready, 1, __ATOMIC_RELEASE);
    errno = saved;
}

/* lw_announce: at exit, where the trace went: the default name, or a
 * suffixed one when WAIT_OUTPUT's name was taken. Said by the first traced
 * process of a run only (lw_writer_parent_traced); when this image follows
 * others of its pid (exec) or forked traced children, the line adds the
 * glob that reads them all. */
static void lw_announce(void)
{
    char glob[LW_PATH_MAX + 8] = "";
    if (lw_g.gen || lw_g.forks) {
        const char *p = lw_g.path, *slash = strrchr(p, '/');
        const char *ext = strchr(slash ? slash + 1 : p, '.');
        if (lw_g.default_path)
            snprintf(glob, sizeof glob, "%.*swait.*.bin", slash ? (int)(slash + 1 - p) : 0, p);
        else /* a name with no %p: its generations share the part before the first dot */
            snprintf(glob, sizeof glob, "%.*s*%s", ext ? (int)(ext - p) : (int)strlen(p), p,
                     ext ? strrchr(ext, '.') : "");
    }
    const char *also = glob[0] ? ", or with the run's other processes: waitreport " : "";
    if (lw_g.renamed)
        lw_warn("the trace name was taken; trace written to %s instead%s%s", lw_g.path,
                glob[0] ? "; with the run's other processes: waitreport " : "", glob);
    else
        lw_warn("trace written to %s; read it with: waitreport %s%s%s", lw_g.path, lw_g.path, also, glob);
}

/* lw_close_trace: the end of this image's trace, at exit or as the image
 * ends without its destructors: the calling thread ended (not for an exec,
 * which may fail and return to it), every thread's counters flushed, the
 * end stamped and LW_HF_CLOSED set (LW_HF_EXEC too for an exec), and the
 * trace announced (not for an exec: the next image of this pid speaks). */
static void lw_close_trace(int exec)
{
    if (!exec)
        lw_thread_exit_current();
    lw_thread_flush_all();
    if (exec)
        __atomic_fetch_or(&lw_g.hdr->flags, LW_HF_EXEC, __ATOMIC_RELAXED);
    lw_writer_close();
    if (!exec && (lw_g.renamed || lw_g.default_path) && !lw_g.stopped && !lw_writer_parent_traced())
        lw_announce();
}

/* lw_end_image: close the trace as this process image ends without its
 * destructors, as lw_fini would (lw_close_trace). Only the process that
 * owns the trace does it: a vfork child shares the parent's memory, and a
 * fork child has a trace of its own only once it made a recorded call. Not from inside
 * libwait: a signal handler that ends the image may have interrupted it
 * holding the thread list. 1 when it closed the trace, for an exec that
 * fails to open it again (lw_exec_failed). */
int lw_end_image(int exec)
{
    struct lw_file_header *h = lw_g.hdr;
    if (!lw_g.ready || !h || lw_thread_inside() || h->pid != (uint32_t)getpid() ||
        (__atomic_load_n(&h->flags, __ATOMIC_ACQUIRE) & LW_HF_CLOSED))
        return 0;
    int saved = errno;
    lw_close_trace(exec);
    errno = saved;
    return 1;
}

__attribute__((destructor(101))) static void lw_fini(void)
{
    int saved = errno;
    if (lw_g.ready && lw_g.hdr)
        lw_close_trace(0);
    errno = saved;
}
