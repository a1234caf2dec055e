/* modules.c: the process's load map (path, load bias, build-id, executable
 * ranges), written as LW_REC_MODULE records so the analyzer can symbolize
 * offline after ASLR. Written at a thread's start and again whenever the
 * loader's add/remove counters move (dlopen/dlclose), checked before every
 * new stack is written.
 *
 * A module is known by its load, not by its address: after a dlclose, the
 * loader often maps the next library at the same addresses. When a module
 * is written over the range of one written before, the stacks through the
 * old range are dropped (lw_stack_forget_range) and the record carries the
 * first stack id that may hold the new module's code; the analyzer gives
 * each stack the module loaded there when the stack was taken. */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <string.h>

#include "runtime/runtime.h"
#include "runtime/spin.h"

#define LW_MOD_MAX 1024
struct lw_mod_seen {
    uintptr_t base;
    uint64_t name_hash;
    uintptr_t lo, hi; /* the span of its executable ranges */
};
static struct lw_mod_seen lw_seen[LW_MOD_MAX];
static unsigned lw_nseen;
static unsigned long long lw_adds = ~0ull, lw_subs = ~0ull;
static unsigned long long lw_unload_subs = ~0ull; /* the removals lw_modules_unloaded has seen */
/* Guards lw_seen. Taken with the guard held, inside the fork gate (every
 * caller of lw_modules_emit enters it), so no fork copies it held. */
static lw_spin lw_mod_spin;

struct lw_mod_ctx {
    struct lw_thread *t;
    unsigned long long adds, subs;
};

static uint64_t lw_str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ull;
    return h;
}

/* lw_build_id: the GNU build-id of a loaded object, or 0 bytes. */
static size_t lw_build_id(const struct dl_phdr_info *info, const uint8_t **out)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
            const uint8_t *name = p + sizeof *n, *desc = name + ((n->n_namesz + 3) & ~3u);
            if (desc + n->n_descsz > end)
                break;
            if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && !memcmp(name, "GNU", 4)) {
                *out = desc;
                return n->n_descsz;
            }
            p = desc + ((n->n_descsz + 3) & ~3u);
        }
    }
    return 0;
}

/* lw_mod_record: write one module record unless it was written before. */
static void lw_mod_record(struct lw_thread *t, const struct dl_phdr_info *info)
{
    const char *path = info->dlpi_name;
    if (!path || !*path)
        path = lw_g.hdr ? lw_g.hdr->exe : "";
    uint64_t nh = lw_str_hash(path);
    for (unsigned i = 0; i < lw_nseen; i++)
        if (lw_seen[i].base == info->dlpi_addr && lw_seen[i].name_hash == nh)
            return;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            uintptr_t a = info->dlpi_addr + ph->p_vaddr;
            lo = a < lo ? a : lo;
            hi = a + ph->p_memsz > hi ? a + ph->p_memsz : hi;
        }
    }
    /* Another module was written where this one's code now lies: it was
     * unloaded, and its stacks must not be taken for this one's. */
    uint64_t first = 0;
    for (unsigned i = 0; i < lw_nseen;) {
        if (lo < lw_seen[i].hi && lw_seen[i].lo < hi) {
            first = lw_stack_forget_range(lw_seen[i].lo, lw_seen[i].hi);
            lw_seen[i] = lw_seen[--lw_nseen];
        } else {
            i++;
        }
    }
    if (lw_nseen == LW_MOD_MAX)
        return;
    uint8_t body[LW_MODULE_REC_MAX];
    size_t plen = strnlen(path, LW_PATH_MAX - 1);
    const uint8_t *bid = NULL;
    size_t blen = lw_build_id(info, &bid);
    if (blen > LW_MODULE_BUILD_ID)
        blen = 0;
    unsigned nr = 0;
    for (int i = 0; i < info->dlpi_phnum && nr < LW_MODULE_RANGES; i++)
        nr += info->dlpi_phdr[i].p_type == PT_LOAD && (info->dlpi_phdr[i].p_flags & PF_X);
    uint8_t *p = lw_enc_module_head(body, info->dlpi_addr, path, plen, bid, blen, nr);
    for (int i = 0, k = 0; i < info->dlpi_phnum && k < (int)nr; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        p = lw_enc_module_range(p, info->dlpi_addr + ph->p_vaddr, info->dlpi_addr + ph->p_vaddr + ph->p_memsz);
        k++;
    }
    p = lw_enc_module_first(p, first);
    if (lw_writer_meta(t, LW_REC_MODULE, body, (size_t)(p - body)) == 0) {
        lw_seen[lw_nseen].base = info->dlpi_addr;
        lw_seen[lw_nseen].lo = lo;
        lw_seen[lw_nseen].hi = hi;
        lw_seen[lw_nseen++].name_hash = nh;
    }
}

static int lw_mod_counters(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct lw_mod_ctx *c = arg;
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) {
        c->adds = info->dlpi_adds;
        c->subs = info->dlpi_subs;
    }
    return 1; /* the counters are the same in every entry */
}

static int lw_mod_each(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    lw_spin_lock(&lw_mod_spin);
    lw_mod_record(((struct lw_mod_ctx *)arg)->t, info);
    lw_spin_unlock(&lw_mod_spin);
    return 0;
}

/* lw_modules_unloaded: given the loader's count of removals now, make
 * libwait forget what it learned of unloaded code, once per change (see
 * lw_stack_code_unloaded). ~0 asks the loader for the count. */
void lw_modules_unloaded(unsigned long long subs)
{
    if (subs == ~0ull) {
        struct lw_mod_ctx c = {NULL, 0, 0};
        dl_iterate_phdr(lw_mod_counters, &c);
        subs = c.subs;
    }
    unsigned long long old = __atomic_load_n(&lw_unload_subs, __ATOMIC_ACQUIRE);
    if (old == subs || !__atomic_compare_exchange_n(&lw_unload_subs, &old, subs, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return;
    if (old != ~0ull)
        lw_stack_code_unloaded();
}

/* lw_modules_emit: write the modules not yet written, when the load map
 * changed since the last look (or always with force). Takes the loader's
 * lock through dl_iterate_phdr, so the caller must hold none of ours. */
void lw_modules_emit(struct lw_thread *t, int force)
{
    struct lw_mod_ctx c = {t, 0, 0};
    dl_iterate_phdr(lw_mod_counters, &c);
    if (!force && c.adds == __atomic_load_n(&lw_adds, __ATOMIC_RELAXED) &&
        c.subs == __atomic_load_n(&lw_subs, __ATOMIC_RELAXED))
        return;
    lw_modules_unloaded(c.subs); /* before the new counters are published */
    dl_iterate_phdr(lw_mod_each, &c);
    __atomic_store_n(&lw_adds, c.adds, __ATOMIC_RELAXED);
    __atomic_store_n(&lw_subs, c.subs, __ATOMIC_RELAXED);
}

static int lw_self_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    uintptr_t me = (uintptr_t)arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && me >= lo && me < hi) {
            lw_g.self_lo = lo;
            lw_g.self_hi = hi;
            return 1;
        }
    }
    return 0;
}

/* lw_modules_self_range: find libwait's own text, to strip it from stacks. */
void lw_modules_self_range(void) { dl_iterate_phdr(lw_self_cb, (void *)(uintptr_t)&lw_modules_self_range); }

/* lw_modules_reset_after_fork: the child's new file has no modules yet. */
void lw_modules_reset_after_fork(void)
{
    lw_nseen = 0;
    lw_adds = lw_subs = ~0ull;
}
