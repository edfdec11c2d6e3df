// RISC-V privileged-architecture definitions the kernel needs: CSR bits, Sv39 page-table
// entries and small inline accessors for control registers.  The constants are usable from
// assembly too; everything else is C only.
#ifndef XV6_RISCV_H
#define XV6_RISCV_H

// ---- paging (Sv39) ------------------------------------------------------------------------
#define PGSIZE  4096                 // bytes per page
#define PGSHIFT 12                   // log2(PGSIZE)
#define HUGEPGSIZE (1L << 21)        // an Sv39 megapage: a leaf PTE at level 1
#define HUGEPGROUNDUP(a)   (((a) + HUGEPGSIZE - 1) & ~(HUGEPGSIZE - 1))
#define HUGEPGROUNDDOWN(a) (((a)) & ~(HUGEPGSIZE - 1))

#define PGROUNDUP(a)   (((a) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) ((a) & ~(PGSIZE - 1))

// Page-table entry bits (privileged spec 4.4.1).
#define PTE_V (1L << 0)   // valid
#define PTE_R (1L << 1)   // readable
#define PTE_W (1L << 2)   // writable
#define PTE_X (1L << 3)   // executable
#define PTE_U (1L << 4)   // user mode may access
#define PTE_G (1L << 5)   // global
#define PTE_A (1L << 6)   // accessed (set by the hardware walker)
#define PTE_D (1L << 7)   // dirty    (set by the hardware walker)

// A PTE holds the physical page number in bits 53:10; a physical address has it in 55:12.
#define PA2PTE(pa)    ((((uint64)(pa)) >> PGSHIFT) << 10)
#define PTE2PA(pte)   (((pte) >> 10) << PGSHIFT)
#define PTE_FLAGS(pte) ((pte) & 0x3FF)

// The 9-bit index into the page-table page at `level` (2 = root, 0 = leaf) for virtual address va.
#define PXSHIFT(level) (PGSHIFT + 9 * (level))
#define PX(level, va)  ((((uint64)(va)) >> PXSHIFT(level)) & 0x1FF)

// satp: MODE in bits 63:60 (8 = Sv39), root page-table PPN below.
#define SATP_SV39 (8L << 60)
#define MAKE_SATP(pagetable) (SATP_SV39 | (((uint64)(pagetable)) >> PGSHIFT))

// ---- status and interrupt bits ---------------------------------------------------------------
#define MSTATUS_MPP_MASK (3L << 11)  // previous privilege mode for mret
#define MSTATUS_MPP_S    (1L << 11)

#define SSTATUS_SIE  (1L << 1)   // S-mode interrupts enabled
#define SSTATUS_SPIE (1L << 5)   // SIE before the trap (restored by sret)
#define SSTATUS_SPP  (1L << 8)   // trap came from S-mode (1) or U-mode (0)

// Interrupt numbers; bit n of sie/sip/mideleg is interrupt n.
#define IRQ_S_SOFT   1
#define IRQ_S_TIMER  5
#define IRQ_S_EXT    9

#define SIE_SSIE (1L << IRQ_S_SOFT)
#define SIE_STIE (1L << IRQ_S_TIMER)
#define SIE_SEIE (1L << IRQ_S_EXT)
#define IRQ_M_SOFT   3
#define MIE_MSIE (1L << IRQ_M_SOFT)  // machine software interrupt: CLINT msip (mvec.S)

#define MENVCFG_STCE   (1UL << 63)  // Sstc: stimecmp is enabled for S-mode
#define MCOUNTEREN_TM  (1L << 1)     // S-mode may read `time` (and, with STCE, use stimecmp)

// PMP configuration byte: R, W, X permission bits and the address-matching mode.
#define PMP_R    0x01
#define PMP_W    0x02
#define PMP_X    0x04
#define PMP_TOR  0x08   // entry covers [previous pmpaddr, this pmpaddr)

// scause: top bit set for interrupts; the rest is the interrupt or exception code.
#define SCAUSE_INTR (1UL << 63)

#define EXC_INST_MISALIGNED   0
#define EXC_INST_ACCESS       1
#define EXC_ILLEGAL_INST      2
#define EXC_BREAKPOINT        3
#define EXC_LOAD_MISALIGNED   4
#define EXC_LOAD_ACCESS       5
#define EXC_STORE_MISALIGNED  6
#define EXC_STORE_ACCESS      7
#define EXC_ECALL_U           8
#define EXC_ECALL_S           9
#define EXC_ECALL_M          11
#define EXC_INST_PAGE_FAULT  12
#define EXC_LOAD_PAGE_FAULT  13
#define EXC_STORE_PAGE_FAULT 15

// CSR numbers of registers the assembler may not know by name.
#define CSR_STIMECMP "0x14d"
#define CSR_MENVCFG  "0x30a"

#ifndef __ASSEMBLER__

// ---- CSR accessors -------------------------------------------------------------------------
// CSR_ACCESSORS(name, "asm name") defines
//   csrr_name()        read the register
//   csrw_name(v)       write it
//   csrs_name(bits)    set bits   (atomic read-modify-write in one instruction)
//   csrc_name(bits)    clear bits
#define CSR_ACCESSORS(name, reg)                                                       \
  static inline uint64 csrr_##name(void)                                               \
  {                                                                                    \
    uint64 v;                                                                          \
    asm volatile("csrr %0, " reg : "=r"(v));                                           \
    return v;                                                                          \
  }                                                                                    \
  static inline void csrw_##name(uint64 v) { asm volatile("csrw " reg ", %0" : : "r"(v)); } \
  static inline void csrs_##name(uint64 v) { asm volatile("csrs " reg ", %0" : : "r"(v)); } \
  static inline void csrc_##name(uint64 v) { asm volatile("csrc " reg ", %0" : : "r"(v)); }

// machine mode
CSR_ACCESSORS(mhartid, "mhartid")
CSR_ACCESSORS(mstatus, "mstatus")
CSR_ACCESSORS(mepc, "mepc")
CSR_ACCESSORS(mtvec, "mtvec")
CSR_ACCESSORS(medeleg, "medeleg")
CSR_ACCESSORS(mideleg, "mideleg")
CSR_ACCESSORS(mie, "mie")
CSR_ACCESSORS(mscratch, "mscratch")
CSR_ACCESSORS(mcounteren, "mcounteren")
CSR_ACCESSORS(menvcfg, CSR_MENVCFG)
CSR_ACCESSORS(pmpcfg0, "pmpcfg0")
CSR_ACCESSORS(pmpaddr0, "pmpaddr0")

// supervisor mode
CSR_ACCESSORS(sstatus, "sstatus")
CSR_ACCESSORS(sie, "sie")
CSR_ACCESSORS(sip, "sip")
CSR_ACCESSORS(stvec, "stvec")
CSR_ACCESSORS(sepc, "sepc")
CSR_ACCESSORS(scause, "scause")
CSR_ACCESSORS(stval, "stval")
CSR_ACCESSORS(satp, "satp")
CSR_ACCESSORS(stimecmp, CSR_STIMECMP)

// unprivileged: the 10 MHz platform clock (readable in S-mode because mcounteren.TM is set)
CSR_ACCESSORS(time, "time")

// ---- general registers -----------------------------------------------------------------------
// tp holds this hart's id in the kernel (start() puts it there; the trampoline restores it).
static inline uint64 read_tp(void)
{
  uint64 v;
  asm volatile("mv %0, tp" : "=r"(v));
  return v;
}

static inline void write_tp(uint64 v) { asm volatile("mv tp, %0" : : "r"(v)); }

// ---- interrupts and fences ---------------------------------------------------------------------
static inline void intr_on(void) { csrs_sstatus(SSTATUS_SIE); }
static inline void intr_off(void) { csrc_sstatus(SSTATUS_SIE); }
static inline int intr_enabled(void) { return (csrr_sstatus() & SSTATUS_SIE) != 0; }

// Flush the whole TLB of this hart.
static inline void sfence_vma(void) { asm volatile("sfence.vma zero, zero" : : : "memory"); }

// Sleep until an interrupt is pending (it need not be globally enabled).
static inline void wfi(void) { asm volatile("wfi" : : : "memory"); }

// Zihintpause `pause` (encoded as fence w,0): a hint that this hart is spinning.
static inline void cpu_relax(void) { asm volatile(".4byte 0x0100000f" : : : "memory"); }

#endif // __ASSEMBLER__
#endif
