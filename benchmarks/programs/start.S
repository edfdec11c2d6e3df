/* Benchmark start-up: M-mode builds Sv39 page tables (setup.c), drops to U-mode and calls
 * user_main(); its ecall comes back here and ends the run through HTIF, the result in
 * `result` and exit code 0 (exit code 2: the program trapped for another reason). */
    .section .text.entry
    .globl _start
_start:
    la      sp, m_stack_top
    la      t0, m_trap
    csrw    mtvec, t0
    li      t0, -1                  /* PMP entry 0: all of memory, RWX, NAPOT (real harts */
    csrw    pmpaddr0, t0            /* like QEMU's and Spike's deny U-mode without one) */
    li      t0, 0x1f
    csrw    pmpcfg0, t0
    call    setup                   /* returns the satp value */
    csrw    satp, a0
    sfence.vma
    la      t0, u_start
    csrw    mepc, t0
    li      t0, 3 << 11
    csrc    mstatus, t0             /* MPP = U */
    mret

u_start:
    la      sp, u_stack_top
    call    user_main
    ecall

    .align  2
m_trap:
    csrr    t0, mcause
    li      t1, 8                   /* environment call from U-mode */
    li      t2, (2 << 1) | 1
    bne     t0, t1, 1f
    la      t0, result
    sd      a0, 0(t0)
    li      t2, 1
1:  la      t1, tohost
    sd      t2, 0(t1)
2:  j       2b

    .bss
    .align  12
m_stack: .skip 4096
m_stack_top:
u_stack: .skip 65536
u_stack_top:
    .globl  result
result: .skip 8

#include "htif.h"
