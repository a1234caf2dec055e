/* symbols.h: offline symbolizer for addresses recorded in a trace, built on
 * elfutils libdwfl.  A wr_symbols holds one process's modules and where it
 * loaded them; the module files themselves, their debug information and the
 * frames resolved in them live in a wr_symlib, which any number of
 * wr_symbols (one per process of a multi-process report) can share.  Not
 * thread-safe: use one wr_symlib, and its wr_symbols, per thread. */
#ifndef WR_SYMBOLS_H
#define WR_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

struct wr_frame {
    const char *function; /* demangled if possible; "??" when unknown; never NULL */
    const char *file;     /* source file path, or NULL when unknown */
    int line;             /* 0 when unknown */
    const char *module;   /* basename of the module path, e.g. "libc.so.6", or "[unknown]" */
    uint64_t addr;        /* the address as given */
    uint64_t offset;      /* addr - module load base (0 if no module) */
    int inlined;          /* 1 if this frame is an inlined call inside the next frame */
};

struct wr_symbols;

struct wr_symlib;

/* Search the directories of dirs (colon-separated; a relative one is taken
 * from the current directory) for the separate debug files of stripped
 * modules, before the default ones: each module's own directory and its
 * .debug, then /usr/lib/debug. A directory is laid out as /usr/lib/debug
 * is: .build-id/xx/rest.debug by build-id, or the module's path below it.
 * Applies to every symbolizer, from its next lookup on; call it before any
 * is resolving (not thread-safe). 0, or -1 on out of memory or when dirs
 * is NULL or the current directory cannot be named (the path in force is
 * left as it was). */
int wr_symbols_set_debuginfo_path(const char *dirs);

/* Create an empty library of module files.  NULL only on out of memory. */
struct wr_symlib *wr_symlib_new(void);

/* Free l, every module file it opened and every string it handed out.  Its
 * symbolizers must be freed first.  NULL is a no-op. */
void wr_symlib_free(struct wr_symlib *l);

/* Create an empty symbolizer with a library of its own, freed with it.
 * Returns NULL only on out of memory. */
struct wr_symbols *wr_symbols_new(void);

/* Create an empty symbolizer that opens its module files through lib (which
 * must outlive it): a file that another symbolizer of lib registered under
 * the same path and build-id is not opened again, and an address already
 * resolved at the same offset in it is not resolved again.  NULL on out of
 * memory or when lib is NULL. */
struct wr_symbols *wr_symbols_new_in(struct wr_symlib *lib);

/* Register a module loaded in the traced process: its path on disk, its load
 * bias (dl_iterate_phdr dlpi_addr; 0 for non-PIE executables), optional GNU
 * build-id bytes (NULL/0 to skip the check), and its executable address
 * ranges [lo,hi) at run time, and the first stack id whose frames may lie
 * in its code (0 for all; see LW_REC_MODULE).  Never fails: a path that no
 * longer exists, is not a regular ELF file, or whose build-id differs makes
 * addresses in its ranges resolve to function "??" with module basename and
 * offset.  Calls may come in any order and may be interleaved with
 * wr_symbols_resolve.  Ranges of different modules overlap only where one
 * was unloaded and the other loaded in its place: an address of stack id
 * then belongs to the module with the greatest first_stack not above id.
 * Empty ranges (lo >= hi) are ignored.  On out of memory the module (or
 * some of its ranges) is dropped.  The file is opened lazily, on the first
 * wr_symbols_resolve inside it. */
void wr_symbols_add_module(struct wr_symbols *s, const char *path, uint64_t base, const uint8_t *build_id,
                           size_t build_id_len, const uint64_t (*ranges)[2], size_t nranges, uint32_t first_stack);

/* Resolve a RETURN address of stack id stack (UINT32_MAX: as the latest
 * load map has it) (looks up ret_addr - 1, so the call instruction's line
 * is found) into up to max frames, innermost first: inlined frames first
 * (inlined=1), then the containing function (inlined=0).  For an address in
 * inlined code this gives e.g. [inlined_fn (inlined=1, file:line of the
 * inlined code), outer_fn (inlined=0, file:line of the call of inlined_fn)].
 * Returns the number of frames written: at least 1 when max >= 1 and out is
 * not NULL (an unknown address gives one "??" frame), 0 otherwise.  Any
 * address value is safe.  Results are cached per module file and offset;
 * all strings are owned by the library and live until it is freed (for
 * wr_symbols_new's own library: until wr_symbols_free). */
size_t wr_symbols_resolve(struct wr_symbols *s, uint32_t stack, uint64_t ret_addr, struct wr_frame *out, size_t max);

/* Free s, and its library if it has its own.  NULL is a no-op. */
void wr_symbols_free(struct wr_symbols *s);

#endif
