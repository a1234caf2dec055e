/* elfsyms.h: a module's ELF symbols sorted by address, so that the name
 * libdwfl gives a return address can be reused for the other addresses of
 * the same function without asking libdwfl again.
 *
 * dwfl_module_addrinfo scans the whole symbol table on every call: cc1's
 * 28,900 dynamic symbols, for each of the thousands of distinct return
 * addresses a compiler's trace holds, made that scan most of a report's
 * time. Its answer depends only on which symbols are candidates for the
 * address (those at or below it that contain it, or have no size). When a
 * sized symbol's range (or the one range of several aliases) overlaps no
 * other symbol's range and holds no other symbol's address, every address
 * in the range has the same candidates, so the same answer: that range is
 * "isolated", and its name is asked of libdwfl once. (A sizeless symbol
 * in no section, such as libc's version names, is a candidate only at its
 * own address.) A lone symbol with no
 * sizeless symbol below it is the only candidate, and its own name is the
 * answer without asking. An address that no symbol's range holds, with no sizeless
 * symbol at or below it, has no candidate, and libdwfl names it nothing
 * ("??": a static function of a stripped program). Addresses anywhere
 * else are asked every time, so names are always exactly libdwfl's. */
#ifndef WR_ELFSYMS_H
#define WR_ELFSYMS_H

#include <elfutils/libdwfl.h>
#include <stddef.h>
#include <stdint.h>

struct wr_elfsym {
    uint64_t lo, hi;  /* [lo, hi): the symbol's range, in the module's addresses */
    const char *name; /* libdwfl's name for the range once asked; NULL until then */
    const char *own;  /* the symbol's own name when it is the range's only candidate, else NULL */
    uint64_t reach;   /* the end of the ranges of this symbol and those before it */
    int isolated;     /* sized, and no symbol but its aliases (same range) meets it */
    int sizeless;     /* this symbol or one before it has no size and a section */
    int abs;          /* in no section (SHN_ABS ...): libdwfl matches it only at its very address */
};

struct wr_elfsyms {
    struct wr_elfsym *sym; /* by lo */
    size_t n;
    int built; /* wr_elfsyms_at has read the module's table (or failed to) */
};

/* wr_elfsyms_at: the isolated symbol whose range holds address a of dm, or
 * NULL, with *unnamed set when libdwfl has no name for a at all. The table
 * is read on the first call; when it cannot be, every address gets NULL
 * and *unnamed 0. A caller that gets an entry with no name and no own
 * name asks libdwfl, and stores the name there when libdwfl's symbol is
 * exactly this range. The own name lives as long as dm. */
struct wr_elfsym *wr_elfsyms_at(struct wr_elfsyms *x, Dwfl_Module *dm, uint64_t a, int *unnamed);

/* wr_elfsyms_free: the table's memory (the names are the caller's). */
void wr_elfsyms_free(struct wr_elfsyms *x);

#endif
