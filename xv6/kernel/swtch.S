# void swtch(struct context *from, struct context *to)
#
# Switch kernel threads: save the callee-saved registers, ra and sp into *from, load them from
# *to, and "return" into the other thread (to wherever its own swtch call returns, or to the
# ra a new process was given).  Layout of struct context (proc.h): ra, sp, s0..s11.

.section .text
.global swtch
swtch:
        sd      ra, 0(a0)
        sd      sp, 8(a0)
        .irp    i, 0,1,2,3,4,5,6,7,8,9,10,11
        sd      s\i, (16 + 8 * \i)(a0)
        .endr

        ld      ra, 0(a1)
        ld      sp, 8(a1)
        .irp    i, 0,1,2,3,4,5,6,7,8,9,10,11
        ld      s\i, (16 + 8 * \i)(a1)
        .endr

        ret
