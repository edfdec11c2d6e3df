/* Start-up of the smpboot workload: M-mode bare metal, no paging.  Every hart below MAX_HARTS
 * takes a 4 KiB stack of its own and calls boot_main(hartid) (the others wait for an interrupt
 * forever); only hart 0 returns, with the exit code it hands to HTIF (`tohost`).  Any trap ends
 * the run with exit code 2. */
    .equ    MAX_HARTS, 8            /* as in smpboot.c */

    .section .text.entry
    .globl _start
_start:
    la      t0, m_trap
    csrw    mtvec, t0
    li      t0, MAX_HARTS
    bgeu    a0, t0, park
    la      sp, stacks
    addi    t0, a0, 1
    slli    t0, t0, 12
    add     sp, sp, t0
    call    boot_main
    slli    a0, a0, 1
    ori     a0, a0, 1
    j       exit
park:
    wfi
    j       park

    .align  2
m_trap:
    li      a0, (2 << 1) | 1
exit:
    la      t1, tohost
    sd      a0, 0(t1)
1:  j       1b

    .bss
    .align  12
stacks: .skip 4096 * MAX_HARTS

#include "htif.h"
