/* elfsyms.c: the sorted symbol table of elfsyms.h. */
#include "trace/elfsyms.h"
#include "trace/grow.h"

#include <elf.h>
#include <stdlib.h>

static int sym_cmp(const void *a, const void *b)
{
    const struct wr_elfsym *x = a, *y = b;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return x->hi < y->hi ? -1 : x->hi > y->hi;
}

/* build: every symbol that some version of libdwfl could name an address
 * by, sorted, with its isolation. Undefined, section and file symbols and
 * empty names are never names; anything else counts, even where today's
 * libdwfl would pass it over (TLS symbols), which can only make fewer
 * ranges isolated. A sizeless symbol counts as the one address it names. */
static void build(struct wr_elfsyms *x, Dwfl_Module *dm)
{
    x->built = 1;
    int n = dwfl_module_getsymtab(dm);
    size_t cap = 0;
    for (int i = 1; i < n; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        GElf_Word shndx;
        const char *name = dwfl_module_getsym_info(dm, i, &sym, &addr, &shndx, NULL, NULL);
        if (name == NULL || name[0] == '\0' || shndx == SHN_UNDEF)
            continue;
        unsigned type = GELF_ST_TYPE(sym.st_info);
        if (type == STT_SECTION || type == STT_FILE)
            continue;
        if (wr_grow((void **)&x->sym, &cap, x->n, sizeof *x->sym, 1024) != 0) {
            free(x->sym);
            x->sym = NULL;
            x->n = 0;
            return;
        }
        uint64_t hi = addr + sym.st_size;
        /* a TLS symbol's value is an offset, not an address: never an own name */
        x->sym[x->n++] = (struct wr_elfsym){.lo = addr,
                                            .hi = hi < addr ? UINT64_MAX : hi,
                                            .own = type == STT_TLS ? NULL : name,
                                            .abs = shndx >= SHN_LORESERVE};
    }
    if (x->n == 0)
        return;
    qsort(x->sym, x->n, sizeof *x->sym, sym_cmp);
    uint64_t reach = 0; /* the end of every range before i, a sizeless symbol's being its address + 1 */
    for (size_t i = 0, g; i < x->n; i = g) {
        /* [i, g): aliases, one range */
        for (g = i + 1; g < x->n && x->sym[g].lo == x->sym[i].lo && x->sym[g].hi == x->sym[i].hi; g++)
            ;
        struct wr_elfsym *s = &x->sym[i];
        int iso = s->hi > s->lo && (i == 0 || reach <= s->lo) && (g == x->n || x->sym[g].lo >= s->hi);
        uint64_t end = s->hi > s->lo ? s->hi : s->lo + 1;
        if (i == 0 || end > reach)
            reach = end;
        for (size_t k = i; k < g; k++) {
            x->sym[k].isolated = iso;
            x->sym[k].reach = reach;
            x->sym[k].sizeless = (s->hi == s->lo && !x->sym[k].abs) || (k > 0 && x->sym[k - 1].sizeless);
            if (!iso || g - i > 1 || x->sym[k].sizeless)
                x->sym[k].own = NULL;
        }
    }
}

struct wr_elfsym *wr_elfsyms_at(struct wr_elfsyms *x, Dwfl_Module *dm, uint64_t a, int *unnamed)
{
    *unnamed = 0;
    if (!x->built)
        build(x, dm);
    /* no table, or nothing in it: libdwfl decides */
    if (x->n == 0)
        return NULL;
    size_t lo = 0, hi = x->n; /* the first symbol above a is at hi */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->sym[mid].lo <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0) {
        *unnamed = 1; /* below every symbol */
        return NULL;
    }
    struct wr_elfsym *s = &x->sym[lo - 1];
    if (s->reach <= a && !s->sizeless) {
        *unnamed = 1; /* no range holds a, and no sizeless symbol lies below it */
        return NULL;
    }
    return s->isolated && a < s->hi ? s : NULL;
}

void wr_elfsyms_free(struct wr_elfsyms *x)
{
    free(x->sym);
    x->sym = NULL;
    x->n = 0;
    x->built = 0;
}
