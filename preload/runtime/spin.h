/* spin.h: the one lock of libwait's runtime, a test-and-test-and-set
 * spinlock. It guards short sections that never wait for anything else:
 * the process-wide table of stacks (stack_table.c), the registry of thread
 * states (thread.c) and the list of modules already written (modules.c).
 *
 * A spinlock is neither recursive nor aware of signals, so its users keep
 * three rules, each said where the lock is declared:
 *  - a thread takes it only where no code of its own can come back to it
 *    before it is released: with the thread's guard held, or with lw_tls
 *    pointing at the dead state, so that a signal handler's wrapped calls
 *    pass straight through instead of spinning on a lock their thread
 *    holds;
 *  - a holder calls nothing that may wait on the program: no malloc (the
 *    program's allocator may take a lock whose holder is spinning here),
 *    none of the program's locks, no loader lock;
 *  - a fork child has only the forking thread, so a lock another thread
 *    held at the fork would stay held: each lock is either taken by the
 *    fork prepare handler and released in parent and child, reset in the
 *    child (lw_spin_init), or only taken inside the fork gate, which the
 *    fork waits to be empty. */
#ifndef LW_SPIN_H
#define LW_SPIN_H

#include "runtime/arch.h"

typedef struct {
    int held;
} lw_spin;

/* Acquire ordering on taking and release ordering on letting go make the
 * section's stores visible to the next holder. Waiters spin on a plain
 * load, so that they leave the line shared until it is released. */
static inline void lw_spin_lock(lw_spin *s)
{
    while (__atomic_exchange_n(&s->held, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&s->held, __ATOMIC_RELAXED))
            lw_cpu_relax();
}

static inline void lw_spin_unlock(lw_spin *s) { __atomic_store_n(&s->held, 0, __ATOMIC_RELEASE); }

/* lw_spin_init: free, whoever held it (a fork child, where the holder does
 * not exist). A zeroed lw_spin is free too. */
static inline void lw_spin_init(lw_spin *s) { __atomic_store_n(&s->held, 0, __ATOMIC_RELAXED); }

#endif
