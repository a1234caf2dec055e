/* diff_causes.c: the causes of each site of a run (analyses/wakers.c:
 * what the waits' time was handed on to), keyed so that two runs compare:
 * the site by its key (sitekey.h), a cause by its call or label and the
 * function names of its stack. Threads are left out of the key: their
 * tids differ from run to run. */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/diff.h"
#include "output/fmt.h"

struct dcause {
    char *key;  /* "name;frame;frame..." innermost first */
    char *line; /* "usleep in stage_c (wake_helper.c:94)" */
    uint64_t ns;
};

struct dcsite {
    UT_hash_handle hh;
    char *key; /* the site's key */
    struct dcause *c;
    size_t n, cap;
};

/* cause_key: a cause's key and display line into new strings; 0 or -1. */
static int cause_key(struct wr_model *m, const struct wr_wake *w, char **key, char **line)
{
    const struct lw_func_info *fi = w->func ? lw_func_info_of(w->func) : NULL;
    const char *name = fi ? fi->name : w->label ? w->label : "?";
    struct wr_frame fr[LW_MAX_DEPTH];
    size_t nf = w->stack ? wr_model_frames(m, w->stack, fr, LW_MAX_DEPTH) : 0;
    size_t len = strlen(name) + 1;
    for (size_t i = 0; i < nf; i++)
        len += strlen(fr[i].function) + 1;
    char at[WR_NAME_CAP];
    if (nf)
        wr_frame_line(at, sizeof at, &fr[0]);
    *key = malloc(len);
    *line = malloc(strlen(name) + (nf ? strlen(at) + 5 : 1));
    if (!*key || !*line) {
        free(*key), free(*line);
        return -1;
    }
    strcpy(*key, name);
    for (size_t i = 0; i < nf; i++)
        strcat(strcat(*key, ";"), fr[i].function);
    strcpy(*line, name);
    if (nf)
        strcat(strcat(*line, " in "), at);
    return 0;
}

/* add: ns of cause w to site s. 0 or -1. */
static int add(struct dcsite *s, struct wr_model *m, const struct wr_wake *w)
{
    char *key, *line;
    if (cause_key(m, w, &key, &line) != 0)
        return -1;
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->c[i].key, key)) {
            s->c[i].ns += w->ns;
            free(key), free(line);
            return 0;
        }
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        struct dcause *c = realloc(s->c, cap * sizeof *c);
        if (!c) {
            free(key), free(line);
            return -1;
        }
        s->c = c, s->cap = cap;
    }
    s->c[s->n++] = (struct dcause){key, line, w->ns};
    return 0;
}

int wr_dcauses_load(struct dcsite **h, struct wr_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        struct wr_model *m = &set->m[i];
        for (size_t j = 0; j < m->nsites; j++) {
            const struct wr_site *st = m->sorted[j];
            if (!st->ncauses)
                continue;
            size_t nf;
            char *key = wr_site_key(m, st, &nf);
            if (!key)
                return -1;
            struct dcsite *s;
            HASH_FIND_STR(*h, key, s);
            if (s)
                free(key);
            else if (!(s = calloc(1, sizeof *s))) {
                free(key);
                return -1;
            } else {
                s->key = key;
                HASH_ADD_KEYPTR(hh, *h, s->key, strlen(s->key), s);
            }
            for (size_t k = 0; k < st->ncauses; k++)
                if (add(s, m, &st->causes[k]) != 0)
                    return -1;
        }
    }
    return 0;
}

void wr_dcauses_free(struct dcsite **h)
{
    struct dcsite *s, *t;
    HASH_ITER(hh, *h, s, t)
    {
        HASH_DEL(*h, s);
        for (size_t i = 0; i < s->n; i++)
            free(s->c[i].key), free(s->c[i].line);
        free(s->c);
        free(s->key);
        free(s);
    }
}

static uint64_t larger(const struct wr_dchange *c) { return c->ns[0] > c->ns[1] ? c->ns[0] : c->ns[1]; }

static int cmp_change(const void *a, const void *b)
{
    const struct wr_dchange *x = a, *y = b;
    uint64_t u = larger(x), v = larger(y);
    return u != v ? (u > v ? -1 : 1) : strcmp(x->key, y->key);
}

size_t wr_dcauses_diff(struct dcsite *const h[2], const char *site, struct wr_dchange *out, size_t cap)
{
    struct dcsite *s[2];
    size_t n = 0, all = 0;
    for (int i = 0; i < 2; i++) {
        HASH_FIND_STR(h[i], site, s[i]);
        all += s[i] ? s[i]->n : 0;
    }
    if (!all)
        return 0;
    struct wr_dchange *v = malloc(all * sizeof *v);
    if (!v)
        return 0; /* out of memory: the row goes without its causes */
    for (int i = 0; i < 2; i++)
        for (size_t k = 0; s[i] && k < s[i]->n; k++) {
            const struct dcause *c = &s[i]->c[k];
            size_t j = 0;
            while (j < n && strcmp(v[j].key, c->key))
                j++;
            if (j == n)
                v[n++] = (struct wr_dchange){c->key, c->line, {0, 0}};
            v[j].ns[i] += c->ns;
        }
    qsort(v, n, sizeof *v, cmp_change);
    n = n < cap ? n : cap;
    memcpy(out, v, n * sizeof *v);
    free(v);
    return n;
}

void wr_diff_causes_json(FILE *f, const struct drow *r, const struct side d[2])
{
    struct wr_dchange c[WR_DIFF_CAUSES];
    struct dcsite *h[2] = {d[0].causes, d[1].causes};
    size_t n = wr_dcauses_diff(h, r->key, c, WR_DIFF_CAUSES);
    fputs(",\"causes\":[", f);
    for (size_t i = 0; i < n; i++) {
        const char *semi = strchr(c[i].key, ';'), *in = strstr(c[i].line, " in ");
        char name[64]; /* a call's name or a label: the key up to its first frame */
        snprintf(name, sizeof name, "%.*s", (int)(semi ? semi - c[i].key : (ptrdiff_t)strlen(c[i].key)), c[i].key);
        fputs(i ? ",{\"function\":" : "{\"function\":", f);
        wr_json_str(f, name);
        fputs(",\"at\":", f);
        if (semi && in)
            wr_json_str(f, in + 4);
        else
            fputs("null", f);
        fputs(",\"key\":", f);
        wr_json_str(f, c[i].key);
        fprintf(f, ",\"ns_old\":%" PRIu64 ",\"ns_new\":%" PRIu64 ",\"ns_delta\":%" PRId64 "}", c[i].ns[0], c[i].ns[1],
                delta_of(c[i].ns[0], c[i].ns[1]));
    }
    fputc(']', f);
}
