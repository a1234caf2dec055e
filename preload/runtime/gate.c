/* gate.c: the fork gate. libunwind and the loader (dl_iterate_phdr) keep locks of
 * their own; a fork child inherits them held if another thread was inside
 * at the fork, and its first unwind then waits forever. So the unwind path
 * runs inside the gate, and the fork prepare handler closes the gate and
 * waits until nobody is inside. Never nest lw_gate_enter. */
#define _GNU_SOURCE
#include "runtime/runtime.h"

static int lw_gate_closed, lw_gate_inside;
static LW_TLS int lw_gate_mine; /* this thread closed the gate, or is inside */

void lw_gate_enter(void)
{
    if (lw_gate_mine) /* a signal handler of the closer, or of an insider */
        return;
    for (;;) {
        while (__atomic_load_n(&lw_gate_closed, __ATOMIC_SEQ_CST))
            lw_cpu_relax();
        __atomic_fetch_add(&lw_gate_inside, 1, __ATOMIC_SEQ_CST);
        if (!__atomic_load_n(&lw_gate_closed, __ATOMIC_SEQ_CST))
            break;
        __atomic_fetch_sub(&lw_gate_inside, 1, __ATOMIC_SEQ_CST);
    }
    lw_gate_mine = 1;
    lw_own_window = 1;
}

void lw_gate_leave(void)
{
    if (lw_gate_mine != 1)
        return;
    lw_gate_mine = 0;
    lw_own_window = 0;
    __atomic_fetch_sub(&lw_gate_inside, 1, __ATOMIC_SEQ_CST);
}

/* lw_gate_close: (fork prepare) wait until no other thread is inside. */
void lw_gate_close(void)
{
    int mine = lw_gate_mine == 1;
    lw_gate_mine = 2;
    __atomic_store_n(&lw_gate_closed, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&lw_gate_inside, __ATOMIC_SEQ_CST) > mine)
        lw_cpu_relax();
    lw_gate_mine = mine ? 1 : 2;
}

/* lw_gate_open: (fork parent and child) let threads in again. In the child
 * only the forking thread exists. */
void lw_gate_open(int child)
{
    int mine = lw_gate_mine == 1;
    if (child)
        __atomic_store_n(&lw_gate_inside, mine, __ATOMIC_SEQ_CST);
    lw_gate_mine = mine;
    __atomic_store_n(&lw_gate_closed, 0, __ATOMIC_SEQ_CST);
}
