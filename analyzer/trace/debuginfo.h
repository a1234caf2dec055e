/* debuginfo.h: the libdwfl callbacks of the symbolizer's module files,
 * whose debug-file search path wr_symbols_set_debuginfo_path sets
 * (debuginfo.c). */
#ifndef WR_DEBUGINFO_H
#define WR_DEBUGINFO_H

#include <elfutils/libdwfl.h>

extern const Dwfl_Callbacks wr_offline_callbacks;

#endif
