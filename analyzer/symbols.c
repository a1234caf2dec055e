/* symbols.c: offline symbolizer on top of elfutils libdwfl.
 * Modules are reported to one Dwfl lazily, on the next resolve
 * (dwfl_report_begin_add keeps earlier Dwfl_Module pointers valid).  Module
 * lookup uses our own sorted range table, not dwfl_addrmodule, so a module
 * with a missing file or wrong build-id still gets a basename and offset.
 * C++ names are demangled with __cxa_demangle if libstdc++.so.6 can be
 * dlopen()ed at run time (no link-time C++ dependency); else left mangled. */
#include "symbols.h"

#include <dlfcn.h>
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static _Thread_local int hash_oom;
#define HASH_NONFATAL_OOM        1
#define uthash_nonfatal_oom(obj) (hash_oom = 1)
#include <uthash.h>

#define MAX_FRAMES  32 /* inline depth cap per address */
#define UNKNOWN_FN  "??"
#define UNKNOWN_MOD "[unknown]"

struct istr {
    UT_hash_handle hh;
    char s[];
}; /* interned string */
struct sym_range {
    uint64_t lo, hi;
    size_t mod;
}; /* index into mods */
struct centry {
    UT_hash_handle hh;
    uint64_t addr;
    size_t n;
    struct wr_frame f[];
};

struct sym_mod {
    char *path;
    const char *name; /* interned basename */
    uint64_t base;
    uint8_t *build_id; /* NULL: no check */
    size_t build_id_len;
    Dwfl_Module *dm; /* NULL: missing file, not ELF or build-id mismatch */
    int pending;     /* not yet reported to the Dwfl */
};

typedef char *(*demangle_fn)(const char *, char *, size_t *, int *);

struct wr_symbols {
    Dwfl *dwfl;
    struct sym_mod *mods;
    struct sym_range *ranges;
    size_t nmods, capmods, nranges, capranges;
    int sorted, pending, demangle_tried;
    struct istr *strs;    /* uthash */
    struct centry *cache; /* uthash by ret_addr */
    demangle_fn demangle;
};

static char *debuginfo_path; /* NULL: default ":.debug:/usr/lib/debug" */
static const Dwfl_Callbacks offline_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

/* Intern str; NULL if str is NULL or on out of memory. */
static const char *intern(struct wr_symbols *s, const char *str)
{
    struct istr *e;
    size_t len;

    if (str == NULL)
        return NULL;
    HASH_FIND_STR(s->strs, str, e);
    if (e != NULL)
        return e->s;
    len = strlen(str);
    if ((e = malloc(sizeof(*e) + len + 1)) == NULL)
        return NULL;
    memcpy(e->s, str, len + 1);
    hash_oom = 0;
    HASH_ADD_KEYPTR(hh, s->strs, e->s, len, e);
    if (hash_oom)
        free(e);
    return hash_oom ? NULL : e->s;
}

/* Intern a symbol name, demangled if it is a C++ mangled name. */
static const char *intern_sym(struct wr_symbols *s, const char *name)
{
    const char *r;
    char *d = NULL;
    int status = -1, mangled;

    if (name == NULL || name[0] == '\0')
        return NULL;
    mangled = name[0] == '_' && name[1] == 'Z';
    if (mangled && !s->demangle_tried) {
        void *h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
        s->demangle_tried = 1;
        s->demangle = h != NULL ? (demangle_fn)dlsym(h, "__cxa_demangle") : NULL;
    }
    if (mangled && s->demangle != NULL)
        d = s->demangle(name, NULL, NULL, &status);
    r = intern(s, d != NULL && status == 0 ? d : name);
    free(d);
    return r;
}

static int range_cmp(const void *a, const void *b)
{
    const struct sym_range *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static struct sym_mod *find_module(struct wr_symbols *s, uint64_t a)
{
    size_t lo = 0, hi = s->nranges, mid;

    if (!s->sorted && s->nranges > 1)
        qsort(s->ranges, s->nranges, sizeof(s->ranges[0]), range_cmp);
    s->sorted = 1;
    while (lo < hi) { /* first range with lo > a */
        mid = lo + (hi - lo) / 2;
        if (s->ranges[mid].lo <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || a >= s->ranges[lo - 1].hi)
        return NULL;
    return &s->mods[s->ranges[lo - 1].mod];
}

static int build_id_ok(const struct sym_mod *m)
{
    const unsigned char *bits = NULL;
    GElf_Addr vaddr;
    int len = m->build_id_len ? dwfl_module_build_id(m->dm, &bits, &vaddr) : 0;

    return m->build_id_len == 0 || (len > 0 && (size_t)len == m->build_id_len && bits != NULL &&
                                    memcmp(bits, m->build_id, m->build_id_len) == 0);
}

/* Report pending modules to the Dwfl (created on first use). */
static void sync_dwfl(struct wr_symbols *s)
{
    size_t i;
    int ok;

    if (!s->pending)
        return;
    s->pending = 0;
    if (s->dwfl == NULL)
        s->dwfl = dwfl_begin(&offline_callbacks);
    if (s->dwfl != NULL)
        dwfl_report_begin_add(s->dwfl);
    for (i = 0; i < s->nmods && s->dwfl != NULL; i++) {
        struct sym_mod *m = &s->mods[i];
        struct stat st;
        char name[64];

        /* Only regular files: a FIFO or device path could block or loop. */
        if (!m->pending || stat(m->path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        /* A unique name, so libdwfl never merges a module with (and then
         * garbage-collects) an earlier one at the same address range. */
        snprintf(name, sizeof(name), "%.40s#%zu", m->name, i);
        /* add_p_vaddr=true: bias = base, so run-time address = base +
         * p_vaddr, which is what dlpi_addr means for PIE and shared objects
         * (even when the first PT_LOAD is not at 0).  For ET_EXEC libdwfl
         * uses base 0 itself. */
        m->dm = dwfl_report_elf(s->dwfl, name, m->path, -1, m->base, true);
    }
    ok = s->dwfl != NULL && dwfl_report_end(s->dwfl, NULL, NULL) == 0;
    for (i = 0; i < s->nmods; i++) {
        struct sym_mod *m = &s->mods[i];
        /* a mismatched module stays in the Dwfl but is never looked at */
        if (m->pending && (!ok || (m->dm != NULL && !build_id_ok(m))))
            m->dm = NULL;
        m->pending = 0;
    }
}

/* Name of a subprogram or inlined_subroutine DIE, like eu-addr2line. */
static const char *die_name(struct wr_symbols *s, Dwarf_Die *die)
{
    static const unsigned at[] = {DW_AT_linkage_name, DW_AT_MIPS_linkage_name, DW_AT_name};
    Dwarf_Attribute attr;
    const char *name = NULL;

    for (size_t i = 0; name == NULL && i < sizeof(at) / sizeof(at[0]); i++)
        name = dwarf_formstring(dwarf_attr_integrate(die, at[i], &attr));
    return intern_sym(s, name);
}

static const char *elf_name(struct wr_symbols *s, Dwfl_Module *dm, uint64_t a)
{
    GElf_Off off;
    GElf_Sym sym;

    return intern_sym(s, dwfl_module_addrinfo(dm, a, &off, &sym, NULL, NULL, NULL));
}

/* Store in chain[depth..] the DIEs below parent that contain pc, outermost
 * first, following the physical nesting (through namespaces and classes,
 * which carry no pc).  Returns the new depth.  Unlike dwarf_getscopes this
 * stays in the concrete tree after an inlined instance and copes with
 * abstract origins in another CU (LTO), like eu-addr2line -i. */
static int find_scopes(Dwarf_Die *parent, Dwarf_Addr pc, Dwarf_Die *chain, int depth, int max)
{
    Dwarf_Die child;
    int d;

    if (depth >= max || dwarf_child(parent, &child) != 0)
        return depth;
    do {
        switch (dwarf_tag(&child)) {
        case DW_TAG_subprogram:
        case DW_TAG_inlined_subroutine:
        case DW_TAG_entry_point:
        case DW_TAG_lexical_block:
            if (dwarf_haspc(&child, pc) > 0) {
                chain[depth] = child;
                return find_scopes(&child, pc, chain, depth + 1, max);
            }
            break;
        case DW_TAG_namespace:
        case DW_TAG_module:
        case DW_TAG_class_type:
        case DW_TAG_structure_type:
        case DW_TAG_union_type:
            if ((d = find_scopes(&child, pc, chain, depth, max)) > depth)
                return d;
            break;
        default:
            break;
        }
    } while (dwarf_siblingof(&child, &child) == 0);
    return depth;
}

static void put(struct wr_frame *f, const char *fn, const char *file, int line, int inl)
{
    f->function = fn;
    f->file = file;
    f->line = line > 0 ? line : 0;
    f->inlined = inl;
}

/* The compile unit holding a, by scanning the units' own ranges: for
 * objects without .debug_aranges (clang emits none), where
 * dwfl_module_addrdie finds nothing. NULL if no unit covers a. */
static Dwarf_Die *scan_cus(Dwfl_Module *dm, uint64_t a, Dwarf_Addr *bias)
{
    Dwarf_Die *cu = NULL;

    while ((cu = dwfl_module_nextcu(dm, cu, bias)) != NULL)
        if (dwarf_haspc(cu, a - *bias) > 0)
            return cu;
    return NULL;
}

/* Frames for address a, innermost first.  The line table gives the
 * innermost location; each inlined subroutine's DW_AT_call_file/line is the
 * location in the next frame out.  Without DWARF (or without a containing
 * subprogram DIE) the last frame is the ELF symbol. */
static size_t dwarf_frames(struct wr_symbols *s, Dwfl_Module *dm, uint64_t a, struct wr_frame *fr, size_t max)
{
    Dwarf_Addr bias = 0;
    Dwarf_Die *cudie, chain[2 * MAX_FRAMES], sub;
    Dwfl_Line *ln;
    const char *file = NULL;
    int line = 0, i = 0, tag;
    size_t n = 0;
    uint8_t type;

    if ((ln = dwfl_module_getsrc(dm, a)) != NULL &&
        (file = intern(s, dwfl_lineinfo(ln, NULL, &line, NULL, NULL, NULL))) == NULL)
        line = 0;
    if ((cudie = dwfl_module_addrdie(dm, a, &bias)) == NULL)
        cudie = scan_cus(dm, a, &bias);
    if (cudie != NULL && ln == NULL) { /* no aranges: the unit's line table */
        Dwarf_Line *dl = dwarf_getsrc_die(cudie, a - bias);
        if (dl != NULL && (file = intern(s, dwarf_linesrc(dl, NULL, NULL))) != NULL && dwarf_lineno(dl, &line) != 0)
            line = 0;
    }
    if (cudie != NULL) {
        /* split DWARF: the DIE tree is in the .dwo unit */
        if (dwarf_cu_info(cudie->cu, NULL, &type, NULL, &sub, NULL, NULL, NULL) == 0 && type == DW_UT_skeleton &&
            sub.cu != NULL && dwarf_tag(&sub) == DW_TAG_compile_unit)
            cudie = &sub;
        i = find_scopes(cudie, a - bias, chain, 0, 2 * MAX_FRAMES);
    }
    while (i-- > 0 && n < max) {
        Dwarf_Die *die = &chain[i], cu;
        Dwarf_Attribute attr;
        Dwarf_Files *files;
        Dwarf_Word val;

        tag = dwarf_tag(die);
        if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram && tag != DW_TAG_entry_point)
            continue;
        if (tag != DW_TAG_inlined_subroutine) {
            const char *fn = die_name(s, die);
            put(&fr[n++], fn != NULL ? fn : elf_name(s, dm, a), file, line, 0);
            return n;
        }
        /* an artificial inline (glibc's _FORTIFY_SOURCE wrappers: read ->
         * __read_chk, ...) is no frame of the program's: its call site's
         * line goes to the frame out */
        bool artificial = false;
        if (dwarf_formflag(dwarf_attr_integrate(die, DW_AT_artificial, &attr), &artificial) != 0)
            artificial = false;
        if (!artificial)
            put(&fr[n++], die_name(s, die), file, line, 1);
        file = NULL;
        line = 0;
        if (dwarf_diecu(die, &cu, NULL, NULL) != NULL && dwarf_getsrcfiles(&cu, &files, NULL) == 0 &&
            dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr), &val) == 0)
            file = intern(s, dwarf_filesrc(files, val, NULL, NULL));
        if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &val) == 0)
            line = val <= INT32_MAX ? (int)val : 0;
    }
    if (n < max)
        put(&fr[n++], elf_name(s, dm, a), file, line, 0);
    return n;
}

/* Resolve ret_addr into fr[0..MAX_FRAMES); returns the count (>= 1). */
static size_t compute(struct wr_symbols *s, uint64_t ret_addr, struct wr_frame *fr)
{
    uint64_t a = ret_addr - 1; /* the call instruction */
    struct sym_mod *m = find_module(s, a);
    size_t n = 0, i;

    memset(fr, 0, MAX_FRAMES * sizeof(fr[0]));
    if (m != NULL && m->dm != NULL)
        n = dwarf_frames(s, m->dm, a, fr, MAX_FRAMES);
    for (i = 0; i < n || i == 0; i++) {
        if (fr[i].function == NULL)
            fr[i].function = UNKNOWN_FN;
        fr[i].module = m != NULL ? m->name : UNKNOWN_MOD;
        fr[i].addr = ret_addr;
        fr[i].offset = m != NULL ? ret_addr - m->base : 0;
    }
    return i;
}

/* Make room for element n of size sz in *p; 0 on out of memory. */
static int grow(void **p, size_t *cap, size_t n, size_t sz)
{
    size_t c = *cap ? 2 * *cap : 16;
    void *q;

    if (n < *cap)
        return 1;
    if ((q = realloc(*p, c * sz)) == NULL)
        return 0;
    *p = q;
    *cap = c;
    return 1;
}

struct wr_symbols *wr_symbols_new(void) { return calloc(1, sizeof(struct wr_symbols)); }

void wr_symbols_add_module(struct wr_symbols *s, const char *path, uint64_t base, const uint8_t *build_id,
                           size_t build_id_len, const uint64_t (*ranges)[2], size_t nranges)
{
    struct sym_mod *m;
    struct centry *e, *tmp;
    const char *slash;
    size_t i, first;

    if (s == NULL || path == NULL || !grow((void **)&s->mods, &s->capmods, s->nmods, sizeof(*s->mods)))
        return;
    m = &s->mods[s->nmods];
    memset(m, 0, sizeof(*m));
    slash = strrchr(path, '/');
    m->name = intern(s, slash != NULL && slash[1] != '\0' ? slash + 1 : path);
    if (m->name == NULL || m->name[0] == '\0' || (m->path = strdup(path)) == NULL)
        return;
    m->base = base;
    if (build_id != NULL && build_id_len > 0 && (m->build_id = malloc(build_id_len)) != NULL) {
        memcpy(m->build_id, build_id, build_id_len);
        m->build_id_len = build_id_len;
    }
    m->pending = s->pending = 1;
    first = s->nranges;
    for (i = 0; ranges != NULL && i < nranges; i++) {
        if (ranges[i][0] >= ranges[i][1])
            continue;
        if (!grow((void **)&s->ranges, &s->capranges, s->nranges, sizeof(*s->ranges)))
            break;
        s->ranges[s->nranges].lo = ranges[i][0];
        s->ranges[s->nranges].hi = ranges[i][1];
        s->ranges[s->nranges++].mod = s->nmods;
        s->sorted = 0;
    }
    s->nmods++;
    /* Drop cached "[unknown]" results that the new ranges now cover. */
    HASH_ITER(hh, s->cache, e, tmp)
    {
        for (i = first; i < s->nranges; i++) {
            if (e->addr - 1 >= s->ranges[i].lo && e->addr - 1 < s->ranges[i].hi) {
                HASH_DEL(s->cache, e);
                free(e);
                break;
            }
        }
    }
}

size_t wr_symbols_resolve(struct wr_symbols *s, uint64_t ret_addr, struct wr_frame *out, size_t max)
{
    static const struct wr_frame unknown = {UNKNOWN_FN, NULL, 0, UNKNOWN_MOD, 0, 0, 0};
    struct wr_frame fr[MAX_FRAMES];
    const struct wr_frame *src = fr;
    struct centry *e = NULL;
    size_t n;

    if (out == NULL || max == 0)
        return 0;
    if (s == NULL) {
        out[0] = unknown;
        out[0].addr = ret_addr;
        return 1;
    }
    sync_dwfl(s);
    HASH_FIND(hh, s->cache, &ret_addr, sizeof(ret_addr), e);
    if (e != NULL) {
        src = e->f;
        n = e->n;
    } else {
        n = compute(s, ret_addr, fr);
        if ((e = malloc(sizeof(*e) + n * sizeof(fr[0]))) != NULL) {
            e->addr = ret_addr;
            e->n = n;
            memcpy(e->f, fr, n * sizeof(fr[0]));
            hash_oom = 0;
            HASH_ADD(hh, s->cache, addr, sizeof(e->addr), e);
            if (hash_oom) /* out of memory: just not cached */
                free(e);
        }
    }
    n = n < max ? n : max;
    memcpy(out, src, n * sizeof(out[0]));
    return n;
}

void wr_symbols_free(struct wr_symbols *s)
{
    struct centry *e, *etmp;
    struct istr *str, *stmp;

    if (s == NULL)
        return;
    if (s->dwfl != NULL)
        dwfl_end(s->dwfl);
    HASH_ITER(hh, s->cache, e, etmp)
    {
        HASH_DEL(s->cache, e);
        free(e);
    }
    HASH_ITER(hh, s->strs, str, stmp)
    {
        HASH_DEL(s->strs, str);
        free(str);
    }
    for (size_t i = 0; i < s->nmods; i++) {
        free(s->mods[i].path);
        free(s->mods[i].build_id);
    }
    free(s->mods);
    free(s->ranges);
    free(s);
}
