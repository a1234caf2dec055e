/* test_elfsyms.c: the sorted symbol table (analyzer/trace/elfsyms.h)
 * against libdwfl itself, on real modules: this test binary (its own
 * .symtab), libc (aliases, versioned and sizeless symbols) and, where gcc
 * is installed, its stripped cc1 (28,900 dynamic symbols and many
 * addresses in static functions that no symbol names). For addresses at
 * and around every symbol's ends, and at random, what the table says must
 * be what dwfl_module_addrinfo says: no name where it says "unnamed", the
 * symbol's own name where it gives one, and one name for every address of
 * an isolated range. */
#define _GNU_SOURCE
#include <elf.h>
#include <gelf.h>
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

#include "trace/elfsyms.h"

static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
};

struct counts {
    unsigned long asked, unnamed, own, memo;
};

/* check: one address of dm, the table against libdwfl. */
static void check(struct wr_elfsyms *x, Dwfl_Module *dm, uint64_t a, struct counts *c)
{
    int unnamed;
    struct wr_elfsym *e = wr_elfsyms_at(x, dm, a, &unnamed);
    GElf_Off off;
    GElf_Sym sym;
    const char *n = dwfl_module_addrinfo(dm, a, &off, &sym, NULL, NULL, NULL);
    c->asked++;
    if (unnamed) {
        c->unnamed++;
        if (n != NULL)
            fail_msg("0x%lx: table says unnamed, libdwfl says %s", (unsigned long)a, n);
        return;
    }
    if (e == NULL)
        return;
    assert_non_null(n);
    if (e->own != NULL) {
        c->own++;
        if (strcmp(n, e->own) != 0)
            fail_msg("0x%lx: own name %s, libdwfl says %s", (unsigned long)a, e->own, n);
    }
    /* the test keeps libdwfl's first answer for the range in e->name, as
     * symbols.c does: every later address of the range must agree */
    if (e->name == NULL && a - off == e->lo && sym.st_size == e->hi - e->lo) {
        e->name = n;
    } else if (e->name != NULL) {
        c->memo++;
        if (strcmp(n, e->name) != 0)
            fail_msg("0x%lx: range [0x%lx, 0x%lx) named %s, libdwfl now says %s", (unsigned long)a,
                     (unsigned long)e->lo, (unsigned long)e->hi, e->name, n);
    }
}

/* one_module: open path at bias 0 (symbols.c's way) and check addresses
 * at most ~max times. */
static void one_module(const char *path, unsigned long max)
{
    if (access(path, R_OK) != 0) {
        print_message("skipped: %s not found\n", path);
        return;
    }
    Dwfl *dwfl = dwfl_begin(&callbacks);
    assert_non_null(dwfl);
    dwfl_report_begin(dwfl);
    Dwfl_Module *dm = dwfl_report_elf(dwfl, "m", path, -1, 0, true);
    assert_int_equal(dwfl_report_end(dwfl, NULL, NULL), 0);
    assert_non_null(dm);
    struct wr_elfsyms x = {0};
    struct counts c = {0};
    int unnamed;
    (void)wr_elfsyms_at(&x, dm, 0, &unnamed); /* reads the table */
    assert_true(x.n > 0);
    size_t step = x.n * 6 / max + 1;
    for (size_t i = 0; i < x.n; i += step) {
        const struct wr_elfsym *s = &x.sym[i];
        uint64_t probe[] = {s->lo - 1, s->lo, s->lo + 1, s->lo + (s->hi - s->lo) / 2, s->hi - 1, s->hi};
        for (size_t k = 0; k < sizeof probe / sizeof probe[0]; k++)
            check(&x, dm, probe[k], &c);
    }
    /* addresses between the symbols, where stripped code lies */
    uint64_t lo = x.sym[0].lo, span = x.sym[x.n - 1].hi - lo + 1;
    srand(7);
    for (unsigned long i = 0; i < max / 4; i++)
        check(&x, dm, lo + (uint64_t)rand() % span, &c);
    print_message("%s: %zu symbols, %lu addresses, %lu unnamed, %lu by own name, %lu by a range's name\n", path, x.n,
                  c.asked, c.unnamed, c.own, c.memo);
    assert_true(c.own > 0);
    wr_elfsyms_free(&x);
    dwfl_end(dwfl);
}

static void test_self(void **st)
{
    (void)st;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(n > 0);
    self[n] = 0;
    one_module(self, 6000);
}

static int find_libc(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    if (strstr(info->dlpi_name, "/libc.so") != NULL) {
        snprintf(data, 4096, "%s", info->dlpi_name);
        return 1;
    }
    return 0;
}

static void test_libc(void **st)
{
    (void)st;
    char path[4096] = "";
    dl_iterate_phdr(find_libc, path);
    assert_true(path[0] != 0);
    one_module(path, 6000);
}

static void test_stripped_cc1(void **st)
{
    (void)st;
    char path[4096] = "";
    FILE *p = popen("gcc -print-prog-name=cc1 2>/dev/null", "r");
    if (p != NULL) {
        if (fgets(path, sizeof path, p) == NULL)
            path[0] = 0;
        pclose(p);
    }
    path[strcspn(path, "\n")] = 0;
    if (path[0] != '/') {
        print_message("skipped: no cc1\n");
        return;
    }
    one_module(path, 3000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_self),
        cmocka_unit_test(test_libc),
        cmocka_unit_test(test_stripped_cc1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
