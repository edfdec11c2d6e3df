# Kernel trap entry: stvec points here while the hart runs kernel code.  Interrupts (and
# kernel bugs) arrive on the current kernel stack.  Save the registers a C call may clobber,
# let kerneltrap() handle it, restore and sret to where the kernel was.
#
# tp is deliberately not saved and restored: if kerneltrap() yields, this thread may resume
# on another hart, and tp must then name that hart.  s0-s11 are preserved by kerneltrap()
# itself (callee-saved), and sp comes back balanced.

.section .text
.global kernelvec
.balign 4
kernelvec:
        addi    sp, sp, -128
        sd      ra, 0(sp)
        sd      t0, 8(sp)
        sd      t1, 16(sp)
        sd      t2, 24(sp)
        sd      t3, 32(sp)
        sd      t4, 40(sp)
        sd      t5, 48(sp)
        sd      t6, 56(sp)
        .irp    i, 0,1,2,3,4,5,6,7
        sd      a\i, (64 + 8 * \i)(sp)
        .endr

        call    kerneltrap

        ld      ra, 0(sp)
        ld      t0, 8(sp)
        ld      t1, 16(sp)
        ld      t2, 24(sp)
        ld      t3, 32(sp)
        ld      t4, 40(sp)
        ld      t5, 48(sp)
        ld      t6, 56(sp)
        .irp    i, 0,1,2,3,4,5,6,7
        ld      a\i, (64 + 8 * \i)(sp)
        .endr
        addi    sp, sp, 128

        sret
