/* debuginfo.c: where the symbolizer looks for the separate debug files of
 * stripped modules (--debuginfo-path, symbols.h), as libdwfl callbacks. */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace/debuginfo.h"
#include "trace/symbols.h"

/* libdwfl's search path for separate debug files, read at each lookup:
 * absolute directories are searched for .build-id/xx/rest.debug and for
 * the module's path below them (with its .gnu_debuglink name), relative
 * ones below the module's own directory. When no file is found and
 * DEBUGINFOD_URLS is set, dwfl_standard_find_debuginfo asks those servers
 * by build-id (libdw loads libdebuginfod.so.1 itself when it is
 * installed). NULL is libdwfl's default, WR_DEBUGINFO_DEFAULT. */
#define WR_DEBUGINFO_DEFAULT ":.debug:/usr/lib/debug"
static char *debuginfo_path;
const Dwfl_Callbacks wr_offline_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

int wr_symbols_set_debuginfo_path(const char *dirs)
{
    char *copy, *rest, *dir, *buf = NULL, cwd[PATH_MAX];
    size_t len = 0;
    FILE *f;
    int bad = 0;

    if (dirs == NULL || (copy = strdup(dirs)) == NULL)
        return -1;
    if ((f = open_memstream(&buf, &len)) == NULL) {
        free(copy);
        return -1;
    }
    rest = copy;
    while ((dir = strsep(&rest, ":")) != NULL) {
        if (dir[0] == '\0')
            continue;
        /* libdwfl would read a relative entry below each module's
         * directory; the user means the current one. */
        if (dir[0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL)
            bad = 1;
        else if (dir[0] != '/')
            fprintf(f, "%s/%s:", cwd, dir);
        else
            fprintf(f, "%s:", dir);
    }
    fputs(WR_DEBUGINFO_DEFAULT, f);
    free(copy);
    if (fclose(f) != 0 || bad) {
        free(buf);
        return -1;
    }
    free(debuginfo_path);
    debuginfo_path = buf;
    return 0;
}
