/* symbols.c: offline symbolizer on top of elfutils libdwfl.
 * A module file (path and build-id) is opened once per wr_symlib, however
 * many processes mapped it and wherever they loaded it: it gets a Dwfl of
 * its own with the module at bias 0, and a run-time address is looked up at
 * its offset from the process's load base. Opening a file's DWARF costs
 * milliseconds and megabytes (compressed sections are inflated in memory),
 * so a directory of many traces of one program pays that once, and the
 * frames of an address are cached by module and offset, for every process
 * that shares the module. A file is opened lazily, on the first resolve
 * inside it.  Module lookup uses each symbolizer's own sorted range table,
 * not dwfl_addrmodule, so a module with a missing file or wrong build-id
 * still gets a basename and offset.
 * C++ names are demangled with __cxa_demangle if libstdc++.so.6 can be
 * dlopen()ed at run time (no link-time C++ dependency); else left mangled. */
#include "trace/debuginfo.h"
#include "trace/elfsyms.h"
#include "trace/grow.h"
#include "trace/symbols.h"

#include <dlfcn.h>
#include <limits.h>
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    uint64_t reach; /* the greatest hi of this range and those sorted before it */
    size_t mod;     /* index into mods */
};
/* the frames of one return address, by its offset from the module's base */
struct centry {
    UT_hash_handle hh;
    uint64_t addr;
    size_t n;
    struct wr_frame f[];
};

/* lib_mod: one module file, shared by every process that mapped it. */
struct lib_mod {
    UT_hash_handle hh;
    char *key; /* the path, a NUL, then the build-id bytes (owned) */
    size_t keylen;
    const char *path;        /* inside key */
    const uint8_t *build_id; /* inside key; build_id_len 0: no check */
    size_t build_id_len;
    const char *name; /* interned basename */
    Dwfl *dwfl;       /* this file's own, or NULL */
    Dwfl_Module *dm;  /* NULL: missing file, not ELF or build-id mismatch */
    int opened;       /* open_module has run */
    struct centry *cache;
    struct wr_elfsyms elfsyms; /* its ELF symbols by address, for elf_name */
};

typedef char *(*demangle_fn)(const char *, char *, size_t *, int *);

struct wr_symlib {
    struct lib_mod *mods; /* uthash by key */
    struct istr *strs;    /* uthash */
    int demangle_tried;
    demangle_fn demangle;
};

/* sym_mod: a module as one process loaded it. */
struct sym_mod {
    struct lib_mod *lm;
    uint64_t base;
    uint32_t first_stack;
};

struct wr_symbols {
    struct wr_symlib *lib;
    int own_lib; /* lib is freed with s */
    struct sym_mod *mods;
    struct sym_range *ranges;
    size_t nmods, capmods, nranges, capranges;
    int sorted;
};

/* Intern str; NULL if str is NULL or on out of memory. */
static const char *intern(struct wr_symlib *s, const char *str)
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
static const char *intern_sym(struct wr_symlib *s, const char *name)
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

/* find_module: the module whose code held address a in stack id stack.
 * Ranges are sorted by start; where none overlap (the usual case) the
 * range before the first one starting above a is the only candidate, and
 * reach ends the scan there. Overlapping ranges (a module loaded where
 * another was unloaded) are scanned back for the latest load not after the
 * stack, or failing that the earliest. */
static struct sym_mod *find_module(struct wr_symbols *s, uint32_t stack, uint64_t a)
{
    size_t lo = 0, hi = s->nranges, mid;
    struct sym_mod *best = NULL, *early = NULL;

    if (!s->sorted) {
        if (s->nranges > 1)
            qsort(s->ranges, s->nranges, sizeof(s->ranges[0]), range_cmp);
        for (size_t i = 0; i < s->nranges; i++)
            s->ranges[i].reach =
                i && s->ranges[i - 1].reach > s->ranges[i].hi ? s->ranges[i - 1].reach : s->ranges[i].hi;
        s->sorted = 1;
    }
    while (lo < hi) { /* first range with lo > a */
        mid = lo + (hi - lo) / 2;
        if (s->ranges[mid].lo <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    while (lo > 0 && s->ranges[lo - 1].reach > a) {
        const struct sym_range *r = &s->ranges[--lo];
        struct sym_mod *m = &s->mods[r->mod];
        if (a >= r->hi)
            continue;
        if (m->first_stack <= stack && (!best || m->first_stack > best->first_stack))
            best = m;
        if (!early || m->first_stack < early->first_stack)
            early = m;
    }
    return best ? best : early;
}

static int build_id_ok(const struct lib_mod *m)
{
    const unsigned char *bits = NULL;
    GElf_Addr vaddr;
    int len = m->build_id_len ? dwfl_module_build_id(m->dm, &bits, &vaddr) : 0;

    return m->build_id_len == 0 || (len > 0 && (size_t)len == m->build_id_len && bits != NULL &&
                                    memcmp(bits, m->build_id, m->build_id_len) == 0);
}

/* Open m's file into a Dwfl of its own, once. A file that is missing, not
 * ELF or of another build-id leaves m->dm NULL and holds no Dwfl. */
static void open_module(struct lib_mod *m)
{
    struct stat st;

    if (m->opened)
        return;
    m->opened = 1;
    /* Only regular files: a FIFO or device path could block or loop. */
    if (stat(m->path, &st) != 0 || !S_ISREG(st.st_mode) || (m->dwfl = dwfl_begin(&wr_offline_callbacks)) == NULL)
        return;
    dwfl_report_begin(m->dwfl);
    /* Base 0 with add_p_vaddr=true: the Dwfl's addresses are the file's
     * p_vaddr addresses. A process's run-time address is base + p_vaddr
     * (dlpi_addr, for PIE and shared objects even when the first PT_LOAD is
     * not at 0; 0 for ET_EXEC), so it is looked up at address - base. */
    m->dm = dwfl_report_elf(m->dwfl, m->name, m->path, -1, 0, true);
    if (dwfl_report_end(m->dwfl, NULL, NULL) != 0 || (m->dm != NULL && !build_id_ok(m)))
        m->dm = NULL;
    if (m->dm == NULL) {
        dwfl_end(m->dwfl);
        m->dwfl = NULL;
    }
}

/* Name of a subprogram or inlined_subroutine DIE, like eu-addr2line. */
static const char *die_name(struct wr_symlib *s, Dwarf_Die *die)
{
    static const unsigned at[] = {DW_AT_linkage_name, DW_AT_MIPS_linkage_name, DW_AT_name};
    Dwarf_Attribute attr;
    const char *name = NULL;

    for (size_t i = 0; name == NULL && i < sizeof(at) / sizeof(at[0]); i++)
        name = dwarf_formstring(dwarf_attr_integrate(die, at[i], &attr));
    return intern_sym(s, name);
}

/* The ELF symbol's name for address a of m, as dwfl_module_addrinfo gives
 * it, asked once per isolated symbol (elfsyms.h). */
static const char *elf_name(struct wr_symlib *s, struct lib_mod *m, uint64_t a)
{
    GElf_Off off;
    GElf_Sym sym;
    int unnamed;
    struct wr_elfsym *e = wr_elfsyms_at(&m->elfsyms, m->dm, a, &unnamed);

    if (unnamed)
        return NULL;
    if (e != NULL && e->name == NULL && e->own != NULL)
        e->name = intern_sym(s, e->own);
    if (e != NULL && e->name != NULL)
        return e->name;
    const char *name = intern_sym(s, dwfl_module_addrinfo(m->dm, a, &off, &sym, NULL, NULL, NULL));
    if (e != NULL && name != NULL && a - off == e->lo && sym.st_size == e->hi - e->lo)
        e->name = name;
    return name;
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
static size_t dwarf_frames(struct wr_symlib *s, struct lib_mod *m, uint64_t a, struct wr_frame *fr, size_t max)
{
    Dwfl_Module *dm = m->dm;
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
            put(&fr[n++], fn != NULL ? fn : elf_name(s, m, a), file, line, 0);
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
        put(&fr[n++], elf_name(s, m, a), file, line, 0);
    return n;
}

/* Resolve the return address at offset rel in m into fr[0..MAX_FRAMES);
 * returns the count (>= 1). The addr and offset fields are the caller's. */
static size_t compute(struct wr_symlib *l, struct lib_mod *m, uint64_t rel, struct wr_frame *fr)
{
    size_t n = 0, i;

    memset(fr, 0, MAX_FRAMES * sizeof(fr[0]));
    open_module(m);
    if (m->dm != NULL)
        n = dwarf_frames(l, m, rel - 1, fr, MAX_FRAMES); /* the call instruction */
    for (i = 0; i < n || i == 0; i++) {
        if (fr[i].function == NULL)
            fr[i].function = UNKNOWN_FN;
        fr[i].module = m->name;
    }
    return i;
}

struct wr_symlib *wr_symlib_new(void) { return calloc(1, sizeof(struct wr_symlib)); }

void wr_symlib_free(struct wr_symlib *l)
{
    struct lib_mod *m, *mtmp;
    struct centry *e, *etmp;
    struct istr *str, *stmp;

    if (l == NULL)
        return;
    HASH_ITER(hh, l->mods, m, mtmp)
    {
        HASH_DEL(l->mods, m);
        if (m->dwfl != NULL)
            dwfl_end(m->dwfl);
        HASH_ITER(hh, m->cache, e, etmp)
        {
            HASH_DEL(m->cache, e);
            free(e);
        }
        wr_elfsyms_free(&m->elfsyms);
        free(m->key);
        free(m);
    }
    HASH_ITER(hh, l->strs, str, stmp)
    {
        HASH_DEL(l->strs, str);
        free(str);
    }
    free(l);
}

struct wr_symbols *wr_symbols_new_in(struct wr_symlib *lib)
{
    struct wr_symbols *s;

    if (lib == NULL || (s = calloc(1, sizeof(*s))) == NULL)
        return NULL;
    s->lib = lib;
    return s;
}

struct wr_symbols *wr_symbols_new(void)
{
    struct wr_symlib *l = wr_symlib_new();
    struct wr_symbols *s = wr_symbols_new_in(l);

    if (s == NULL)
        wr_symlib_free(l);
    else
        s->own_lib = 1;
    return s;
}

/* The shared module of path and build_id in l, added on first sight;
 * NULL on out of memory or an empty basename. */
static struct lib_mod *lib_module(struct wr_symlib *l, const char *path, const uint8_t *build_id, size_t build_id_len)
{
    size_t plen = strlen(path), keylen = plen + 1 + build_id_len;
    const char *slash = strrchr(path, '/');
    struct lib_mod *m;
    char *key;

    if ((key = malloc(keylen)) == NULL)
        return NULL;
    memcpy(key, path, plen + 1);
    if (build_id_len)
        memcpy(key + plen + 1, build_id, build_id_len);
    HASH_FIND(hh, l->mods, key, keylen, m);
    if (m != NULL) {
        free(key);
        return m;
    }
    if ((m = calloc(1, sizeof(*m))) == NULL) {
        free(key);
        return NULL;
    }
    m->key = key;
    m->keylen = keylen;
    m->path = key;
    m->build_id = (const uint8_t *)key + plen + 1;
    m->build_id_len = build_id_len;
    m->name = intern(l, slash != NULL && slash[1] != '\0' ? slash + 1 : path);
    if (m->name != NULL && m->name[0] != '\0') {
        hash_oom = 0;
        HASH_ADD_KEYPTR(hh, l->mods, m->key, m->keylen, m);
        if (!hash_oom)
            return m;
    }
    free(key);
    free(m);
    return NULL;
}

void wr_symbols_add_module(struct wr_symbols *s, const char *path, uint64_t base, const uint8_t *build_id,
                           size_t build_id_len, const uint64_t (*ranges)[2], size_t nranges, uint32_t first_stack)
{
    struct lib_mod *lm;
    size_t i;

    if (s == NULL || path == NULL || wr_grow((void **)&s->mods, &s->capmods, s->nmods, sizeof(*s->mods), 16) != 0 ||
        (lm = lib_module(s->lib, path, build_id, build_id != NULL ? build_id_len : 0)) == NULL)
        return;
    s->mods[s->nmods].lm = lm;
    s->mods[s->nmods].base = base;
    s->mods[s->nmods].first_stack = first_stack;
    for (i = 0; ranges != NULL && i < nranges; i++) {
        if (ranges[i][0] >= ranges[i][1])
            continue;
        if (wr_grow((void **)&s->ranges, &s->capranges, s->nranges, sizeof(*s->ranges), 16) != 0)
            break;
        s->ranges[s->nranges].lo = ranges[i][0];
        s->ranges[s->nranges].hi = ranges[i][1];
        s->ranges[s->nranges++].mod = s->nmods;
        s->sorted = 0;
    }
    s->nmods++;
}

size_t wr_symbols_resolve(struct wr_symbols *s, uint32_t stack, uint64_t ret_addr, struct wr_frame *out, size_t max)
{
    static const struct wr_frame unknown = {UNKNOWN_FN, NULL, 0, UNKNOWN_MOD, 0, 0, 0};
    struct wr_frame fr[MAX_FRAMES];
    const struct wr_frame *src = fr;
    struct centry *e = NULL;
    struct sym_mod *m;
    uint64_t rel;
    size_t n, i;

    if (out == NULL || max == 0)
        return 0;
    if (s == NULL || (m = find_module(s, stack, ret_addr - 1)) == NULL) {
        out[0] = unknown;
        out[0].addr = ret_addr;
        return 1;
    }
    rel = ret_addr - m->base;
    HASH_FIND(hh, m->lm->cache, &rel, sizeof(rel), e);
    if (e != NULL) {
        src = e->f;
        n = e->n;
    } else {
        n = compute(s->lib, m->lm, rel, fr);
        if ((e = malloc(sizeof(*e) + n * sizeof(fr[0]))) != NULL) {
            e->addr = rel;
            e->n = n;
            memcpy(e->f, fr, n * sizeof(fr[0]));
            hash_oom = 0;
            HASH_ADD(hh, m->lm->cache, addr, sizeof(e->addr), e);
            if (hash_oom) /* out of memory: just not cached */
                free(e);
        }
    }
    n = n < max ? n : max;
    memcpy(out, src, n * sizeof(out[0]));
    for (i = 0; i < n; i++) {
        out[i].addr = ret_addr;
        out[i].offset = rel;
    }
    return n;
}

void wr_symbols_free(struct wr_symbols *s)
{
    if (s == NULL)
        return;
    if (s->own_lib)
        wr_symlib_free(s->lib);
    free(s->mods);
    free(s->ranges);
    free(s);
}
