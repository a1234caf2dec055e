/* sleep.c: nanosleep, clock_nanosleep, usleep and sleep: intentional waits
 * (family "sleep"), with the time asked for. glibc's sleep and usleep reach
 * nanosleep inside libc without the PLT, so each is wrapped itself; one
 * sleep() is one record (a nested call would also pass unrecorded). */
#define _GNU_SOURCE
#include <time.h>
#include <unistd.h>

#include "wrap/wrap.h"

/* lw_ts_ns: a timespec as ns (0 for NULL or negative). */
static inline uint64_t lw_ts_ns(const struct timespec *ts)
{
    if (!ts || ts->tv_sec < 0 || ts->tv_nsec < 0)
        return 0;
    return (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
}

LW_WRAP(int, nanosleep, LW_F_nanosleep, (const struct timespec *req, struct timespec *rem), (req, rem),
        lw_enc_sleep(b, lw_ts_ns(req), lw_result(t, r)))
LW_WRAP(int, usleep, LW_F_usleep, (useconds_t us), (us), lw_enc_sleep(b, (uint64_t)us * 1000, lw_result(t, r)))
LW_WRAP(unsigned, sleep, LW_F_sleep, (unsigned s), (s), lw_enc_sleep(b, (uint64_t)s * 1000000000ull, (int64_t)r))

/* clock_nanosleep returns an error number (errno untouched). An absolute
 * deadline is recorded as the time that was left to it at the call. */
LW_EXPORT int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req, struct timespec *rem)
{
    struct lw_thread *t = lw_wrap_enter(real_clock_nanosleep != NULL);
    if (!t)
        return real_clock_nanosleep(clk, flags, req, rem);
    uint64_t ns = lw_ts_ns(req);
    if (flags & TIMER_ABSTIME) {
        struct timespec now;
        int saved = errno; /* a clock it refuses must not change errno */
        uint64_t n = clock_gettime(clk, &now) == 0 ? lw_ts_ns(&now) : ns;
        errno = saved;
        ns = ns > n ? ns - n : 0;
    }
    LW_WRAP_TAIL(int, real_clock_nanosleep(clk, flags, req, rem), 0, LW_F_clock_nanosleep,
                 lw_enc_sleep(b, ns, -(int64_t)r));
}
