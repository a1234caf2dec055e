/* waitgraph.c: the wait-for graph between a process's threads as inline
 * SVG: a box per thread, an arrow from a thread to the thread whose call
 * (unlock, signal, post, write, its end) ended its waits, as wide as the
 * share of those waits' time and labelled with it (wr_model.wait_edges,
 * analyses/wake_links.c).
 *
 * Layout: threads are put in layers by who waits for whom. A depth-first
 * walk from the threads nobody waits for (the main thread first) marks
 * the arrows that close a loop; over the others each thread goes one
 * layer below the lowest thread that waits for it, so a chain of waits
 * reads from top to bottom. Within a layer threads are ordered by the
 * mean place of the threads that wait for them, which keeps arrows
 * short. Arrows that go up, stay in a layer or skip layers are curved;
 * two threads that wait for each other get one arrow on each side. Where
 * loops join more than two threads, the threads go on a circle instead. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "output/fmt.h"
#include "output/html/html.h"

#define MAX_EDGES 40 /* the heaviest arrows drawn; the rest are counted under the graph */
#define MAX_NODES 30
#define LABELS    12 /* the heaviest arrows carry their time; the others in their title */
#define BOX_W     170.0
#define BOX_H     40.0
#define LAYER_H   120.0
#define SLOT_W    200.0

struct gedge {
    size_t from, to; /* node indices */
    uint64_t ns, waits;
    int back; /* closes a loop: not used for the layers */
};

struct gnode {
    size_t th; /* thread index */
    int layer, state;
    double x, y, order;
};

struct graph {
    struct gedge e[MAX_EDGES];
    struct gnode n[MAX_NODES];
    size_t ne, nn, left; /* left: arrows not drawn */
    int circle;          /* laid out on a circle, not in layers */
    uint64_t left_ns;
};

static int cmp_edge(const void *a, const void *b)
{
    const struct wr_wait_edge *x = *(struct wr_wait_edge *const *)a, *y = *(struct wr_wait_edge *const *)b;
    return x->ns != y->ns ? (x->ns > y->ns ? -1 : 1) : (x->key > y->key) - (x->key < y->key);
}

/* node: the node of thread index th, or SIZE_MAX. */
static size_t node(const struct graph *g, size_t th)
{
    for (size_t i = 0; i < g->nn; i++)
        if (g->n[i].th == th)
            return i;
    return SIZE_MAX;
}

/* add_node: the node of thread index th, added (there must be room). */
static size_t add_node(struct graph *g, size_t th)
{
    size_t i = node(g, th);
    if (i == SIZE_MAX)
        g->n[i = g->nn++] = (struct gnode){.th = th};
    return i;
}

/* collect: the heaviest edges of m whose waiter the filter keeps. 0, or
 * -1 on out of memory. */
static int collect(struct graph *g, const struct wr_model *m)
{
    size_t n = HASH_COUNT(m->wait_edges), k = 0;
    if (!n)
        return 0;
    struct wr_wait_edge **v = malloc(n * sizeof *v), *e, *t;
    if (!v)
        return -1;
    HASH_ITER(hh, m->wait_edges, e, t)
    {
        size_t u = (size_t)(e->key >> 32), w = (size_t)(e->key & 0xffffffffu);
        if (u < m->nthreads && w < m->nthreads && u != w && m->threads[u].kept)
            v[k++] = e;
    }
    qsort(v, k, sizeof *v, cmp_edge);
    for (size_t i = 0; i < k; i++) {
        size_t u = (size_t)(v[i]->key >> 32), w = (size_t)(v[i]->key & 0xffffffffu);
        size_t fresh = (node(g, u) == SIZE_MAX) + (node(g, w) == SIZE_MAX);
        /* an arrow under 1% of the heaviest would only clutter the drawing */
        if (g->ne == MAX_EDGES || g->nn + fresh > MAX_NODES || v[i]->ns * 100 < v[0]->ns) {
            g->left++, g->left_ns += v[i]->ns;
            continue;
        }
        size_t a = add_node(g, u), b = add_node(g, w);
        g->e[g->ne++] = (struct gedge){a, b, v[i]->ns, v[i]->waits, 0};
    }
    free(v);
    return 0;
}

/* dfs: mark the edges out of node i that reach a node on the walk's
 * path (state 1) as back edges; post-order into topo. */
static void dfs(struct graph *g, size_t i, size_t *topo, size_t *nt)
{
    g->n[i].state = 1;
    for (size_t j = 0; j < g->ne; j++) {
        struct gedge *e = &g->e[j];
        if (e->from != i)
            continue;
        if (g->n[e->to].state == 1)
            e->back = 1;
        else if (!g->n[e->to].state)
            dfs(g, e->to, topo, nt);
    }
    g->n[i].state = 2;
    topo[(*nt)++] = i;
}

static int cmp_order(const void *a, const void *b)
{
    const struct gnode *x = *(struct gnode *const *)a, *y = *(struct gnode *const *)b;
    return (x->order > y->order) - (x->order < y->order);
}

/* circle: the nodes on a circle, in the order of the threads' creation
 * (the main thread on top); the width of the drawing. For graphs with
 * loops among more than two threads (a pool of workers, an interpreter's
 * lock passed around), where layers would stack every thread in a tower. */
static double circle(struct graph *g)
{
    size_t order[MAX_NODES];
    for (size_t i = 0; i < g->nn; i++)
        order[i] = i;
    for (size_t i = 1; i < g->nn; i++) /* insertion sort by thread index */
        for (size_t j = i; j > 0 && g->n[order[j - 1]].th > g->n[order[j]].th; j--) {
            size_t t = order[j];
            order[j] = order[j - 1], order[j - 1] = t;
        }
    double r = (double)g->nn * (BOX_W + 40) / (2 * M_PI);
    r = r < 160 ? 160 : r;
    for (size_t i = 0; i < g->nn; i++) {
        double a = -M_PI / 2 + 2 * M_PI * (double)i / (double)g->nn;
        g->n[order[i]].x = r + BOX_W / 2 + 10 + r * cos(a);
        g->n[order[i]].y = r + BOX_H / 2 + 20 + r * sin(a);
    }
    g->circle = 1;
    return 2 * r + BOX_W + 20;
}

/* layout: layers and places of the nodes; the width of the drawing. */
static double layout(struct graph *g)
{
    size_t topo[MAX_NODES], nt = 0;
    int in[MAX_NODES] = {0};
    for (size_t j = 0; j < g->ne; j++)
        in[g->e[j].to]++;
    /* roots first (nobody waits for them; the main thread is thread 0),
     * then whatever only loops reach */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < g->nn; i++)
            if (!g->n[i].state && (pass || !in[i] || g->n[i].th == 0))
                dfs(g, i, topo, &nt);
    size_t back = 0;
    for (size_t j = 0; j < g->ne; j++)
        back += (size_t)g->e[j].back;
    if (back && g->nn > 2)
        return circle(g);
    int layers = 1;
    for (size_t t = nt; t-- > 0;) { /* reverse post-order: every waiter before the threads it waits for */
        struct gnode *u = &g->n[topo[t]];
        for (size_t j = 0; j < g->ne; j++)
            if (!g->e[j].back && g->e[j].from == topo[t] && g->n[g->e[j].to].layer < u->layer + 1)
                g->n[g->e[j].to].layer = u->layer + 1;
        layers = u->layer + 1 > layers ? u->layer + 1 : layers;
    }
    size_t widest = 1;
    for (int l = 0; l < layers; l++) {
        struct gnode *row[MAX_NODES];
        size_t k = 0;
        for (size_t i = 0; i < g->nn; i++) {
            struct gnode *u = &g->n[i];
            if (u->layer != l)
                continue;
            double sum = 0;
            int cnt = 0;
            for (size_t j = 0; j < g->ne; j++)
                if (g->e[j].to == i && g->n[g->e[j].from].layer < l)
                    sum += g->n[g->e[j].from].x, cnt++;
            u->order = cnt ? sum / cnt : (double)i * SLOT_W;
            row[k++] = u;
        }
        qsort(row, k, sizeof *row, cmp_order);
        for (size_t i = 0; i < k; i++) /* centred later, once the widest layer is known */
            row[i]->x = (double)i * SLOT_W + SLOT_W / 2, row[i]->order = (double)k;
        widest = k > widest ? k : widest;
    }
    double w = (double)widest * SLOT_W;
    for (size_t i = 0; i < g->nn; i++) {
        struct gnode *u = &g->n[i];
        u->x += (w - u->order * SLOT_W) / 2;
        u->y = 30 + u->layer * LAYER_H;
    }
    return w;
}

/* clip: where the line from box centre (cx, cy) towards (tx, ty) leaves the box. */
static void clip(double cx, double cy, double tx, double ty, double *x, double *y)
{
    double dx = tx - cx, dy = ty - cy, s = 1;
    if (fabs(dx) * BOX_H > fabs(dy) * BOX_W)
        s = fabs(dx) > 0 ? (BOX_W / 2 + 2) / fabs(dx) : 1;
    else
        s = fabs(dy) > 0 ? (BOX_H / 2 + 2) / fabs(dy) : 1;
    *x = cx + dx * s, *y = cy + dy * s;
}

static void arrow(FILE *f, const struct wr_model *m, const struct graph *g, const struct gedge *e, uint64_t top)
{
    const struct gnode *a = &g->n[e->from], *b = &g->n[e->to];
    const struct wr_thread *ta = &m->threads[a->th], *tb = &m->threads[b->th];
    double dx = b->x - a->x, dy = b->y - a->y, len = sqrt(dx * dx + dy * dy), bend = 0;
    int mutual = 0;
    for (size_t j = 0; j < g->ne; j++)
        mutual |= g->e[j].from == e->to && g->e[j].to == e->from;
    if (g->circle)
        bend = 0.12 * len;
    else if (e->back || b->layer <= a->layer || b->layer > a->layer + 1 || fabs(dx) > 2 * SLOT_W)
        bend = 40 + 0.15 * len;
    else if (mutual)
        bend = 30;
    /* a curve bends to the right of its direction, so the two arrows of a
     * mutual pair take opposite sides */
    double cx = (a->x + b->x) / 2 - (len > 0 ? dy / len : 0) * bend,
           cy = (a->y + b->y) / 2 + (len > 0 ? dx / len : 0) * bend;
    double x0, y0, x2, y2;
    clip(a->x, a->y, cx, cy, &x0, &y0);
    clip(b->x, b->y, cx, cy, &x2, &y2);
    double lx = 0.25 * x0 + 0.5 * cx + 0.25 * x2, ly = 0.25 * y0 + 0.5 * cy + 0.25 * y2;
    double share = top ? (double)e->ns / (double)top : 0, sw = 1.5 + 8 * share;
    /* the head: a triangle along the curve's last direction, drawn as a
     * polygon (a marker would need url(), which the page never has); the
     * stroke stops at its base */
    double ux = x2 - cx, uy = y2 - cy, ul = sqrt(ux * ux + uy * uy), hl = 9 + sw, hw = 4 + sw / 2;
    ux = ul > 0 ? ux / ul : 0, uy = ul > 0 ? uy / ul : 1;
    double bx = x2 - ux * hl, by = y2 - uy * hl;
    char t[32];
    wr_fmt_ns(t, sizeof t, e->ns);
    fprintf(f,
            "<g class=\"wedge\" data-from=\"%u\" data-to=\"%u\" data-ns=\"%" PRIu64 "\" data-waits=\"%" PRIu64
            "\"><title>",
            ta->tid, tb->tid, e->ns, e->waits);
    wr_html_str(f, ta->name[0] ? ta->name : "?");
    fprintf(f, " (tid %u) waited %s in %" PRIu64 " wait%s ended by ", ta->tid, t, e->waits, e->waits == 1 ? "" : "s");
    wr_html_str(f, tb->name[0] ? tb->name : "?");
    fprintf(f,
            " (tid %u)</title><path d=\"M%.1f,%.1f Q%.1f,%.1f %.1f,%.1f\" stroke-width=\"%.1f\"/>"
            "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\"/>",
            tb->tid, x0, y0, cx, cy, bx, by, sw, x2, y2, bx - uy * hw, by + ux * hw, bx + uy * hw, by - ux * hw);
    if (e - g->e < LABELS)
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">%s</text>", lx, ly + 4, t);
    fputs("</g>\n", f);
}

static void box(FILE *f, const struct wr_model *m, const struct gnode *u, size_t idx)
{
    const struct wr_thread *t = &m->threads[u->th];
    const char *name = t->name[0] ? t->name : "?";
    if (m->per_thread && t->kept && t->calls)
        fprintf(f, "<g class=\"wnode th\" data-th=\"%zu-%u\" data-tid=\"%u\">", idx, t->tid, t->tid);
    else
        fprintf(f, "<g class=\"wnode\" data-tid=\"%u\">", t->tid);
    fputs("<title>", f);
    wr_html_str(f, name);
    fprintf(f, " (tid %u)%s</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" rx=\"6\"/>", t->tid,
            m->per_thread && t->kept && t->calls ? ": click for its sites" : "", u->x - BOX_W / 2, u->y - BOX_H / 2,
            BOX_W, BOX_H);
    char cut[24];
    snprintf(cut, sizeof cut, "%.20s", name);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", u->x, u->y - 3);
    wr_html_str(f, cut);
    fprintf(f, "</text><text class=\"tid\" x=\"%.1f\" y=\"%.1f\">tid %u</text></g>\n", u->x, u->y + 13, t->tid);
}

/* graph: model m's wait-for graph under an h3 of title when not NULL;
 * nothing when no thread the filter keeps waited for another. 1 when
 * drawn, 0 when not, -1 on out of memory. */
static int graph(FILE *f, struct wr_model *m, size_t idx, const char *title)
{
    struct graph *g = calloc(1, sizeof *g);
    if (!g || collect(g, m) != 0) {
        free(g);
        return -1;
    }
    if (!g->ne) {
        free(g);
        return 0;
    }
    double w = layout(g), h = 0;
    uint64_t top = 0;
    for (size_t i = 0; i < g->nn; i++)
        h = g->n[i].y + BOX_H / 2 + 20 > h ? g->n[i].y + BOX_H / 2 + 20 : h;
    for (size_t j = 0; j < g->ne; j++)
        top = g->e[j].ns > top ? g->e[j].ns : top;
    if (title) {
        fputs("<h3>", f);
        wr_html_str(f, title);
        fputs("</h3>\n", f);
    }
    fprintf(f,
            "<svg class=\"waitgraph\" id=\"waitgraph-%zu\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"-20 0 %.0f "
            "%.0f\" width=\"%.0f\" style=\"max-width:100%%\">\n",
            idx, w + 40, h, w + 40);
    for (size_t j = 0; j < g->ne; j++)
        arrow(f, m, g, &g->e[j], top);
    for (size_t i = 0; i < g->nn; i++)
        box(f, m, &g->n[i], idx);
    fputs("</svg>\n", f);
    if (g->left) {
        char t[32];
        fprintf(f, "<p>%zu smaller arrow%s not drawn (%s of waits)</p>\n", g->left, g->left == 1 ? "" : "s",
                wr_fmt_ns(t, sizeof t, g->left_ns));
    }
    free(g);
    return 1;
}

/* wr_html_waitfor: the wait-for graph of each process where a thread woke
 * another, near the top of the page. 0, or -1 on out of memory. */
int wr_html_waitfor(FILE *f, struct wr_set *s)
{
    size_t any = 0;
    for (size_t i = 0; i < s->n; i++)
        any += s->m[i].wait_edges != NULL;
    if (!any)
        return 0;
    fputs("<section id=\"waitfor\"><h2>who waited for whom</h2><p>an arrow from a thread to the thread whose call "
          "(unlock, signal, post, write, its end) ended its waits; its width and label: the time of those waits. "
          "Click a thread for its sites.</p>\n",
          f);
    int drawn = 0;
    for (size_t i = 0; i < s->n; i++) {
        char title[LW_CMD_MAX + 32];
        const struct lw_file_header *h = &s->t[i].hdr;
        snprintf(title, sizeof title, "%s (pid %u)", h->command[0] ? h->command : h->exe, h->pid);
        int r = s->m[i].wait_edges ? graph(f, &s->m[i], i, s->n > 1 ? title : NULL) : 0;
        if (r < 0)
            return -1;
        drawn |= r;
    }
    if (!drawn)
        fputs("<p>no thread the filter keeps waited for another</p>\n", f);
    fputs("</section>\n", f);
    return 0;
}
