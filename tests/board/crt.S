/* Start-up for the C board tests: a 16 KiB stack per hart, then main(hartid) in M-mode. */
    .section .text.entry
    .globl _start
_start:
    la      sp, stacks
    addi    t0, a0, 1
    slli    t0, t0, 14
    add     sp, sp, t0
    call    main
1:  wfi
    j       1b

    .bss
    .align  12
stacks: .skip 16384 * 4
