/* test_symbols.c: the symbolizer on this test binary's own load map. */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "trace/symbols.h"

#define MAX_MODS   64
#define MAX_RANGES 16

struct tmod {
    char path[4096];
    uint64_t base;
    uint8_t build_id[64];
    size_t build_id_len;
    uint64_t ranges[MAX_RANGES][2];
    size_t nranges;
};

static struct tmod mods[MAX_MODS];
static size_t nmods;
static size_t main_mod = (size_t)-1;

static volatile uint64_t ret_known, ret_inl;
static volatile int line_known, line_inl, line_outer;

static __attribute__((noinline, noclone)) uint64_t get_ret(void)
{
    uint64_t r = (uint64_t)(uintptr_t)__builtin_return_address(0);
    __asm__ volatile("" ::: "memory");
    return r;
}

/* Each call below shares its line with the __LINE__ that names it, which
 * is the line the symbolizer must give for the call's return address. */
// clang-format off
static __attribute__((noinline, noclone)) void known_caller(void)
{
    ret_known = get_ret(); line_known = __LINE__;
}

static inline __attribute__((always_inline)) void inl_fn(void)
{
    ret_inl = get_ret(); line_inl = __LINE__;
}

static __attribute__((noinline, noclone)) void outer_fn(void)
{
    inl_fn(); line_outer = __LINE__;
}
// clang-format on

static void note_build_id(struct tmod *m, const ElfW(Phdr) * ph, ElfW(Addr) base)
{
    const uint8_t *p = (const uint8_t *)(uintptr_t)(base + ph->p_vaddr);
    const uint8_t *end = p + ph->p_memsz;

    while (p + sizeof(ElfW(Nhdr)) <= end) {
        const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
        const uint8_t *name = p + sizeof(*nh);
        const uint8_t *desc = name + ((nh->n_namesz + 3) & ~3u);
        if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
            nh->n_descsz <= sizeof(m->build_id)) {
            memcpy(m->build_id, desc, nh->n_descsz);
            m->build_id_len = nh->n_descsz;
            return;
        }
        p = desc + ((nh->n_descsz + 3) & ~3u);
    }
}

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct tmod *m;
    (void)size;
    (void)arg;
    if (nmods == MAX_MODS)
        return 1;
    m = &mods[nmods];
    memset(m, 0, sizeof(*m));
    if (info->dlpi_name == NULL || info->dlpi_name[0] == '\0') {
        ssize_t n = readlink("/proc/self/exe", m->path, sizeof(m->path) - 1);
        if (n <= 0 || main_mod != (size_t)-1)
            return 0;
        m->path[n] = '\0';
        main_mod = nmods;
    } else {
        snprintf(m->path, sizeof(m->path), "%s", info->dlpi_name);
    }
    m->base = info->dlpi_addr;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_NOTE && m->build_id_len == 0)
            note_build_id(m, ph, info->dlpi_addr);
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && m->nranges < MAX_RANGES) {
            m->ranges[m->nranges][0] = info->dlpi_addr + ph->p_vaddr;
            m->ranges[m->nranges][1] = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
            m->nranges++;
        }
    }
    nmods++;
    return 0;
}

static void add(struct wr_symbols *s, const struct tmod *m)
{
    wr_symbols_add_module(s, m->path, m->base, m->build_id_len ? m->build_id : NULL, m->build_id_len,
                          (const uint64_t(*)[2])m->ranges, m->nranges, 0);
}

static struct wr_symbols *load_all(void)
{
    struct wr_symbols *s = wr_symbols_new();
    assert_non_null(s);
    /* reverse order: registration order must not matter */
    for (size_t i = nmods; i-- > 0;)
        add(s, &mods[i]);
    return s;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static const char *base_name(const char *p)
{
    const char *sl = strrchr(p, '/');
    return sl ? sl + 1 : p;
}

static void test_known_caller(void **state)
{
    struct wr_symbols *s = load_all();
    struct wr_frame f[8];
    size_t n;
    (void)state;

    known_caller();
    for (int pass = 0; pass < 2; pass++) { /* second pass: cached */
        n = wr_symbols_resolve(s, UINT32_MAX, ret_known, f, 8);
        assert_int_equal(n, 1);
        assert_string_equal(f[0].function, "known_caller");
        assert_non_null(f[0].file);
        assert_true(ends_with(f[0].file, "test_symbols.c"));
        assert_int_equal(f[0].line, line_known);
        assert_int_equal(f[0].inlined, 0);
        assert_string_equal(f[0].module, base_name(mods[main_mod].path));
        assert_true(f[0].addr == ret_known);
        assert_true(f[0].offset == ret_known - mods[main_mod].base);
    }
    wr_symbols_free(s);
}

static void test_inlined(void **state)
{
    struct wr_symbols *s = load_all();
    struct wr_frame f[8];
    size_t n;
    (void)state;

    outer_fn();
    n = wr_symbols_resolve(s, UINT32_MAX, ret_inl, f, 8);
    assert_int_equal(n, 2);
    assert_string_equal(f[0].function, "inl_fn");
    assert_int_equal(f[0].inlined, 1);
    assert_int_equal(f[0].line, line_inl);
    assert_true(ends_with(f[0].file, "test_symbols.c"));
    assert_string_equal(f[1].function, "outer_fn");
    assert_int_equal(f[1].inlined, 0);
    assert_int_equal(f[1].line, line_outer);
    assert_true(ends_with(f[1].file, "test_symbols.c"));
    /* max truncates, innermost first */
    assert_int_equal(wr_symbols_resolve(s, UINT32_MAX, ret_inl, f, 1), 1);
    assert_string_equal(f[0].function, "inl_fn");
    wr_symbols_free(s);
}

static void assert_unknown(const struct wr_frame *f, const char *module)
{
    assert_string_equal(f->function, "??");
    assert_null(f->file);
    assert_int_equal(f->line, 0);
    assert_string_equal(f->module, module);
}

static void test_unmapped(void **state)
{
    static const uint64_t addrs[] = {0, 1, 0x10, UINT64_MAX, 0x7fffffffffffULL << 8};
    struct wr_symbols *s = load_all();
    struct wr_frame f[4];
    (void)state;

    for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
        assert_int_equal(wr_symbols_resolve(s, UINT32_MAX, addrs[i], f, 4), 1);
        assert_unknown(&f[0], "[unknown]");
        assert_true(f[0].addr == addrs[i]);
        assert_true(f[0].offset == 0);
    }
    assert_int_equal(wr_symbols_resolve(s, UINT32_MAX, 0x10, f, 0), 0);
    assert_int_equal(wr_symbols_resolve(s, UINT32_MAX, 0x10, NULL, 4), 0);
    assert_int_equal(wr_symbols_resolve(NULL, UINT32_MAX, 0x10, f, 4), 1);
    assert_unknown(&f[0], "[unknown]");
    wr_symbols_free(s);
    wr_symbols_free(NULL);
}

static void test_missing_path(void **state)
{
    static const uint64_t r[2][2] = {{0x1000, 0x2000}, {0x3000, 0x3000}};
    static const uint64_t r2[1][2] = {{0x5000, 0x6000}};
    static const uint64_t r3[1][2] = {{0x7000, 0x8000}};
    struct wr_symbols *s = wr_symbols_new();
    struct wr_frame f[4];
    (void)state;

    wr_symbols_add_module(s, "/nonexistent/dir/libfoo.so.1", 0x1000, NULL, 0, r, 2, 0);
    wr_symbols_add_module(s, "/dev/null", 0x5000, (const uint8_t *)"x", 1, r2, 1, 0);
    wr_symbols_add_module(s, "/etc/hostname", 0x7000, NULL, 0, r3, 1, 0);
    wr_symbols_add_module(s, "", 0, NULL, 0, NULL, 3, 0);
    wr_symbols_add_module(s, "/also/missing", 0, NULL, 0, NULL, 0, 0);
    assert_int_equal(wr_symbols_resolve(s, UINT32_MAX, 0x1801, f, 4), 1);
    assert_unknown(&f[0], "libfoo.so.1");
    assert_true(f[0].offset == 0x801);
    assert_int_equal(wr_symbols_resolve(s, UINT32_MAX, 0x5001, f, 4), 1);
    assert_unknown(&f[0], "null");
    assert_int_equal(wr_symbols_resolve(s, UINT32_MAX, 0x7001, f, 4), 1);
    assert_unknown(&f[0], "hostname");
    assert_int_equal(wr_symbols_resolve(s, UINT32_MAX, 0x3001, f, 4), 1); /* empty range */
    assert_unknown(&f[0], "[unknown]");
    wr_symbols_free(s);
}

static void test_build_id_mismatch(void **state)
{
    struct tmod m = mods[main_mod];
    struct wr_symbols *s = wr_symbols_new();
    struct wr_frame f[4];
    (void)state;

    m.build_id_len = m.build_id_len ? m.build_id_len : 20;
    m.build_id[0] ^= 0xff;
    add(s, &m);
    known_caller();
    assert_int_equal(wr_symbols_resolve(s, UINT32_MAX, ret_known, f, 4), 1);
    assert_unknown(&f[0], base_name(m.path));
    assert_true(f[0].offset == ret_known - m.base);
    wr_symbols_free(s);
}

static void test_late_registration(void **state)
{
    struct wr_symbols *s = wr_symbols_new();
    struct wr_frame f[4];
    (void)state;

    known_caller();
    /* resolve before the module is known, then again after: no stale cache */
    assert_int_equal(wr_symbols_resolve(s, UINT32_MAX, ret_known, f, 4), 1);
    assert_unknown(&f[0], "[unknown]");
    for (size_t i = 0; i < nmods; i++)
        if (i != main_mod)
            add(s, &mods[i]);
    assert_int_equal(wr_symbols_resolve(s, UINT32_MAX, ret_known, f, 4), 1);
    assert_unknown(&f[0], "[unknown]");
    add(s, &mods[main_mod]);
    assert_int_equal(wr_symbols_resolve(s, UINT32_MAX, ret_known, f, 4), 1);
    assert_string_equal(f[0].function, "known_caller");
    assert_int_equal(f[0].line, line_known);
    wr_symbols_free(s);
}

static void test_garbage_in_modules(void **state)
{
    struct wr_symbols *s = load_all();
    struct wr_frame f[8];
    (void)state;

    /* every byte of every executable range, sparsely: must not crash */
    for (size_t i = 0; i < nmods; i++)
        for (size_t r = 0; r < mods[i].nranges; r++)
            for (uint64_t a = mods[i].ranges[r][0]; a <= mods[i].ranges[r][1]; a += 4093) {
                size_t n = wr_symbols_resolve(s, UINT32_MAX, a, f, 8);
                assert_true(n >= 1 && n <= 8);
                for (size_t k = 0; k < n; k++) {
                    assert_non_null(f[k].function);
                    assert_non_null(f[k].module);
                }
            }
    /* a libc function: symbol from libc's ELF symbol table */
    uint64_t a = (uint64_t)(uintptr_t)&getppid + 1;
    assert_int_equal(wr_symbols_resolve(s, UINT32_MAX, a, f, 8) >= 1, 1);
    assert_string_equal(f[0].module, "libc.so.6");
    assert_non_null(strstr(f[0].function, "getppid"));
    wr_symbols_free(s);
}

/* Symbolizers that share a library: one module file loaded at two bases
 * resolves the same, with each process's own address and a shared string;
 * the same path under another build-id is another file (unknown here); a
 * symbolizer freed early leaves the others' module files intact. */
static void test_shared_library(void **state)
{
    const uint64_t shift = 0x100000000ull;
    struct tmod moved = mods[main_mod], wrong = mods[main_mod];
    struct wr_symlib *lib = wr_symlib_new();
    struct wr_symbols *a, *b, *c;
    struct wr_frame fa[4], fb[4], fc[4];
    (void)state;

    assert_non_null(lib);
    moved.base += shift;
    for (size_t r = 0; r < moved.nranges; r++)
        moved.ranges[r][0] += shift, moved.ranges[r][1] += shift;
    wrong.build_id_len = wrong.build_id_len ? wrong.build_id_len : 20;
    wrong.build_id[0] ^= 0xff;
    a = wr_symbols_new_in(lib);
    b = wr_symbols_new_in(lib);
    c = wr_symbols_new_in(lib);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_null(wr_symbols_new_in(NULL));
    add(a, &mods[main_mod]);
    add(b, &moved);
    add(c, &wrong);
    known_caller();
    assert_int_equal(wr_symbols_resolve(a, UINT32_MAX, ret_known, fa, 4), 1);
    wr_symbols_free(a); /* b still uses the file a opened */
    assert_int_equal(wr_symbols_resolve(b, UINT32_MAX, ret_known + shift, fb, 4), 1);
    assert_string_equal(fb[0].function, "known_caller");
    assert_ptr_equal(fa[0].function, fb[0].function);
    assert_int_equal(fb[0].line, line_known);
    assert_true(fb[0].addr == ret_known + shift && fa[0].addr == ret_known);
    assert_true(fb[0].offset == fa[0].offset && fa[0].offset == ret_known - mods[main_mod].base);
    assert_int_equal(wr_symbols_resolve(c, UINT32_MAX, ret_known, fc, 4), 1);
    assert_unknown(&fc[0], base_name(wrong.path));
    wr_symbols_free(b);
    wr_symbols_free(c);
    wr_symlib_free(lib);
    wr_symlib_free(NULL);
}

/* A module loaded where another was unloaded: each stack's addresses
 * belong to the load in force when the stack was taken. */
static void test_reused_addresses(void **state)
{
    static const uint64_t r[1][2] = {{0x1000, 0x2000}};
    static const uint64_t r2[1][2] = {{0x1800, 0x2800}};
    static const uint64_t r3[1][2] = {{0x4000, 0x5000}};
    struct wr_symbols *s = wr_symbols_new();
    struct wr_frame f[4];
    (void)state;

    wr_symbols_add_module(s, "/gone/liba.so", 0x1000, NULL, 0, r, 1, 0);
    wr_symbols_add_module(s, "/gone/libb.so", 0x1000, NULL, 0, r, 1, 40);
    wr_symbols_add_module(s, "/gone/libc2.so", 0x1800, NULL, 0, r2, 1, 90);
    wr_symbols_add_module(s, "/gone/libd.so", 0x4000, NULL, 0, r3, 1, 0);
    assert_int_equal(wr_symbols_resolve(s, 1, 0x1901, f, 4), 1);
    assert_unknown(&f[0], "liba.so");
    assert_int_equal(wr_symbols_resolve(s, 39, 0x1901, f, 4), 1);
    assert_unknown(&f[0], "liba.so");
    assert_int_equal(wr_symbols_resolve(s, 40, 0x1901, f, 4), 1);
    assert_unknown(&f[0], "libb.so");
    assert_int_equal(wr_symbols_resolve(s, 89, 0x1101, f, 4), 1);
    assert_unknown(&f[0], "libb.so");
    assert_int_equal(wr_symbols_resolve(s, 90, 0x1901, f, 4), 1);
    assert_unknown(&f[0], "libc2.so");
    assert_int_equal(wr_symbols_resolve(s, 90, 0x1101, f, 4), 1); /* libc2 does not cover it */
    assert_unknown(&f[0], "libb.so");
    assert_int_equal(wr_symbols_resolve(s, UINT32_MAX, 0x2101, f, 4), 1);
    assert_unknown(&f[0], "libc2.so");
    assert_int_equal(wr_symbols_resolve(s, 5, 0x2101, f, 4), 1); /* older than every load there */
    assert_unknown(&f[0], "libc2.so");
    assert_int_equal(wr_symbols_resolve(s, 5, 0x4101, f, 4), 1); /* past the overlaps */
    assert_unknown(&f[0], "libd.so");
    assert_int_equal(wr_symbols_resolve(s, 5, 0x3001, f, 4), 1);
    assert_unknown(&f[0], "[unknown]");
    wr_symbols_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_caller),       cmocka_unit_test(test_inlined),
        cmocka_unit_test(test_unmapped),           cmocka_unit_test(test_missing_path),
        cmocka_unit_test(test_build_id_mismatch),  cmocka_unit_test(test_late_registration),
        cmocka_unit_test(test_garbage_in_modules), cmocka_unit_test(test_shared_library),
        cmocka_unit_test(test_reused_addresses),
    };
    dl_iterate_phdr(phdr_cb, NULL);
    if (main_mod == (size_t)-1) {
        fprintf(stderr, "test_symbols: main program not found\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
