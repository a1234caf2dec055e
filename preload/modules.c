/* modules.c: the process's load map (path, load bias, build-id, executable
 * ranges), written as LW_REC_MODULE records so the analyzer can symbolize
 * offline after ASLR. Written at a thread's start and again whenever the
 * loader's add/remove counters move (dlopen/dlclose), checked before every
 * new stack is written. */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <string.h>

#include "lw_internal.h"

#define LW_MOD_MAX 1024
struct lw_mod_seen {
    uintptr_t base;
    uint64_t name_hash;
};
static struct lw_mod_seen lw_seen[LW_MOD_MAX];
static unsigned lw_nseen;
static unsigned long long lw_adds = ~0ull, lw_subs = ~0ull;
static int lw_mod_spin;

struct lw_mod_ctx {
    struct lw_thread *t;
    unsigned long long adds, subs;
};

static void lw_mod_lock(void)
{
    while (__atomic_exchange_n(&lw_mod_spin, 1, __ATOMIC_ACQUIRE))
        __builtin_ia32_pause();
}

static void lw_mod_unlock(void) { __atomic_store_n(&lw_mod_spin, 0, __ATOMIC_RELEASE); }

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
    if (lw_nseen == LW_MOD_MAX)
        return;
    uint8_t body[LW_PATH_MAX + 256 + 64 * 2 * LW_VARINT_MAX], *p = body;
    size_t plen = strnlen(path, LW_PATH_MAX - 1);
    const uint8_t *bid = NULL;
    size_t blen = lw_build_id(info, &bid);
    if (blen > 64)
        blen = 0;
    p = lw_put_uv(p, info->dlpi_addr);
    p = lw_put_uv(p, plen);
    memcpy(p, path, plen);
    p += plen;
    p = lw_put_uv(p, blen);
    memcpy(p, bid, blen);
    p += blen;
    uint8_t *np = p++;
    unsigned nr = 0;
    for (int i = 0; i < info->dlpi_phnum && nr < 64; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        p = lw_put_uv(p, info->dlpi_addr + ph->p_vaddr);
        p = lw_put_uv(p, info->dlpi_addr + ph->p_vaddr + ph->p_memsz);
        nr++;
    }
    *np = (uint8_t)nr;
    if (lw_writer_meta(t, LW_REC_MODULE, body, (size_t)(p - body)) == 0) {
        lw_seen[lw_nseen].base = info->dlpi_addr;
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
    lw_mod_lock();
    lw_mod_record(((struct lw_mod_ctx *)arg)->t, info);
    lw_mod_unlock();
    return 0;
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
    unsigned long long subs = __atomic_load_n(&lw_subs, __ATOMIC_RELAXED);
    if (subs != ~0ull && c.subs != subs)
        lw_stack_code_unloaded(); /* before the new counters are published */
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
