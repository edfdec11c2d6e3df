# The trampoline: one page of code mapped at TRAMPOLINE in the kernel page table and in every
# user page table, so it keeps running while it switches between them.
#
#   uservec   stvec points here while a process runs in user mode.  It saves the user
#             registers in the process's trap frame (mapped at TRAPFRAME), switches to the
#             kernel page table and stack, and jumps to usertrap().
#   userret   usertrapret() calls it (through TRAMPOLINE) with the user satp in a0: switch to
#             the user page table, reload the user registers and sret.
#
# Register offsets in the trap frame come from proc.h: register xN lives at 8*N.

#include "riscv.h"
#include "memlayout.h"
#include "proc.h"

.section trampsec, "ax"
.global trampoline
trampoline:

.balign 4
.global uservec
uservec:
        # Everything here is still the user's: registers, stack, page table.  Free a0 (into
        # sscratch) to address the trap frame, which is at the same place in every process.
        csrw    sscratch, a0
        li      a0, TRAPFRAME

        .irp    r, 1,2,3,4,5,6,7,8,9,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        sd      x\r, (8 * \r)(a0)
        .endr
        csrr    t0, sscratch
        sd      t0, TF_X(10)(a0)        # the user's a0

        ld      sp, TF_KERNEL_SP(a0)
        ld      tp, TF_KERNEL_HARTID(a0)
        ld      t0, TF_KERNEL_TRAP(a0)
        ld      t1, TF_KERNEL_SATP(a0)

        sfence.vma zero, zero           # user-mode memory accesses complete first
        csrw    satp, t1
        sfence.vma zero, zero           # no user translations survive

        jr      t0                      # usertrap(); never returns here

.balign 4
.global userret
userret:
        # a0: satp for the process's page table.
        sfence.vma zero, zero
        csrw    satp, a0
        sfence.vma zero, zero

        li      a0, TRAPFRAME
        .irp    r, 1,2,3,4,5,6,7,8,9,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        ld      x\r, (8 * \r)(a0)
        .endr
        ld      a0, TF_X(10)(a0)        # last: it was our base register

        sret                            # to sepc, in user mode (sstatus.SPP = 0)
