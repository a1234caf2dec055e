/* arch.h: everything in the recorder that is bound to x86-64: the time
 * stamp counter, the spin-wait hint, the switch to libwait's own stack,
 * and the registers the frame-rule learner sets in a made-up context.
 *
 * A port to another architecture replaces these and also revisits
 * stack_walk.c, whose frame rules model x86-64 frames: the return address
 * is the word just below the canonical frame address (CFA), which is the
 * stack pointer or the frame pointer (rbp) plus a constant, and libwait's
 * outermost frame saves the program's rbp just below its return address. */
#ifndef LW_ARCH_H
#define LW_ARCH_H

#include <stdint.h>

#if !defined(__x86_64__)
#error "libwait's recorder is written for x86-64 (preload/runtime/arch.h)"
#endif

/* lw_rdtsc: the time stamp counter, the clock of every record: a few
 * nanoseconds and no system call. The analyzer converts ticks to time with
 * the TIME records' (TSC, CLOCK_MONOTONIC) pairs. */
static inline uint64_t lw_rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* lw_count_one: add 1 to a counter of the calling thread in one
 * instruction, so that a signal handler that interrupts it and counts too
 * cannot lose either add (no lock prefix: no other thread writes it). */
static inline void lw_count_one(uint64_t *c) { __asm__ volatile("incq %0" : "+m"(*c)); }

/* lw_cpu_relax: the hint inside a spin-wait loop: it spares the sibling
 * hyper-thread and the memory bus while the word is unchanged. */
static inline void lw_cpu_relax(void) { __builtin_ia32_pause(); }

/* lw_run_on: call fn(arg) with the stack pointer at top (16-byte aligned),
 * and come back to the current stack. The callee-saved registers carry
 * what is needed across; every caller-saved one is declared clobbered. */
static inline void lw_run_on(uint8_t *top, void (*fn)(void *), void *arg)
{
    __asm__ volatile("mov %%rsp, %%r12\n\t"
                     "mov %[top], %%rsp\n\t"
                     "call *%[fn]\n\t"
                     "mov %%r12, %%rsp\n\t"
                     : "+D"(arg)
                     : [top] "r"(top), [fn] "r"(fn)
                     : "r12", "rax", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "memory", "cc", "xmm0", "xmm1",
                       "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
                       "xmm13", "xmm14", "xmm15");
}

/* The register names of a ucontext_t need _GNU_SOURCE, which every file
 * that learns frame rules defines (the socket wrappers must not). */
#ifdef _GNU_SOURCE
#include <ucontext.h>

/* LW_ARCH_UNW_FP: libunwind's number of the frame pointer register. */
#define LW_ARCH_UNW_FP UNW_X86_64_RBP

/* lw_arch_frame_context: make uc a frame at instruction ip with stack
 * pointer sp and frame pointer fp; every other general register holds
 * fill. */
static inline void lw_arch_frame_context(ucontext_t *uc, uintptr_t ip, uintptr_t sp, uintptr_t fp, uintptr_t fill)
{
    static const int regs[] = {REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI, REG_RDI, REG_R8,
                               REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};
    for (unsigned i = 0; i < sizeof regs / sizeof regs[0]; i++)
        uc->uc_mcontext.gregs[regs[i]] = (greg_t)fill;
    uc->uc_mcontext.gregs[REG_RIP] = (greg_t)ip;
    uc->uc_mcontext.gregs[REG_RSP] = (greg_t)sp;
    uc->uc_mcontext.gregs[REG_RBP] = (greg_t)fp;
}
#endif

#endif
