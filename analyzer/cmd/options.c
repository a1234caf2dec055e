/* options.c: the parsers of option values that every command shares; a bad
 * value ends the program with status 2 after a message naming the option. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/options.h"
#include "trace/symbols.h"

uint64_t wr_parse_count(const char *opt, const char *v, uint64_t max)
{
    char *end;
    if (!v || !*v || *v < '0' || *v > '9') {
        fprintf(stderr, "waitreport: %s needs a whole number\n", opt);
        exit(2);
    }
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (*end || errno || n > max) {
        fprintf(stderr, "waitreport: %s: bad number '%s' (0 to %llu)\n", opt, v, (unsigned long long)max);
        exit(2);
    }
    return n;
}

double wr_parse_real(const char *opt, const char *v)
{
    char *end;
    if (!v || !*v || !((*v >= '0' && *v <= '9') || *v == '.')) {
        fprintf(stderr, "waitreport: %s needs a number\n", opt);
        exit(2);
    }
    double d = strtod(v, &end);
    if (*end || !isfinite(d) || d < 0 || d > 1e12) {
        fprintf(stderr, "waitreport: %s: bad number '%s'\n", opt, v);
        exit(2);
    }
    return d;
}

void wr_parse_window(const char *opt, const char *v, struct wr_window *w)
{
    int since = !strcmp(opt, "--since"), neg = v && *v == '-';
    const char *p = v ? v + neg : "";
    char *end;
    double d = (*p >= '0' && *p <= '9') || *p == '.' ? strtod(p, &end) : -1;
    double unit = 1e9;
    if (d >= 0 && !strcmp(end, "ms"))
        unit = 1e6;
    else if (d >= 0 && *end && strcmp(end, "s"))
        d = -1;
    if (!(d >= 0) || !isfinite(d) || d * unit > 1e18) {
        fprintf(stderr,
                "waitreport: %s '%s': give seconds from the start of the trace, or from its end with a minus "
                "sign (10, 1.5, 250ms, -10)\n",
                opt, v ? v : "");
        exit(2);
    }
    uint64_t ns = (uint64_t)(d * unit + 0.5);
    if (since)
        w->since_ns = ns, w->since_end = neg, w->has_since = 1;
    else
        w->until_ns = ns, w->until_end = neg, w->has_until = 1;
    if (w->has_since && w->has_until && w->since_end == w->until_end &&
        (w->since_end ? w->since_ns <= w->until_ns : w->since_ns >= w->until_ns)) {
        fprintf(stderr, "waitreport: --since must come before --until: the window is empty\n");
        exit(2);
    }
}

void wr_parse_debuginfo_path(const char *opt, const char *v)
{
    if (!v || !*v) {
        fprintf(stderr, "waitreport: %s needs a directory (DIR[:DIR...])\n", opt);
        exit(2);
    }
    if (wr_symbols_set_debuginfo_path(v) != 0) {
        fprintf(stderr, "waitreport: %s %s: cannot use it (out of memory, or no current directory)\n", opt, v);
        exit(2);
    }
}

int wr_color_default(void) { return isatty(1) && !getenv("NO_COLOR"); }
