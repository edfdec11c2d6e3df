/* Access probes for the device-window tests: one load or store of a given width, with an M-mode
 * trap handler that records the exception instead of dying.
 *
 *   uint64_t probe_load(uint64_t addr, int width)               width 1, 2, 4 or 8 (zero-extended)
 *   void     probe_store(uint64_t addr, int width, uint64_t v)
 *   probe_trap                                                  the handler, for mtvec
 *
 * The handler stores mcause and mtval in probe_cause / probe_tval and resumes after the faulting
 * instruction (2 or 4 bytes).  It uses only t5 and t6, which the probes do not keep live. */
    .text
    .globl probe_load, probe_store, probe_trap
    .align 2
probe_load:
    mv      t0, a0
    li      a0, 0
    li      t1, 1
    beq     a1, t1, 1f
    li      t1, 2
    beq     a1, t1, 2f
    li      t1, 4
    beq     a1, t1, 4f
    ld      a0, 0(t0)
    ret
1:  lbu     a0, 0(t0)
    ret
2:  lhu     a0, 0(t0)
    ret
4:  lwu     a0, 0(t0)
    ret

probe_store:
    li      t1, 1
    beq     a1, t1, 1f
    li      t1, 2
    beq     a1, t1, 2f
    li      t1, 4
    beq     a1, t1, 4f
    sd      a2, 0(a0)
    ret
1:  sb      a2, 0(a0)
    ret
2:  sh      a2, 0(a0)
    ret
4:  sw      a2, 0(a0)
    ret

    .align 2
probe_trap:
    csrr    t5, mcause
    la      t6, probe_cause
    sd      t5, 0(t6)
    csrr    t5, mtval
    la      t6, probe_tval
    sd      t5, 0(t6)
    csrr    t5, mepc
    lhu     t6, 0(t5)
    andi    t6, t6, 3
    addi    t5, t5, 2
    addi    t6, t6, -3
    bnez    t6, 1f                  /* compressed: 2 bytes */
    addi    t5, t5, 2
1:  csrw    mepc, t5
    mret

    .data
    .align 3
    .globl probe_cause, probe_tval
probe_cause: .dword -1
probe_tval:  .dword 0
