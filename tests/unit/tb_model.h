/* tb_model.h: a model built from a synthetic trace (tb.h), for the unit
 * tests that check what the model and its analyses make of one. Include it
 * after <cmocka.h>: its functions assert. */
#ifndef TB_MODEL_H
#define TB_MODEL_H

#include "tb.h"

/* tb_open_model: the trace in b's buffer, read quietly, and its model. */
static inline void tb_open_model(struct tb *b, struct wr_trace *t, struct wr_model *m)
{
    char err[256];
    t->quiet = 1;
    assert_int_equal(wr_trace_open_mem(t, b->buf, b->size, "synthetic", err, sizeof err), 0);
    assert_int_equal(wr_model_build(m, t), 0);
}

/* tb_close_model: free what tb_open_model made and b's buffer, once the
 * trace is known to have read without a warning. */
static inline void tb_close_model(struct tb *b, struct wr_trace *t, struct wr_model *m)
{
    assert_int_equal(t->warnings, 0);
    wr_model_free(m);
    wr_trace_close(t);
    free(b->buf);
}

#endif
