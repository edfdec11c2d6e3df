/* Start-up code, HTIF console/exit and the default trap handlers, linked into every program.
 *
 * _start (first byte of RAM) puts the hart in a known state in M-mode, then calls main.
 * A C main returns its result (0 = pass); an assembly main ends with `j pass` / `j fail`.
 *
 * Built with -DQEMU_VIRT the same code reports through QEMU virt's devices instead of HTIF
 * (16550 UART for the console, the SiFive test finisher for the exit code), for the programs
 * that need the time CSR, which QEMU's spike machine does not provide.
 */
#include "test_macros.h"

#define UART_BASE     0x10000000
#define FINISHER_BASE 0x100000

    .section .text.init, "ax", @progbits
    .globl _start
_start:
    /* Every integer register but x0 starts at zero. */
    li x1, 0
    li x2, 0
    li x3, 0
    li x4, 0
    li x5, 0
    li x6, 0
    li x7, 0
    li x8, 0
    li x9, 0
    li x10, 0
    li x11, 0
    li x12, 0
    li x13, 0
    li x14, 0
    li x15, 0
    li x16, 0
    li x17, 0
    li x18, 0
    li x19, 0
    li x20, 0
    li x21, 0
    li x22, 0
    li x23, 0
    li x24, 0
    li x25, 0
    li x26, 0
    li x27, 0
    li x28, 0
    li x29, 0
    li x30, 0
    li x31, 0

    /* Only hart 0 runs the program; any other hart parks. */
    csrr t0, mhartid
    bnez t0, rt_park

    /* Let S and U mode reach all of memory through PMP entry 0 (NAPOT, RWX, whole address
     * space).  If PMP is not implemented the CSR accesses trap: skip them through a temporary
     * mtvec that points just past them. */
    la t0, 1f
    csrw mtvec, t0
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f
    csrw pmpcfg0, t0
    .balign 4
1:
    la t0, rt_mtrap
    csrw mtvec, t0
    la t0, rt_strap
    csrw stvec, t0
    la t0, trap_frame
    csrw mscratch, t0
    csrw sscratch, t0
    csrw mstatus, zero
    csrw medeleg, zero
    csrw mideleg, zero
    csrw mie, zero
    csrw satp, zero

    /* Clear .bss (page tables, stack). */
    la t0, __bss_start
    la t1, _end
2:  bgeu t0, t1, 3f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 2b
3:
    la sp, rt_stack_top
    call main
    j rt_exit

rt_park:
    wfi
    j rt_park

/* ---------------------------------------------------------------- exit -------------------- */
    .text
    .globl pass
pass:
    li a0, 0
    j rt_exit

    .globl fail
fail:
    /* Report the test number in gp (1000 if no test had started). */
    mv s0, gp
    bnez s0, 1f
    li s0, 1000
1:  la a0, rt_msg_fail
    call rt_puts
    mv a0, s0
    call rt_putdec
    li a0, '\n'
    call rt_putchar
    mv a0, s0
    j rt_exit

    /* rt_exit(a0 = code): end the program, 0 = pass. */
    .globl rt_exit
rt_exit:
#ifdef QEMU_VIRT
    li t0, FINISHER_BASE
    li t1, 0x5555
    beqz a0, 1f
    slli t1, a0, 16
    li t2, 0x3333
    or t1, t1, t2
1:  sw t1, 0(t0)
#else
    slli a0, a0, 1
    ori a0, a0, 1
    la t0, tohost
    sd a0, 0(t0)
#endif
2:  j 2b

/* ---------------------------------------------------------------- console ----------------- */

    /* rt_putchar(a0 = character).  Clobbers a0, t0, t1. */
    .globl rt_putchar
rt_putchar:
#ifdef QEMU_VIRT
    li t0, UART_BASE
1:  lbu t1, 5(t0)
    andi t1, t1, 0x20
    beqz t1, 1b
    sb a0, 0(t0)
    ret
#else
    andi t0, a0, 0xff
    li t1, 0x0101000000000000
    or t0, t0, t1
    la t1, tohost
    sd t0, 0(t1)
    /* Wait for the host's answer in fromhost; give up after a while so that a host without
     * console support still lets the program finish. */
    la t1, fromhost
    li t0, 1000000
1:  ld a0, 0(t1)            /* a0 is reused as scratch: the character is already sent */
    bnez a0, 2f
    addi t0, t0, -1
    bnez t0, 1b
2:  sd zero, 0(t1)
    ret
#endif

    /* rt_puts(a0 = NUL-terminated string).  Clobbers a0, a1, t0, t1, t2. */
    .globl rt_puts
rt_puts:
    mv t2, ra
    mv a1, a0
1:  lbu a0, 0(a1)
    beqz a0, 2f
    call rt_putchar
    addi a1, a1, 1
    j 1b
2:  mv ra, t2
    ret

    /* rt_puthex(a0 = value): 0x + 16 hex digits.  Clobbers a0-a2, t0-t3. */
    .globl rt_puthex
rt_puthex:
    mv t3, ra
    mv a1, a0
    li a0, '0'
    call rt_putchar
    li a0, 'x'
    call rt_putchar
    li a2, 60
1:  srl a0, a1, a2
    andi a0, a0, 15
    li t0, 10
    blt a0, t0, 2f
    addi a0, a0, 'a' - 10 - '0'
2:  addi a0, a0, '0'
    call rt_putchar
    addi a2, a2, -4
    bgez a2, 1b
    mv ra, t3
    ret

    /* rt_putdec(a0 = unsigned value < 10^6).  Clobbers a0-a2, t0-t3. */
    .globl rt_putdec
rt_putdec:
    mv t3, ra
    mv a1, a0
    li a2, 100000
1:  bgeu a1, a2, 2f         /* skip leading zeros */
    li t0, 10
    divu a2, a2, t0
    li t0, 1
    bgtu a2, t0, 1b
2:  divu a0, a1, a2
    remu a1, a1, a2
    addi a0, a0, '0'
    call rt_putchar
    li t0, 10
    divu a2, a2, t0
    bnez a2, 2b
    mv ra, t3
    ret

/* ---------------------------------------------------------------- trap handlers ----------- */

#define SAVE_REGS(base)                                                              \
    sd ra, (base + 0)(t6); sd t0, (base + 8)(t6); sd t1, (base + 16)(t6);            \
    sd t2, (base + 24)(t6); sd t3, (base + 32)(t6); sd a0, (base + 40)(t6);          \
    sd a1, (base + 48)(t6); sd a2, (base + 56)(t6); sd a3, (base + 64)(t6)
#define RESTORE_REGS(base)                                                           \
    ld ra, (base + 0)(t6); ld t0, (base + 8)(t6); ld t1, (base + 16)(t6);            \
    ld t2, (base + 24)(t6); ld t3, (base + 32)(t6); ld a0, (base + 40)(t6);          \
    ld a1, (base + 48)(t6); ld a2, (base + 56)(t6); ld a3, (base + 64)(t6)
#define T6_SLOT 72

    /* M-mode handler.  mscratch holds &trap_frame. */
    .balign 64
    .globl rt_mtrap
rt_mtrap:
    csrrw t6, mscratch, t6
    SAVE_REGS(TF_MSAVE)
    csrr t0, mscratch           /* the interrupted code's t6 */
    sd t0, (TF_MSAVE + T6_SLOT)(t6)
    csrw mscratch, t6
    csrr t0, mcause
    csrr t1, mepc
    csrr t2, mtval
    csrr t3, mstatus
    sd t0, TF_CAUSE(t6)
    sd t1, TF_EPC(t6)
    sd t2, TF_TVAL(t6)
    sd t3, TF_STATUS(t6)
    li a1, 3
    sd a1, TF_MODE(t6)
    ld a0, TF_COUNT(t6)
    addi a0, a0, 1
    sd a0, TF_COUNT(t6)
    li a2, 8                    /* log the first 8 traps */
    bgtu a0, a2, 5f
    slli a2, a0, 3
    add a2, a2, t6
    sd t0, (TF_LOG - 8)(a2)
    sd a1, (TF_LOGMODE - 8)(a2)
5:
    bgez t0, 1f
    /* Interrupt: mask it, then go on. */
    andi a0, t0, 63
    li a1, 1
    sll a1, a1, a0
    csrc mie, a1
    ld a0, TF_RESUME(t6)
    beqz a0, 3f
    j 2f
1:  ld a0, TF_RESUME(t6)
    beqz a0, 4f
2:  sd zero, TF_RESUME(t6)
    csrw mepc, a0
    ld a1, TF_RESUME_UP(t6)
    beqz a1, 3f
    sd zero, TF_RESUME_UP(t6)
    li a1, MSTATUS_MPP          /* continue in M-mode, MIE = 0 */
    csrs mstatus, a1
    li a1, MSTATUS_MPIE
    csrc mstatus, a1
3:  RESTORE_REGS(TF_MSAVE)
    ld t6, (TF_MSAVE + T6_SLOT)(t6)
    mret
4:  /* Unexpected exception. */
    la a0, rt_msg_mtrap
    call rt_print_trap
    j fail

    /* S-mode handler.  sscratch holds &trap_frame. */
    .balign 64
    .globl rt_strap
rt_strap:
    csrrw t6, sscratch, t6
    SAVE_REGS(TF_SSAVE)
    csrr t0, sscratch
    sd t0, (TF_SSAVE + T6_SLOT)(t6)
    csrw sscratch, t6
    csrr t0, scause
    csrr t1, sepc
    csrr t2, stval
    csrr t3, sstatus
    sd t0, TF_CAUSE(t6)
    sd t1, TF_EPC(t6)
    sd t2, TF_TVAL(t6)
    sd t3, TF_STATUS(t6)
    li a1, 1
    sd a1, TF_MODE(t6)
    ld a0, TF_COUNT(t6)
    addi a0, a0, 1
    sd a0, TF_COUNT(t6)
    li a2, 8                    /* log the first 8 traps */
    bgtu a0, a2, 5f
    slli a2, a0, 3
    add a2, a2, t6
    sd t0, (TF_LOG - 8)(a2)
    sd a1, (TF_LOGMODE - 8)(a2)
5:
    bgez t0, 1f
    andi a0, t0, 63
    li a1, 1
    sll a1, a1, a0
    csrc sie, a1
    ld a0, TF_RESUME(t6)
    beqz a0, 3f
    j 2f
1:  ld a0, TF_RESUME(t6)
    beqz a0, 4f
2:  sd zero, TF_RESUME(t6)
    csrw sepc, a0
    ld a1, TF_RESUME_UP(t6)
    beqz a1, 3f
    sd zero, TF_RESUME_UP(t6)
    li a1, MSTATUS_SPP          /* continue in S-mode, SIE = 0 */
    csrs sstatus, a1
    li a1, MSTATUS_SPIE
    csrc sstatus, a1
3:  RESTORE_REGS(TF_SSAVE)
    ld t6, (TF_SSAVE + T6_SLOT)(t6)
    sret
4:  la a0, rt_msg_strap
    call rt_print_trap
    j fail

    /* Print "<a0> cause=... epc=... tval=...\n" from the trap record at t6. */
rt_print_trap:
    mv s1, ra
    mv s2, t6
    call rt_puts
    ld a0, TF_CAUSE(s2)
    call rt_puthex
    la a0, rt_msg_epc
    call rt_puts
    ld a0, TF_EPC(s2)
    call rt_puthex
    la a0, rt_msg_tval
    call rt_puts
    ld a0, TF_TVAL(s2)
    call rt_puthex
    li a0, '\n'
    call rt_putchar
    mv ra, s1
    ret

/* ---------------------------------------------------------------- data -------------------- */
    .section .rodata
rt_msg_fail:  .asciz "FAIL: test "
rt_msg_mtrap: .asciz "unexpected trap (M) cause="
rt_msg_strap: .asciz "unexpected trap (S) cause="
rt_msg_epc:   .asciz " epc="
rt_msg_tval:  .asciz " tval="

    .section .tohost, "aw", @progbits
    .balign 64
    .globl tohost
    .type tohost, @object
tohost: .dword 0
    .size tohost, 8
    .balign 64
    .globl fromhost
    .type fromhost, @object
fromhost: .dword 0
    .size fromhost, 8

    .data
    .balign 64
    .globl trap_frame
trap_frame:
    .zero TF_SIZE

    .bss
    .balign 16
rt_stack:
    .zero 8192
    .globl rt_stack_top
rt_stack_top:
