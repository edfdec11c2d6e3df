# Reset entry.  Every hart starts here, in M-mode, at 0x80000000 (kernel.ld puts .text.boot
# first), with paging off.  Give the hart its own boot stack and continue in start().
# The boot stack later becomes the stack of this hart's scheduler loop.

#include "param.h"

#define BOOT_STACK_SIZE 8192

.section .text.boot, "ax"
.global _entry
_entry:
        csrr    a0, mhartid
        li      t0, NCPU
        bgeu    a0, t0, park            # more harts than the kernel has room for
        # sp = boot_stacks + (hartid + 1) * BOOT_STACK_SIZE: stacks grow down
        addi    t0, a0, 1
        li      t1, BOOT_STACK_SIZE
        mul     t0, t0, t1
        la      sp, boot_stacks
        add     sp, sp, t0
        call    start                   # does not return
park:
        wfi
        j       park

.section .bss
.balign 16
boot_stacks:
        .space  BOOT_STACK_SIZE * NCPU
