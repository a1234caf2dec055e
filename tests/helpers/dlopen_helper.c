/* dlopen_helper.c: loads libz at run time and calls into it, so malloc is
 * reached from a library that was not in the load map at start. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    void *z = dlopen("libz.so.1", RTLD_NOW);
    if (!z)
        return 1;
    /* deflateInit_(strm, level, version, stream_size), deflateEnd(strm) */
    int (*init)(void *, int, const char *, int) = (int (*)(void *, int, const char *, int))dlsym(z, "deflateInit_");
    int (*end)(void *) = (int (*)(void *))dlsym(z, "deflateEnd");
    const char *(*ver)(void) = (const char *(*)(void))dlsym(z, "zlibVersion");
    if (!init || !end || !ver)
        return 1;
    unsigned char strm[112]; /* sizeof(z_stream) on x86-64 */
    memset(strm, 0, sizeof strm);
    if (init(strm, 6, ver(), (int)sizeof strm) != 0)
        return 1;
    end(strm);
    puts("deflate ok");
    return 0;
}
