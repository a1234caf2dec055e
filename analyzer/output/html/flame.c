/* flame.c: the flame graph of the HTML report. The sites' folded
 * paths (sitekey.h) become a tree whose nodes carry, where a path ends, its
 * weight in every kind --folded has (export.h); the tree is embedded as
 * JSON and the page's script (page.c) lays the chosen kind out as an
 * inline SVG, so one page holds every kind without one SVG per kind. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "output/export.h"
#include "output/fmt.h"
#include "output/html/html.h"
#include "output/report.h"

#define WIDTH  1200.0
#define NKINDS (WR_FOLD_BYTES + 1)

struct node {
    char *name;
    uint64_t self[NKINDS]; /* the weights of the paths that end here */
    int ends;              /* some path ends here */
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

/* add_path: the weights of k at the end of its folded path. 0 or -1. */
static int add_path(struct node *root, const struct wr_ksite *k)
{
    struct node *n = root;
    for (const char *p = k->key; *p;) {
        const char *e = strchr(p, ';');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (!(n = child(n, p, len)))
            return -1;
        p += len + (e != NULL);
    }
    for (int i = 0; i < NKINDS; i++)
        n->self[i] += wr_fold_weight(k, i);
    n->ends = 1;
    return 0;
}

/* emit: n and its subtree as [parent, name, weights...] entries, in
 * preorder (a parent before its children); *next numbers them. */
static void emit(FILE *f, const struct node *n, long parent, long *next, int first_kind)
{
    long me = (*next)++;
    fprintf(f, "%s[%ld,", me ? ",\n" : "", parent);
    wr_json_str(f, n->name);
    for (int i = first_kind; n->ends && i < NKINDS; i++)
        fprintf(f, ",%" PRIu64, n->self[i]);
    fputc(']', f);
    for (size_t i = 0; i < n->nkids; i++)
        emit(f, n->kids[i], me, next, first_kind);
}

int wr_html_flame(FILE *f, const struct wr_ktable *t, int split, const char *kind)
{
    struct node *root = calloc(1, sizeof *root);
    if (!root || !(root->name = strdup("all"))) {
        free(root);
        return -1;
    }
    int r = 0;
    for (struct wr_ksite *k = t->h; k && !r; k = k->hh.next)
        r = add_path(root, k);
    char *buf = NULL;
    size_t len = 0;
    FILE *mf = r ? NULL : open_memstream(&buf, &len);
    if (mf) {
        int first = split ? 0 : WR_FOLD_TOTAL; /* without the split only the call's own measures */
        fputs("{\"kinds\":[", mf);
        for (int i = first; i < NKINDS; i++)
            fprintf(mf, "%s\"%s\"", i > first ? "," : "", wr_fold_kind_name(i));
        fprintf(mf, "],\"kind\":\"%s\",\"nodes\":[\n", kind);
        long next = 0;
        emit(mf, root, -1, &next, first);
        fputs("]}", mf);
    }
    if (!mf || fclose(mf) != 0) {
        free_node(root);
        free(buf);
        return -1;
    }
    fprintf(f,
            "<svg id=\"flamegraph\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f 21\" width=\"100%%\" "
            "data-width=\"%.0f\" role=\"img\"></svg>\n<script type=\"application/json\" id=\"flame-data\">",
            WIDTH, WIDTH);
    /* '<' only occurs inside JSON strings, where \u003c means the same and
     * cannot end the script element */
    for (char *p = buf; *p; p++)
        if (*p == '<')
            fputs("\\u003c", f);
        else
            fputc(*p, f);
    fputs("</script>\n", f);
    free(buf);
    free_node(root);
    return 0;
}
