/* fmt.c: the formatting helpers every output shares (fmt.h). */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output/fmt.h"
#include "output/report.h"

size_t wr_utf8_seq(const unsigned char *p)
{
    unsigned c = p[0], lo = 0x80, hi = 0xbf;
    size_t n;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    } else
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return n;
}

void wr_json_str(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\u%04x", *p);
        else if (*p < 0x80)
            fputc(*p, f);
        else {
            size_t n = wr_utf8_seq(p);
            if (!n)
                fputs("\\ufffd", f); /* one per bad byte: the output is always valid UTF-8 */
            else
                fwrite(p, 1, n, f), p += n - 1;
        }
    }
    fputc('"', f);
}

const char *wr_clean(char *buf, size_t cap, const char *s)
{
    size_t o = 0;
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[5];
        if (c == '\n')
            memcpy(esc, "\\n", 3);
        else if (c == '\t')
            memcpy(esc, "\\t", 3);
        else if (c == '\r')
            memcpy(esc, "\\r", 3);
        else if (c < 0x20 || c == 0x7f)
            snprintf(esc, sizeof esc, "\\x%02x", c);
        else
            esc[0] = (char)c, esc[1] = 0;
        size_t n = strlen(esc);
        if (o + n + 1 > cap)
            break; /* cut before an escape, never inside one */
        memcpy(buf + o, esc, n);
        o += n;
    }
    if (cap)
        buf[o] = 0;
    return buf;
}

void wr_json_frames(FILE *f, struct wr_model *m, uint32_t stack)
{
    struct wr_frame fr[LW_MAX_DEPTH];
    wr_json_frame_list(f, fr, wr_model_frames(m, stack, fr, LW_MAX_DEPTH));
}

void wr_json_frame_list(FILE *f, const struct wr_frame *fr, size_t n)
{
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",{\"function\":" : "{\"function\":", f);
        wr_json_str(f, fr[i].function);
        fputs(",\"file\":", f);
        wr_json_str(f, fr[i].file);
        fprintf(f, ",\"line\":%d,\"module\":", fr[i].line);
        wr_json_str(f, fr[i].module);
        fprintf(f, ",\"addr\":\"0x%" PRIx64 "\",\"inlined\":%s}", fr[i].addr, fr[i].inlined ? "true" : "false");
    }
    fputc(']', f);
}

void wr_frame_line(char *buf, size_t cap, const struct wr_frame *f)
{
    const char *file = f->file ? strrchr(f->file, '/') : NULL;
    file = file ? file + 1 : f->file;
    if (file && f->line)
        snprintf(buf, cap, "%s (%s:%d)%s", f->function, file, f->line, f->inlined ? " [inlined]" : "");
    else
        snprintf(buf, cap, "%s (%s+0x%" PRIx64 ")", f->function, f->module, f->offset);
}

/* cmp_str: strcmp with NULL before every string. */
static int cmp_str(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

int wr_frame_cmp(const struct wr_frame *a, const struct wr_frame *b)
{
    int c = cmp_str(a->function, b->function);
    if (c)
        return c;
    /* A frame prints file:line when it has both, else module+offset. */
    int la = a->file && a->line, lb = b->file && b->line;
    if (la != lb)
        return la - lb;
    if (la) {
        const char *fa = strrchr(a->file, '/'), *fb = strrchr(b->file, '/');
        if ((c = strcmp(fa ? fa + 1 : a->file, fb ? fb + 1 : b->file)))
            return c;
        if (a->line != b->line)
            return a->line < b->line ? -1 : 1;
        return (a->inlined != 0) - (b->inlined != 0);
    }
    if ((c = cmp_str(a->module, b->module)))
        return c;
    return a->offset < b->offset ? -1 : a->offset > b->offset;
}

/* The rows wr_distinct_depths sorts, by key and then frame by frame. */
struct depth_row {
    const char *key;
    const struct wr_frame *fr;
    size_t nf, i;
};

static int depth_row_cmp(const void *pa, const void *pb)
{
    const struct depth_row *a = pa, *b = pb;
    int c = cmp_str(a->key, b->key);
    for (size_t k = 0; !c && k < a->nf && k < b->nf; k++)
        c = wr_frame_cmp(&a->fr[k], &b->fr[k]);
    if (!c && a->nf != b->nf)
        c = a->nf < b->nf ? -1 : 1;
    return c ? c : (a->i > b->i) - (a->i < b->i);
}

/* common_frames: how many leading frames two rows of one key print alike;
 * SIZE_MAX when they print all their frames alike. */
static size_t common_frames(const struct depth_row *a, const struct depth_row *b)
{
    size_t k = 0;
    while (k < a->nf && k < b->nf && !wr_frame_cmp(&a->fr[k], &b->fr[k]))
        k++;
    return k == a->nf && k == b->nf ? SIZE_MAX : k;
}

int wr_distinct_depths(const char *const *key, const struct wr_frame *const *fr, const size_t *nf, size_t n, size_t min,
                       size_t *depth, size_t *twin)
{
    for (size_t i = 0; i < n; i++) {
        depth[i] = min;
        if (twin)
            twin[i] = SIZE_MAX;
    }
    if (n < 2)
        return 0;
    struct depth_row *r = malloc(n * sizeof *r);
    if (!r)
        return -1;
    for (size_t i = 0; i < n; i++)
        r[i] = (struct depth_row){key[i], fr[i], nf[i], i};
    qsort(r, n, sizeof *r, depth_row_cmp);
    /* In sorted order, the row that agrees longest with a row is one of its
     * two neighbours: its depth is one past that agreement. */
    for (size_t j = 0; j + 1 < n; j++) {
        if (cmp_str(r[j].key, r[j + 1].key))
            continue;
        size_t k = common_frames(&r[j], &r[j + 1]);
        if (k == SIZE_MAX && twin) /* ties sort by row, so r[j] is the earlier */
            twin[r[j + 1].i] = twin[r[j].i] != SIZE_MAX ? twin[r[j].i] : r[j].i;
        if (k == SIZE_MAX || k < min)
            continue;
        size_t *da = &depth[r[j].i], *db = &depth[r[j + 1].i];
        *da = k + 1 > *da ? (k + 1 < r[j].nf ? k + 1 : r[j].nf) : *da;
        *db = k + 1 > *db ? (k + 1 < r[j + 1].nf ? k + 1 : r[j + 1].nf) : *db;
    }
    /* Rows that print alike show alike: each as deep as the deepest of them. */
    for (size_t i = 0; twin && i < n; i++)
        if (twin[i] != SIZE_MAX && depth[i] > depth[twin[i]])
            depth[twin[i]] = depth[i];
    for (size_t i = 0; twin && i < n; i++)
        if (twin[i] != SIZE_MAX)
            depth[i] = depth[twin[i]];
    free(r);
    return 0;
}

void wr_print_frames(FILE *f, struct wr_model *m, uint32_t stack, size_t max, const char *dim, const char *off)
{
    struct wr_frame fr[64];
    wr_print_frame_list(f, fr, wr_model_frames(m, stack, fr, max < 64 ? max : 64), max, dim, off);
}

void wr_print_frame_list(FILE *f, const struct wr_frame *fr, size_t n, size_t max, const char *dim, const char *off)
{
    size_t nf = n < max ? n : max;
    nf = nf < 64 ? nf : 64;
    for (size_t k = 0; k < nf; k++) {
        char line[WR_NAME_CAP], fit[3 * 90 + 1];
        wr_frame_line(line, sizeof line, &fr[k]);
        wr_fit(fit, sizeof fit, line, 90);
        fprintf(f, "    %s%s %s%s\n", dim, k ? "<-" : "at", fit, off);
    }
    if (!nf && max)
        fprintf(f, "    %s(no stack)%s\n", dim, off);
}

void wr_print_frames_to(FILE *f, const struct wr_frame *fr, size_t n, size_t min, size_t depth, const char *dim,
                        const char *off)
{
    wr_print_frame_list(f, fr, n, min, dim, off);
    if (depth <= min || depth > n || depth > 64)
        return;
    if (depth > min + 1)
        fprintf(f, "    %s<- ... %zu frame%s ...%s\n", dim, depth - 1 - min, depth - 1 - min == 1 ? "" : "s", off);
    char line[WR_NAME_CAP], fit[3 * 90 + 1];
    wr_frame_line(line, sizeof line, &fr[depth - 1]);
    wr_fit(fit, sizeof fit, line, 90);
    fprintf(f, "    %s<- %s%s\n", dim, fit, off);
}

const char *wr_fmt_delta_ns(char *buf, size_t cap, int64_t ns)
{
    if (ns == 0) {
        snprintf(buf, cap, "0");
        return buf;
    }
    char t[32];
    wr_fmt_ns(t, sizeof t, ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns);
    snprintf(buf, cap, "%c%s", ns < 0 ? '-' : '+', t);
    return buf;
}

void wr_html_str(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            if (*p < 0x20 && *p != '\n' && *p != '\t')
                fputc('?', f);
            else
                fputc(*p, f);
        }
    }
}

const char *wr_site_name(struct wr_model *m, const struct wr_site *s, char *buf, size_t cap)
{
    const struct lw_func_info *fi = lw_func_info_of(s->func);
    struct wr_frame fr[1];
    char line[WR_NAME_CAP];
    if (wr_model_frames(m, s->stack, fr, 1)) {
        wr_frame_line(line, sizeof line, &fr[0]);
        snprintf(buf, cap, "%s at %s", fi ? fi->name : "?", line);
    } else {
        snprintf(buf, cap, "%s (no stack)", fi ? fi->name : "?");
    }
    return buf;
}

/* cols: the UTF-8 characters of s[0, n) (bytes that do not continue one). */
static size_t cols(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}

size_t wr_cols(const char *s) { return cols(s, strlen(s)); }

/* bytes_of: the bytes of the first c characters of s. */
static size_t bytes_of(const char *s, size_t c)
{
    size_t i = 0;
    for (; s[i]; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80 && !c--)
            break;
    return i;
}

size_t wr_fit(char *buf, size_t cap, const char *s, size_t width)
{
    static const char ell[] = "\xe2\x80\xa6"; /* U+2026 */
    size_t n = strlen(s), w = cols(s, n);
    if (w <= width || width < 2) {
        size_t k = w <= width ? n : bytes_of(s, width);
        snprintf(buf, cap, "%.*s", (int)k, s);
        return w <= width ? w : width;
    }
    static const char inl[] = " [inlined]"; /* wr_frame_line's mark, after the location */
    size_t end = n >= sizeof inl - 1 && !strcmp(s + n - (sizeof inl - 1), inl) ? n - (sizeof inl - 1) : n;
    const char *loc = NULL;
    if (end && s[end - 1] == ')')
        for (const char *p = s; (p = strstr(p, " (")) && p < s + end; p++)
            loc = p; /* the last " (" before the end */
    size_t lw = loc ? cols(loc, n - (size_t)(loc - s)) : 0;
    if (!loc || lw + 1 + 8 > width)
        loc = s + n, lw = 0; /* no room for it: keep the start only */
    size_t head = width - 1 - lw;
    snprintf(buf, cap, "%.*s%s%s", (int)bytes_of(s, head), s, ell, loc);
    return width;
}

const char *wr_locks_heading(char *buf, size_t cap, size_t nmutexes, size_t waited, size_t shown, int all)
{
    char a[32], b[32];
    wr_fmt_count(a, sizeof a, nmutexes);
    if (all)
        snprintf(buf, cap, "locks (all %s, by wait caused; %s made a thread wait)", a,
                 wr_fmt_count(b, sizeof b, waited));
    else if (!waited && nmutexes == 1)
        snprintf(buf, cap, "locks: no thread waited on the one lock (--all-locks lists it)");
    else if (!waited)
        snprintf(buf, cap, "locks: no thread waited on any of the %s locks (--all-locks lists them)", a);
    else if (waited == nmutexes)
        snprintf(buf, cap, "locks that made a thread wait (top %zu of %zu, by wait caused)", shown, waited);
    else
        snprintf(buf, cap,
                 "locks that made a thread wait (top %zu of %zu, by wait caused; --all-locks adds the %s no thread "
                 "waited on)",
                 shown, waited, wr_fmt_count(b, sizeof b, nmutexes - waited));
    return buf;
}

const char *wr_fmt_scaled(char *buf, size_t cap, uint64_t n, double step, const char *const *units, int nunits)
{
    double v = (double)n;
    int u = 0;
    while (u + 1 < nunits && v >= step)
        v /= step, u++;
    if (u == 0)
        snprintf(buf, cap, "%" PRIu64 " %s", n, units[0]);
    else
        snprintf(buf, cap, "%.*f %s", v < 10 ? 2 : v < 100 ? 1 : 0, v, units[u]);
    return buf;
}

const char *wr_fmt_bytes(char *buf, size_t cap, uint64_t n)
{
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    return wr_fmt_scaled(buf, cap, n, 1024.0, units, 5);
}

const char *wr_fmt_quantile(char *buf, size_t cap, uint64_t ns)
{
    if (!ns) {
        snprintf(buf, cap, "untimed");
        return buf;
    }
    return wr_fmt_ns(buf, cap, ns);
}

size_t wr_top_leaks(const struct wr_model *m, const struct wr_site **out, size_t max)
{
    const struct wr_site *prev = NULL; /* repeated selection: max is small */
    size_t n = 0;
    for (; n < max; n++) {
        const struct wr_site *best = NULL;
        for (size_t i = 0; i < m->nsites; i++) {
            const struct wr_site *s = m->sorted[i];
            if (!s->leaked || (prev && (s->leaked_bytes > prev->leaked_bytes ||
                                        (s->leaked_bytes == prev->leaked_bytes && s->key <= prev->key))))
                continue; /* taken already */
            if (!best || s->leaked_bytes > best->leaked_bytes ||
                (s->leaked_bytes == best->leaked_bytes && s->key < best->key))
                best = s;
        }
        if (!best)
            break;
        out[n] = prev = best;
    }
    return n;
}

const char *wr_fmt_ns(char *buf, size_t cap, uint64_t ns)
{
    static const char *const units[] = {"ns", "us", "ms", "s"};
    return wr_fmt_scaled(buf, cap, ns, 1000.0, units, 4);
}

const char *wr_fmt_count(char *buf, size_t cap, uint64_t n)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%" PRIu64, n);
    size_t o = 0;
    for (int i = 0; i < len && o + 2 < cap; i++) {
        if (i && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = 0;
    return buf;
}

const char *wr_fmt_per_call(char *buf, size_t cap, uint64_t bytes, uint64_t calls)
{
    double v = calls ? (double)bytes / (double)calls : 0;
    if (v < 100)
        snprintf(buf, cap, "%.1f", v);
    else
        wr_fmt_count(buf, cap, (uint64_t)(v + 0.5));
    return buf;
}
