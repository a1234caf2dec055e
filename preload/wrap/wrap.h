/* wrap.h: the one shape of every wrapper, and the record encodings that
 * several families share.
 *
 * A wrapper takes the guard, stamps, calls the real function, stamps, and
 * records, always in these steps:
 *
 *     LW_EXPORT ssize_t read(int fd, void *buf, size_t n)
 *     {
 *         struct lw_thread *t = lw_wrap_enter(real_read != NULL);
 *         if (!t)
 *             return real_read(fd, buf, n);          (not recorded)
 *         uint64_t t0 = lw_rdtsc();
 *         ssize_t r = real_read(fd, buf, n);
 *         uint8_t *b = lw_wrap_record(t, t0, lw_rdtsc());
 *         if (b)
 *             b = lw_enc_io(b, (unsigned)fd, lw_result(t, r));
 *         lw_wrap_leave(t, LW_F_read, b);
 *         return r;
 *     }
 *
 * LW_WRAP writes exactly that; LW_WRAP_QUICK, LW_WRAP_TRYFIRST,
 * LW_WRAP_LONE and LW_WRAP_CANCELLABLE write it with one variation each (a
 * call that often returns at once, a lock tried first, a lock call under
 * the lone-thread rule, a recorded cancellation). The few
 * wrappers with a step of their own before the real call (an arena before
 * the real allocator, open's optional mode, close's own fds) write their
 * prologue and end with LW_WRAP_TAIL.
 *
 * The errno rule: the program sees errno exactly as the real call left
 * it. lw_wrap_record keeps errno in t->err as the first thing it does;
 * whatever recording does to errno afterwards, lw_wrap_leave stores t->err
 * back before it releases the guard. A record that carries the call's
 * errno (-errno for a failed read, a semaphore's EAGAIN) takes it from
 * t->err. Before the real call a wrapper leaves errno as it found it, and
 * a call that is not recorded (lw_wrap_enter gave NULL) returns straight
 * from the real call.
 *
 * Cancellation: a thread cancelled inside the real call unwinds through
 * the wrapper, which then never reaches lw_wrap_leave; the guard must
 * still be released, or the thread's later calls (its cleanup handlers
 * first) would go unrecorded. There are two ways, by family:
 *  - LW_WRAP_TAIL, and so LW_WRAP and LW_WRAP_QUICK, declare
 *    LW_UNWIND_GUARD(t), whose cleanup releases the guard
 *    as the unwinder passes. The files of the families whose calls are
 *    cancellation points (fd, event, sleep, stdio) are built with
 *    -fexceptions (Makefile), so that the unwinder runs it; the cancelled
 *    call is not recorded. Elsewhere the guard is inert (NULL at every
 *    normal exit).
 *  - the condition variable and semaphore waits and pthread_join
 *    (LW_WRAP_CANCELLABLE) push lw_cancelled with pthread_cleanup_push,
 *    which records the cancelled call with ECANCELED and releases the
 *    guard. Their files are built without -fexceptions, where pthread.h's
 *    form of it is setjmp-based; with -fexceptions it is the cleanup
 *    attribute, and the cancelled calls go unrecorded. */
#ifndef LW_WRAP_H
#define LW_WRAP_H

#include "runtime/runtime.h"

/* lw_wrap_enter: the prologue. resolved says the real functions this
 * wrapper calls are set; when not, lw_resolve runs first. Returns the
 * calling thread's state with its guard taken, or NULL when this call must
 * not be recorded (nested in libwait or in another wrapped call, paused,
 * not ready, disabled). Always inlined into the wrapper, so
 * __builtin_frame_address(0) is the wrapper's frame: kept in guard_sp, it
 * lets lw_enter_slow tell a call nested inside this wrapper (deeper on the
 * stack) from one made after the program left the wrapper without
 * returning (siglongjmp out of a signal handler that interrupted it),
 * which runs at or above that frame. */
static inline __attribute__((always_inline)) struct lw_thread *lw_wrap_enter(int resolved)
{
    if (LW_UNLIKELY(!resolved))
        lw_resolve();
    struct lw_thread *t = lw_tls;
    if (LW_LIKELY(t != NULL && !t->guard && !__atomic_load_n(lw_pause_word, __ATOMIC_RELAXED))) {
        t->guard = 1;
        t->guard_sp = (uintptr_t)__builtin_frame_address(0);
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        return t;
    }
    return lw_enter_slow((uintptr_t)__builtin_frame_address(0));
}

/* lw_lone_thread: the calling thread's state when a lock call may take the
 * lone-thread rule's path (runtime.h): recording on and not paused, and
 * the thread not inside libwait or a wrapped call; else NULL, and the call
 * takes the wrapper's usual path. No guard is taken, because the path makes
 * no record: it calls the real function and counts the call in t->lone
 * (lw_count_one, which a signal handler's own counting cannot tear), so a
 * signal handler that runs meanwhile is recorded like any other code. */
static inline __attribute__((always_inline)) struct lw_thread *lw_lone_thread(int resolved)
{
    struct lw_thread *t = lw_tls;
    if (LW_LIKELY(resolved && t != NULL && !t->guard && !__atomic_load_n(lw_pause_word, __ATOMIC_RELAXED)))
        return t;
    return NULL;
}

/* lw_wrap_record: the epilogue's first half, for a call that ran over
 * [t0, t1): keeps errno (the errno rule), takes the stack, makes room and
 * writes the common part of the call record. Returns where the arguments
 * go, or NULL when nothing can be recorded (the call is counted as
 * dropped). The likely path is a stack cache hit with room in the chunk;
 * a clock sync, a context-switch drain and a new chunk are the writer's
 * slow path, lw_writer_room. */
static inline uint8_t *lw_wrap_record(struct lw_thread *t, uint64_t t0, uint64_t t1)
{
    t->err = *(LW_LIKELY(t->errp != NULL) ? t->errp : &errno);
    if (LW_UNLIKELY((t->st.records & (LW_SELF_SAMPLE - 1)) == 0))
        t->self_t0 = t1;
    uint32_t id = lw_stack_id(t);
    if (LW_UNLIKELY(t1 - t->last_sync > LW_SYNC_TICKS || lw_switch_due(t) || t->cur + LW_REC_CALL_MAX > t->limit) &&
        !lw_writer_room(t, t1))
        return NULL;
    return lw_enc_call(t->cur + 2, &t->last_tsc, id, t0, t1);
}

/* lw_wrap_leave: the epilogue's second half. When end is not NULL (the
 * record's arguments end there) the record is published: its length is
 * filled, then its kind byte stored last, so that a reader never takes a
 * torn record for a whole one. Then errno is restored (the errno rule) and
 * the guard released. */
static inline void lw_wrap_leave(struct lw_thread *t, unsigned kind, uint8_t *end)
{
    if (LW_LIKELY(end != NULL)) {
        uint8_t *p = t->cur;
        lw_enc_call_len(p, end);
        __atomic_store_n(p, (uint8_t)kind, __ATOMIC_RELEASE);
        t->cur = end;
        t->st.records++;
        t->st.bytes += (uint64_t)(end - p);
        if (LW_UNLIKELY(t->self_t0)) {
            t->st.self_ticks += (lw_rdtsc() - t->self_t0) * LW_SELF_SAMPLE;
            t->self_t0 = 0;
        }
    }
    *(LW_LIKELY(t->errp != NULL) ? t->errp : &errno) = t->err;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    t->guard = 0;
}

/* lw_unwound: cleanup of a wrapper's guard variable (LW_UNWIND_GUARD). It
 * runs only when the thread is cancelled inside the real call (a forced
 * unwind through the wrapper) and releases the guard, so that the
 * program's own cancellation cleanup handlers, which run after it, are
 * recorded. On a normal return the variable is NULL and this does
 * nothing. */
static inline void lw_unwound(struct lw_thread **pt)
{
    if (LW_UNLIKELY(*pt != NULL)) {
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        (*pt)->guard = 0;
    }
}

/* LW_UNWIND_GUARD(t): declare lw_ug, holding t while the real call runs;
 * the wrapper sets lw_ug = NULL as soon as the real call returns. */
#define LW_UNWIND_GUARD(t) struct lw_thread *lw_ug __attribute__((cleanup(lw_unwound))) = (t)

/* LW_WRAP_TAIL: the shape from the first stamp on, ending the wrapper:
 * call (the real call, of type rtype) runs under LW_UNWIND_GUARD(t), then
 * the call is recorded as function id f and its result r returned. encode
 * appends the record's arguments: an expression of b (where they go),
 * returning where they end, that may use t, r and the wrapper's
 * parameters, which must therefore not be named t, t0, t1, r or b. quick,
 * evaluated after the first stamp and before the real call, says the call
 * will return at once (an unlock or a wake-up with no waiter to wake):
 * such a call takes one stamp (duration 0). */
#define LW_WRAP_TAIL(rtype, call, quick, f, encode) LW_WRAP_TAIL_NOTE(rtype, call, quick, f, (void)0, encode)

/* LW_WRAP_TAIL_NOTE: LW_WRAP_TAIL with a statement note run after the
 * second stamp and before the call record (outside the call's time), with
 * the guard still taken: the FDID of an fd the call made. note must keep
 * errno (the errno rule). */
#define LW_WRAP_TAIL_NOTE(rtype, call, quick, f, note, encode)                                                         \
    LW_UNWIND_GUARD(t);                                                                                                \
    uint64_t t0 = lw_rdtsc(), t1 = t0;                                                                                 \
    int lw_quick = (quick);                                                                                            \
    rtype r = call;                                                                                                    \
    if (!lw_quick)                                                                                                     \
        t1 = lw_rdtsc();                                                                                               \
    lw_ug = NULL;                                                                                                      \
    note;                                                                                                              \
    uint8_t *b = lw_wrap_record(t, t0, t1);                                                                            \
    if (b)                                                                                                             \
        b = (encode);                                                                                                  \
    lw_wrap_leave(t, f, b);                                                                                            \
    return r

/* LW_WRAP: the exported function sym(params), recorded as function id f,
 * in the shape above: prologue, then LW_WRAP_TAIL. */
#define LW_WRAP(rtype, sym, f, params, args, encode) LW_WRAP_QUICK(rtype, sym, f, params, args, 0, encode)

/* LW_WRAP_QUICK: LW_WRAP for a call that often returns at once (quick, as
 * in LW_WRAP_TAIL). */
#define LW_WRAP_QUICK(rtype, sym, f, params, args, quick, encode)                                                      \
    LW_EXPORT rtype sym params                                                                                         \
    {                                                                                                                  \
        struct lw_thread *t = lw_wrap_enter(real_##sym != NULL);                                                       \
        if (!t)                                                                                                        \
            return real_##sym args;                                                                                    \
        LW_WRAP_TAIL(rtype, real_##sym args, quick, f, encode);                                                        \
    }

/* LW_WRAP_NOTE: LW_WRAP with a note (as in LW_WRAP_TAIL_NOTE). */
#define LW_WRAP_NOTE(rtype, sym, f, params, args, note, encode)                                                        \
    LW_EXPORT rtype sym params                                                                                         \
    {                                                                                                                  \
        struct lw_thread *t = lw_wrap_enter(real_##sym != NULL);                                                       \
        if (!t)                                                                                                        \
            return real_##sym args;                                                                                    \
        LW_WRAP_TAIL_NOTE(rtype, real_##sym args, 0, f, note, encode);                                                 \
    }

/* LW_WRAP_TRYFIRST: a lock call sym(params) on the object o, tried first
 * with try(o) when ok says the real call would not refuse its arguments
 * at once. A free lock costs one stamp (duration 0), or none when alone
 * (an expression of o, tested after the try took the lock) says the
 * lone-thread rule applies; only a busy one (EBUSY) is timed around the
 * real call, from after the try, and flagged LW_LOCK_CONTENDED. LOCK
 * schema. The timed variants take this shape: for them, a lock the thread
 * holds itself is a wait, until the timeout. */
#define LW_WRAP_TRYFIRST(sym, try, f, params, args, o, ok, alone)                                                      \
    LW_EXPORT int sym params { LW_TRYFIRST_BODY(sym, try, f, args, o, ok, alone); }

/* LW_WRAP_LOCK: LW_WRAP_TRYFIRST for a lock call that waits for nothing
 * but another thread (a lock it holds itself never comes free: an error,
 * a relock of a recursive mutex, or a hang, natively too). Under the
 * lone-thread rule (alone, tested before the call) it is the real call
 * alone, counted when it returns 0 (lw_lone_thread); a failure is recorded
 * with one stamp, flagged LW_LOCK_CONTENDED when it is EDEADLK (the lock
 * was not free). */
#define LW_WRAP_LOCK(sym, try, f, params, args, o, alone)                                                              \
    LW_EXPORT int sym params                                                                                           \
    {                                                                                                                  \
        LW_LONE_PATH(sym, f, args, o, alone, r == EDEADLK ? LW_LOCK_CONTENDED : 0);                                    \
        LW_TRYFIRST_BODY(sym, try, f, args, o, 1, alone);                                                              \
    }

/* LW_LONE_PATH: the lone-thread rule's path of a lock call sym(args) of
 * function id f on o, taken when alone (tested first) says the rule
 * applies: the real call, counted when it returns 0, else recorded by
 * lw_lone_failed with flags (an expression of its result r). */
#define LW_LONE_PATH(sym, f, args, o, alone, flags)                                                                    \
    struct lw_thread *lt = lw_lone_thread(real_##sym != NULL);                                                         \
    if (lt && (alone)) {                                                                                               \
        int r = real_##sym args;                                                                                       \
        if (LW_LIKELY(r == 0))                                                                                         \
            lw_count_one(&lt->lone);                                                                                   \
        else                                                                                                           \
            lw_lone_failed(f, (const void *)(o), (unsigned)r, (flags));                                                \
        return r;                                                                                                      \
    }

/* LW_TRYFIRST_BODY: the body of LW_WRAP_TRYFIRST. */
#define LW_TRYFIRST_BODY(sym, try, f, args, o, ok, alone)                                                              \
    struct lw_thread *t = lw_wrap_enter(real_##sym && real_##try);                                                     \
    if (!t)                                                                                                            \
        return real_##sym args;                                                                                        \
    int r = (ok) ? real_##try(o) : EBUSY;                                                                              \
    if (r == 0 && (alone)) {                                                                                           \
        lw_wrap_lone(t);                                                                                               \
        return 0;                                                                                                      \
    }                                                                                                                  \
    if (LW_LIKELY(r != EBUSY)) {                                                                                       \
        lw_wrap_obj_now(t, f, (const void *)(o), (unsigned)r);                                                         \
        return r;                                                                                                      \
    }                                                                                                                  \
    uint64_t t0 = lw_rdtsc();                                                                                          \
    r = real_##sym args;                                                                                               \
    lw_wrap_obj(t, f, t0, lw_rdtsc(), (const void *)(o), (unsigned)r, LW_LOCK_CONTENDED);                              \
    return r

/* LW_WRAP_LONE: a lock call sym(params) on the object o that never waits
 * for long (a trylock, an unlock), recorded with its error number (LOCK
 * schema). Under the lone-thread rule (alone, tested before the call) it is
 * the real call alone, counted when it returns 0 (lw_lone_thread), and a
 * failure is recorded with one stamp; otherwise the call is timed around
 * as LW_WRAP_QUICK's, quick as there. */
#define LW_WRAP_LONE(sym, f, params, args, o, alone, quick)                                                            \
    LW_EXPORT int sym params                                                                                           \
    {                                                                                                                  \
        LW_LONE_PATH(sym, f, args, o, alone, 0);                                                                       \
        struct lw_thread *t = lw_wrap_enter(real_##sym != NULL);                                                       \
        if (!t)                                                                                                        \
            return real_##sym args;                                                                                    \
        LW_WRAP_TAIL(int, real_##sym args, quick, f, lw_put_obj(t, b, (const void *)(o), (unsigned)r, 0));             \
    }

/* LW_WRAP_CANCELLABLE: a sync wait sym(params) that is a cancellation
 * point, recorded with ECANCELED when cancelled (lw_cancelled, with the
 * object obj and, for a COND record, mutex); otherwise like LW_WRAP. */
#define LW_WRAP_CANCELLABLE(sym, f, params, args, obj, mutex, encode)                                                  \
    LW_EXPORT int sym params                                                                                           \
    {                                                                                                                  \
        struct lw_pending pd = {lw_wrap_enter(real_##sym != NULL), 0, obj, mutex, f};                                  \
        if (!pd.t)                                                                                                     \
            return real_##sym args;                                                                                    \
        pd.t0 = lw_rdtsc();                                                                                            \
        int r;                                                                                                         \
        pthread_cleanup_push(lw_cancelled, &pd);                                                                       \
        r = real_##sym args;                                                                                           \
        pthread_cleanup_pop(0);                                                                                        \
        uint64_t t1 = lw_rdtsc();                                                                                      \
        struct lw_thread *t = pd.t; /* read from memory: pthread_cleanup_push's setjmp may clobber registers */        \
        uint8_t *b = lw_wrap_record(t, pd.t0, t1);                                                                     \
        if (b)                                                                                                         \
            b = (encode);                                                                                              \
        lw_wrap_leave(t, f, b);                                                                                        \
        return r;                                                                                                      \
    }

/* LW_ALIAS: export sym2 as the very same function as sym (the 64 names of
 * glibc on LP64, where off_t is off64_t and glibc aliases them too). */
#define LW_ALIAS(sym, sym2) LW_EXPORT __typeof__(sym) sym2 __attribute__((alias(#sym)))

/* lw_result: a result as recorded: r, or -errno when r is negative (the
 * call failed; errno as it left it, t->err). */
static inline int64_t lw_result(const struct lw_thread *t, int64_t r) { return r < 0 ? -(int64_t)t->err : r; }

/* The encodings most LW_WRAP calls on an fd use: the parameter fd and the
 * result r, bytes (IO) or an fd or 0 (FDOP), -errno on failure. */
#define LW_ENC_IO   lw_enc_io(b, (unsigned)fd, lw_result(t, r))
#define LW_ENC_FDOP lw_enc_fdop(b, fd, lw_result(t, r))

/* lw_put_obj: the LOCK and SYNC schemas' arguments (lw_enc_obj) of the
 * object o, against t's last object. */
static inline uint8_t *lw_put_obj(struct lw_thread *t, uint8_t *b, const void *o, unsigned err, unsigned flags)
{
    return lw_enc_obj(b, &t->last_obj, (uintptr_t)o, err, flags);
}

/* lw_put_cond: the COND schema's (lw_enc_cond): the condvar c, the mutex
 * m, the error number. */
static inline uint8_t *lw_put_cond(struct lw_thread *t, uint8_t *b, const void *c, const void *m, unsigned err)
{
    return lw_enc_cond(b, &t->last_obj, (uintptr_t)c, (uintptr_t)m, err);
}

/* lw_wrap_obj: the whole epilogue of a LOCK- or SYNC-schema call. */
static inline __attribute__((always_inline)) void lw_wrap_obj(struct lw_thread *t, unsigned f, uint64_t t0, uint64_t t1,
                                                              const void *o, unsigned err, unsigned flags)
{
    uint8_t *b = lw_wrap_record(t, t0, t1);
    if (b)
        b = lw_put_obj(t, b, o, err, flags);
    lw_wrap_leave(t, f, b);
}

/* lw_wrap_lone: the end of a lock call taken under the lone-thread rule
 * (runtime.h): counted, not recorded, and the guard released. errno is
 * left alone: the wrapper touched it nowhere, and the real pthread call
 * reports by its result. */
static inline void lw_wrap_lone(struct lw_thread *t)
{
    lw_count_one(&t->lone);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    t->guard = 0;
}

/* lw_wrap_obj_now: the whole epilogue of a LOCK- or SYNC-schema call that
 * returned at once, with err and no flags: one stamp, duration 0. */
static inline __attribute__((always_inline)) void lw_wrap_obj_now(struct lw_thread *t, unsigned f, const void *o,
                                                                  unsigned err)
{
    uint64_t t0 = lw_rdtsc();
    lw_wrap_obj(t, f, t0, t0, o, err, 0);
}

/* lw_lone_failed: record a lock call of function id f on o that failed
 * with err (flags: LW_LOCK_*) on the lone-thread rule's path, which made
 * it without the guard: one stamp, duration 0, the guard taken for the
 * record only. Out of line: failures are rare. */
void lw_lone_failed(unsigned f, const void *o, unsigned err, unsigned flags);

/* A wrapped call that is a cancellation point recorded when cancelled:
 * what lw_cancelled needs to record it. */
struct lw_pending {
    struct lw_thread *t;
    uint64_t t0;
    const void *obj, *mutex; /* mutex: COND records only */
    unsigned func;
};

/* lw_cancelled: pthread_cleanup_push handler of a cancelled wrapped call
 * (arg: its struct lw_pending): records it with ECANCELED and releases the
 * guard; the program's own cleanup handlers run after it, as natively. */
void lw_cancelled(void *arg);

#endif
