/* linemerge.h: the stacks merged by --merge line (linemerge.c). */
#ifndef WR_LINEMERGE_H
#define WR_LINEMERGE_H

#include "model/model.h"

/* wr_line_map: the stacks of m that show the same frames as a stack with a
 * lower id, each mapped to the lowest, into *map (*n of them). 0 or -1. */
int wr_line_map(struct wr_model *m, struct wr_stackmap **map, size_t *n);

/* wr_stackmap_free: free a map of wr_line_map. */
void wr_stackmap_free(struct wr_stackmap *map);

#endif
