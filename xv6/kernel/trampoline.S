# The trampoline: one page of code mapped at TRAMPOLINE in the kernel page table and in every
# user page table, so it keeps running while it switches between them.
#
#   uservec   stvec points here while a thread runs in user mode.  It saves the user
#             registers in the thread's trap frame, whose user address sscratch holds (each
#             thread of an address space has its own, at p->tf_va), switches to the kernel page
#             table and stack, and jumps to usertrap().
#   userret   usertrapret() calls it (through TRAMPOLINE) with the user satp in a0 and the
#             trap frame's user address in a1: switch to the user page table, leave a1 in
#             sscratch for the next trap, reload the user registers and sret.
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
        # Everything here is still the user's: registers, stack, page table.  Swap a0 with
        # sscratch: a0 addresses the trap frame, sscratch keeps the user's a0.
        csrrw   a0, sscratch, a0

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
        # a0: satp for the process's page table; a1: the trap frame's user address.
        sfence.vma zero, zero
        csrw    satp, a0
        sfence.vma zero, zero

        csrw    sscratch, a1
        mv      a0, a1
        .irp    r, 1,2,3,4,5,6,7,8,9,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        ld      x\r, (8 * \r)(a0)
        .endr
        ld      a0, TF_X(10)(a0)        # last: it was our base register

        sret                            # to sepc, in user mode (sstatus.SPP = 0)
