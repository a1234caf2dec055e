/* html_flame.c: the flame graph of the HTML report, laid out in C as an
 * inline SVG: one <g class="fr"> per frame with a <title>, a <rect> and a
 * clipped <text>; data-x/data-w/data-d carry its layout for the zoom
 * script in report_html.c. Paths are the folded keys of sitekey.h. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "oututil.h"
#include "report.h"

#define WIDTH 1200.0
#define ROW   17
#define MIN_W (WIDTH / 2000.0)

struct node {
    char *name;
    uint64_t value;
    int leaf; /* a wrapped function (the end of a path) */
    struct node **kids;
    size_t nkids, capkids;
};

static void free_node(struct node *n)
{
    for (size_t i = 0; i < n->nkids; i++)
        free_node(n->kids[i]);
    free(n->kids);
    free(n->name);
    free(n);
}

/* child: n's child called name (len bytes), created when missing; NULL on
 * out of memory. */
static struct node *child(struct node *n, const char *name, size_t len)
{
    for (size_t i = n->nkids; i-- > 0;) /* the last one added is the likeliest */
        if (strlen(n->kids[i]->name) == len && !memcmp(n->kids[i]->name, name, len))
            return n->kids[i];
    if (n->nkids == n->capkids) {
        size_t cap = n->capkids ? 2 * n->capkids : 4;
        struct node **k = realloc(n->kids, cap * sizeof *k);
        if (!k)
            return NULL;
        n->kids = k;
        n->capkids = cap;
    }
    struct node *c = calloc(1, sizeof *c);
    if (!c || !(c->name = strndup(name, len))) {
        free(c);
        return NULL;
    }
    return n->kids[n->nkids++] = c;
}

/* add_path: add weight w along the folded path key. 0 or -1. */
static int add_path(struct node *root, const char *key, uint64_t w)
{
    struct node *n = root;
    root->value += w;
    for (const char *p = key; *p;) {
        const char *e = strchr(p, ';');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (!(n = child(n, p, len)))
            return -1;
        n->value += w;
        n->leaf |= !e;
        p += len + (e != NULL);
    }
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp((*(struct node *const *)a)->name, (*(struct node *const *)b)->name);
}

static int depth_of(const struct node *n, double w, double scale)
{
    int d = 0;
    for (size_t i = 0; i < n->nkids; i++) {
        double cw = (double)n->kids[i]->value * scale;
        if (cw >= MIN_W) {
            int k = depth_of(n->kids[i], cw, scale);
            d = k > d ? k : d;
        }
    }
    (void)w;
    return d + 1;
}

/* colour: a warm colour for code frames, blue for the wrapped function
 * (the wait itself), stable per name. */
static void colour(char *buf, size_t cap, const struct node *n)
{
    unsigned h = 2166136261u;
    for (const char *p = n->name; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    if (n->leaf && !n->nkids)
        snprintf(buf, cap, "hsl(%u,70%%,%u%%)", 205 + h % 20, 55 + (h >> 8) % 15);
    else
        snprintf(buf, cap, "hsl(%u,85%%,%u%%)", 10 + h % 40, 55 + (h >> 8) % 15);
}

static void draw(FILE *f, struct node *n, double x, int d, int height, double scale, uint64_t total, int split)
{
    double w = (double)n->value * scale;
    int y = height - (d + 1) * ROW;
    char col[48], v[32];
    colour(col, sizeof col, n);
    fprintf(f, "<g class=\"fr\" data-x=\"%.2f\" data-w=\"%.2f\" data-d=\"%d\" data-v=\"%" PRIu64 "\" data-n=\"", x, w,
            d, n->value);
    wr_html_str(f, n->name);
    fprintf(f, "\"><title>");
    wr_html_str(f, n->name);
    fprintf(f, " (%s %s, %.2f%%)</title><rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"%s\" rx=\"2\"/>",
            wr_fmt_ns(v, sizeof v, n->value), split ? "wait" : "total",
            total ? 100.0 * (double)n->value / (double)total : 0, x, y, w, ROW - 1, col);
    size_t fit = w > 12 ? (size_t)((w - 6) / 6.6) : 0, len = strlen(n->name);
    fprintf(f, "<text x=\"%.2f\" y=\"%d\">", x + 3, y + ROW - 5);
    if (fit >= 3) {
        char *t = strndup(n->name, len <= fit ? len : fit - 2);
        wr_html_str(f, t ? t : "");
        if (len > fit)
            fputs("..", f);
        free(t);
    }
    fputs("</text></g>\n", f);
    if (n->nkids > 1)
        qsort(n->kids, n->nkids, sizeof *n->kids, cmp_name);
    double cx = x;
    for (size_t i = 0; i < n->nkids; i++) {
        double cw = (double)n->kids[i]->value * scale;
        if (cw >= MIN_W)
            draw(f, n->kids[i], cx, d + 1, height, scale, total, split);
        cx += cw;
    }
}

int wr_html_flame(FILE *f, const struct wr_ktable *t, int split) /* split: by wait */
{
    struct node *root = calloc(1, sizeof *root);
    if (!root || !(root->name = strdup("all"))) {
        free(root);
        return -1;
    }
    int r = 0;
    for (struct wr_ksite *k = t->h; k && !r; k = k->hh.next) {
        uint64_t w = split ? wr_kval_wait(&k->v) : k->v.total_ns;
        if (w)
            r = add_path(root, k->key, w);
    }
    if (!r) {
        double scale = root->value ? WIDTH / (double)root->value : 0;
        int depth = root->value ? depth_of(root, WIDTH, scale) : 1, height = depth * ROW + 4;
        fprintf(f,
                "<svg id=\"flamegraph\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %d\" "
                "width=\"100%%\" data-width=\"%.0f\" data-row=\"%d\" data-height=\"%d\" role=\"img\">\n",
                WIDTH, height, WIDTH, ROW, height);
        if (root->value)
            draw(f, root, 0, 0, height, scale, root->value, split);
        else
            fprintf(f, "<text x=\"10\" y=\"14\">no %s time recorded</text>\n", split ? "wait" : "call");
        fputs("</svg>\n", f);
    }
    free_node(root);
    return r;
}
