# The first user process.  The kernel copies these bytes to virtual address 0 of a fresh
# address space and starts them in user mode; all they do is exec("/init", {"/init", 0}).
# Should that fail there is nothing sensible left to do, so keep asking to exit.
#include "kernel/syscall.h"

    .text
    .globl start
start:
    la    a0, path          # exec(path, argv)
    la    a1, argv
    li    a7, SYS_exec
    ecall
giveup:
    li    a0, 1             # exit(1), forever
    li    a7, SYS_exit
    ecall
    j     giveup

path:
    .string "/init"

    .p2align 3
argv:
    .dword path
    .dword 0
