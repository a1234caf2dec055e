/* options.c: the parsers of option values that every command shares; a bad
 * value ends the program with status 2 after a message naming the option. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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
