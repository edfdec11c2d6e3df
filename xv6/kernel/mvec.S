# The machine-mode trap vector once the kernel runs: it only turns inter-hart interrupts into
# supervisor ones.  Another hart (tlb.c) raises this hart's machine software interrupt by
# writing 1 to its CLINT msip register; machine interrupts reach M-mode whatever S-mode does,
# so here we clear msip and set mip.SSIP, which the kernel sees as a supervisor software
# interrupt (delegated by start.c).  mscratch points at this hart's two-word save area.
# Nothing else may trap to M-mode: anything else stops the machine through the test device.
#include "memlayout.h"

        .section .text
        .globl machinevec
        .align 4
machinevec:
        csrrw   a0, mscratch, a0        # a0 = save area; mscratch keeps the interrupted a0
        sd      a1, 0(a0)
        sd      a2, 8(a0)
        csrr    a1, mcause
        li      a2, (1 << 63) | 3       # interrupt, code 3: machine software interrupt
        bne     a1, a2, mfatal
        csrr    a1, mhartid
        slli    a1, a1, 2
        li      a2, CLINT
        add     a1, a1, a2
        sw      zero, 0(a1)             # msip = 0: acknowledged
        li      a1, 2                   # mip.SSIP
        csrs    mip, a1
        ld      a1, 0(a0)
        ld      a2, 8(a0)
        csrrw   a0, mscratch, a0
        mret
mfatal:
        li      a1, TESTDEV
        li      a2, (0x1 << 16) | TESTDEV_FAIL   # exit code 1
        sw      a2, 0(a1)
1:      wfi
        j       1b
