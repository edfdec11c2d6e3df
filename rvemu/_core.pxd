# The C state of the emulated machine: harts, TLBs, decoded-instruction cache, RAM.
#
# Owned by _core.pyx (and the .pxi files it includes).  Everything here is plain C data so the
# interpreter never touches a Python object per instruction.

from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int32_t, int64_t, uintptr_t

cdef enum:
    TLB_SIZE = 4096             # entries per direct-mapped TLB (fetch, load, store): 16 MiB each
    TLB_LOG = 512               # fills a set lists for its next flush (more: the flush scans it)
    SLOTS_PER_PAGE = 2048       # decoded-instruction slots per 4 KiB page (one per halfword);
                                # a page's array has one more: the page-end sentinel
    PRIV_U = 0
    PRIV_S = 1
    PRIV_M = 3
    # memory access kinds
    ACC_FETCH = 0
    ACC_LOAD = 1
    ACC_STORE = 2               # stores and AMOs
    # per-RAM-page flags (Mach.page_flags)
    PF_CODE = 1                 # the page has decoded slots: its store-TLB entries carry TAG_CODE
    PF_WATCH = 2                # stores are reported to the host (HTIF tohost)
    PF_PT = 4                   # a page walk read a PTE here since the last flush (_tlb.pxi)
    PF_STORED = 8               # a plain store-TLB entry may map the page
    NSPACES = 4                 # address spaces (satp values) whose translations a hart keeps
    # status codes of memory helpers: 0 = done, > 0 = exception cause + 1, EVENT = done, and the
    # host must look (HTIF store, MMIO access)
    ST_OK = 0
    ST_EVENT = -1
    ST_MMIO = -2                # the access goes to a device: Hart.mmio_* describe it
    # why run_hart returned
    RUN_BUDGET = 0              # executed the whole budget
    RUN_WFI = 1                 # the hart is waiting for an interrupt
    RUN_EVENT = 2               # the host must look (HTIF, device, breakpoint)
    RUN_ERROR = 3               # a Python device raised; Core.error holds it
    RUN_YIELD = 4               # the hart spins on a lock another hart holds: run the others
    RUN_BREAK = 5               # stopped at a host breakpoint, before executing it
    ST_SPIN = -3                # the hart spins: a failed amoswap acquire or SC, a pause
    ST_CODE = -4                # done, and decoded slots or translations may have changed: go on
                                # at the next instruction, looking its page up again
    ST_LEAVE = -5               # done; interrupt or translation state may differ: end the block
    ST_JUMP = -6                # done, pc is h.pc (xRET): end the block
    ST_WFI = -7                 # a legal wfi: the loop decides whether the hart waits
    # Insn.flags
    IF_CONT = 1                 # the run goes on after this instruction (it is not the last)
    IF_PURE = 2                 # from here to the run's end: no store, AMO, CSR or system op
    IF_NEAR = 4                 # a direct branch or jal whose target is in the same page: tgt
    IF_SPIN = 8                 # a near branch or jal that ends a pure run and goes back to its start
    IF_INLINE = 16              # taken, it enters its target in the run loop: IF_NEAR, not IF_SPIN
    IF_CSRR = 32                # csrr (csrrs rd, csr, x0) of a CSR whose read has no side effect and
                                # no use of the counters: the run loop reads it inline
    IF_SIE = 64                 # csrs/csrc (register or immediate) of sstatus that does not read
                                # it (rd = x0): the run loop sets or clears SIE inline


# One pre-decoded instruction, in its page's slot (_code.pxi).  op == OP_INVALID (0) marks an
# empty slot.  Runs: blen is the number of instructions from this one to the end of its run (so
# the loop charges a run against the budget once); 0 in empty slots and sentinels.
# 40 bytes.  fn makes a dispatch one indirect jump through the next slot (an index into HANDLERS
# would cost two more host instructions per guest instruction); the handlers find the next slot
# by their instruction's length, known when they are compiled, and step serves the slow paths.
ctypedef struct Insn:
    uint8_t op
    uint8_t rd                  # 32 = x0 (the sink register)
    uint8_t rs1
    uint8_t rs2
    int32_t imm                 # immediate, shift amount or CSR number
    uint32_t raw                # the instruction bits (for mtval on illegal instruction)
    int32_t tgt                 # IF_NEAR: bytes from this slot to its target's slot
    uint16_t blen               # instructions from here to the end of the run, this one included
    uint16_t off                # pc offset in the page (0 .. 0x1002)
    uint8_t len                 # 2 or 4
    uint8_t flags               # IF_*
    uint16_t pad
    int64_t step                # bytes from this slot to the next instruction's: len/2 slots
    void *fn                    # HANDLERS[lens][op], the handler the run loop jumps to
                                # (_handlers.pxi); kept by slot_bind, slot_set_op and slots_clear
                                # (_code.pxi)


# A TLB entry maps one virtual page straight to host memory: host = addend + vaddr.
ctypedef struct TlbEntry:
    uint64_t tag                # virtual page base; TLB_EMPTY never matches
    uintptr_t addend
    Insn *code                  # fetch TLB: the page's decoded slots
                                # (store TLB: an entry whose tag carries TAG_CODE maps a page with
                                # decoded slots; the inline fast path never matches it)
    uint64_t ppn                # physical page number - ram_base page (RAM page index)


# A TLB set.  A flush empties only the entries filled since the last one (listed in fill, by
# index into fetch, load, store taken as one array), so a large set costs what was used of it.
ctypedef struct Tlb:
    TlbEntry fetch[TLB_SIZE]
    TlbEntry load[TLB_SIZE]
    TlbEntry store[TLB_SIZE]
    uint32_t nfill              # entries filled since the last flush; TLB_LOG + 1: too many to list
    uint16_t fill[TLB_LOG]


# The translations of one address space (a satp value): S-mode and U-mode sets.
ctypedef struct Space:
    uint64_t satp               # TLB_EMPTY: unused
    uint64_t used               # Hart.space_clock when last selected (least recently used goes)
    Tlb s
    Tlb u


ctypedef struct Mach


ctypedef struct Hart:
    uint64_t x[33]              # x[32] absorbs writes to x0
    uint64_t pc
    int priv
    int wfi                     # waiting for an interrupt
    uint64_t hartid
    # retired instructions (minstret); mcycle counts the same
    uint64_t instret
    uint64_t cycle_delta        # mcycle = instret + cycle_delta
    uint64_t instret_delta      # minstret = instret + instret_delta
    # time: this hart's clock in instructions = vclock (it only moves forward, and stays below
    # VCLOCK_MAX); time = vclock / Mach.ipt + Mach.time_offset, modulo 2^64
    uint64_t vclock
    # machine-level CSRs
    uint64_t mstatus, medeleg, mideleg, mie, mip, mtvec, mcounteren, menvcfg
    uint64_t mscratch, mepc, mcause, mtval, mcountinhibit
    uint64_t mip_hw             # interrupt lines driven by devices (MEIP, SEIP, MSIP, MTIP, STIP)
    uint64_t mtimecmp           # the CLINT's comparator for this hart (time units)
    uint64_t pmpcfg[8]
    uint64_t pmpaddr[64]
    # supervisor-level CSRs
    uint64_t stvec, scounteren, senvcfg, sscratch, sepc, scause, stval, satp, stimecmp
    # LR/SC reservation: valid, address, size and the value loaded
    int resv_valid
    uint64_t resv_addr
    uint64_t resv_value
    # pending exception filled by helpers
    uint64_t exc_tval
    uint64_t last_pte           # permissions of the last successful translation
    # a 4-byte instruction that crosses into the next page, decoded afresh each time it runs,
    # followed by a sentinel that continues at the page offset 0x1002 (_code.pxi)
    Insn xslot[3]
    Insn cur                    # the slot of the instruction a slow path is executing (a store
                                # may empty the slot itself)
    # where the threaded fast half (_handlers.pxi) handed the run back to run_hart: the slot (for
    # the slow half) and its page, the instructions still left, the pc to enter (RX_PC,
    # RX_SPIN); run_v takes what a helper returns through a pointer (a handler keeps no local
    # whose address it takes)
    Insn *run_ip
    TlbEntry *run_fe            # the fetch-TLB entry of the page the chain ran in last
    uint64_t run_left
    uint64_t run_pc
    uint64_t run_v
    # the budget's end inside a run (run_hart): the slot OP_STOP stands in (NULL: none) and its
    # op, and the fused addi just before it, run alone meanwhile (NULL: none), and its op.  In the
    # hart, not in run_hart's registers, which the loop needs for what every instruction uses.
    Insn *stop_at
    Insn *stop_fused
    uint8_t stop_op
    uint8_t stop_fused_op
    # spin detection (run_hart): the registers when the loop at spin_at was entered with
    # spin_left instructions left in the block; spin_count counts entries into such loops
    Insn *spin_at
    uint64_t spin_left
    uint64_t spin_count
    uint64_t spin_x[32]
    # a device access waiting for the run loop (see mmio_perform)
    uint64_t mmio_va, mmio_pa, mmio_value
    int mmio_size, mmio_store
    # TLBs (_tlb.pxi): M-mode's set and NSPACES address spaces; itlb/dtlb point at the sets in use
    Tlb mtlb
    Space spaces[NSPACES]
    Space *space                # the space of satp
    uint64_t space_clock
    Tlb *itlb
    Tlb *dtlb
    int tlb_super               # some TLB entry came from a superpage
    Mach *m
    # statistics
    uint64_t exceptions[16]
    uint64_t interrupts[16]
    uint64_t tlb_misses[3]
    uint64_t page_walks


ctypedef struct Mach:
    uint8_t *ram
    uint64_t ram_base
    uint64_t ram_size
    uint64_t ram_pages
    Insn **code                 # per RAM page: decoded slots (SLOTS_PER_PAGE + 1), or NULL
    uint16_t *code_count        # per RAM page: slots in use (PF_CODE is set while > 0)
    uint64_t code_gen           # counts the writes that emptied slots (slow paths compare it)
    int pt_dirty                # a page-table page was written since translations were flushed
    uint32_t *pt_pages          # the RAM pages with PF_PT (npt of them)
    uint64_t npt
    uint8_t *page_flags         # per RAM page: PF_*
    uint64_t *slow_chunks       # per RAM page: bit k set: a store into bytes [64k, 64k + 64) needs
                                # the slow path (decoded code there; every bit of a PF_PT page)
    Hart *harts
    int nharts
    uint64_t ipt                # instructions per time tick (deterministic time)
    uint64_t time_offset        # mtime - vclock / ipt (mod 2^64): a guest store to mtime sets it
    uint64_t watch_lo, watch_hi # stores into [watch_lo, watch_hi) raise an event (HTIF)
    int event                   # set by slow paths; the run loop stops at the next instruction
    void *bus                   # Python object: read(addr, size) / write(addr, size, value)
    void *error                 # Python exception raised by the bus, to be re-raised
    int nbreak                  # host (debugger) breakpoints: virtual pcs, any hart
    uint64_t breakpoints[64]
