/* grow.h: the analyzer's one way to make room in a growable array. */
#ifndef WR_GROW_H
#define WR_GROW_H

#include <stdlib.h>

/* wr_grow: make room for element n of elem bytes in *arr, whose capacity is
 * *cap elements: nothing when n < *cap, else the capacity doubles (first
 * when it was 0). Doubling keeps the copying linear in the final size. 0, or
 * -1 on out of memory (*arr and *cap unchanged). */
static inline int wr_grow(void **arr, size_t *cap, size_t n, size_t elem, size_t first)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? 2 * *cap : first;
    void *p = realloc(*arr, c * elem);
    if (!p)
        return -1;
    *arr = p;
    *cap = c;
    return 0;
}

#endif
