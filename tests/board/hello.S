/* Board smoke test: hart 0 prints a greeting on UART0 (polling LSR.THRE), echoes one line of
 * input, and powers off through the SiFive test device with exit code 7; other harts park. */
    .equ UART0, 0x10000000
    .equ TEST,  0x100000
    .section .text.entry
    .globl _start
_start:
    bnez    a0, park
    li      s0, UART0
    la      a1, greeting
1:  lbu     a2, 0(a1)
    beqz    a2, 2f
    call    putc
    addi    a1, a1, 1
    j       1b
2:  /* echo input until newline */
    lbu     t0, 5(s0)               /* LSR */
    andi    t0, t0, 1               /* DR */
    beqz    t0, 2b
    lbu     a2, 0(s0)               /* RBR */
    call    putc
    li      t0, '\n'
    bne     a2, t0, 2b
    li      t0, TEST
    li      t1, (7 << 16) | 0x5555  /* FINISHER_PASS, code 7 */
    sw      t1, 0(t0)
park:
    wfi
    j       park

putc:
    lbu     t0, 5(s0)
    andi    t0, t0, 0x20            /* THRE */
    beqz    t0, putc
    sb      a2, 0(s0)
    ret

    .section .rodata
greeting: .asciz "hello from rvemu\n"
