"""CSR numbers and the status/interrupt bit layouts: the one table of CSR facts.

Owns: the CSR address of every CSR rvemu implements (privileged spec, "Control and Status
Registers" tables 2.2-2.6, plus Sstc's stimecmp) and the named bits of mstatus, mip/mie, satp
and menvcfg.  The build turns these into Cython constants (``CSR_MSTATUS``, ``MSTATUS_SIE``...)
and the disassembler uses the names.  Pure Python, no package imports.
"""

CSRS = {
    # unprivileged counters (read-only, gated by mcounteren/scounteren)
    "cycle": 0xC00, "time": 0xC01, "instret": 0xC02,
    # supervisor
    "sstatus": 0x100, "sie": 0x104, "stvec": 0x105, "scounteren": 0x106, "senvcfg": 0x10A,
    "sscratch": 0x140, "sepc": 0x141, "scause": 0x142, "stval": 0x143, "sip": 0x144,
    "stimecmp": 0x14D, "satp": 0x180,
    # machine information (read-only)
    "mvendorid": 0xF11, "marchid": 0xF12, "mimpid": 0xF13, "mhartid": 0xF14,
    "mconfigptr": 0xF15,
    # machine trap setup and handling
    "mstatus": 0x300, "misa": 0x301, "medeleg": 0x302, "mideleg": 0x303, "mie": 0x304,
    "mtvec": 0x305, "mcounteren": 0x306, "menvcfg": 0x30A, "mcountinhibit": 0x320,
    "mscratch": 0x340, "mepc": 0x341, "mcause": 0x342, "mtval": 0x343, "mip": 0x344,
    # machine counters
    "mcycle": 0xB00, "minstret": 0xB02,
    # debug triggers (Sdtrig, debug spec 5.7): the probing registers of a hart with no triggers
    "tselect": 0x7A0, "tdata1": 0x7A1, "tdata2": 0x7A2, "tdata3": 0x7A3, "tinfo": 0x7A4,
}
for _i in range(3, 32):
    CSRS[f"hpmcounter{_i}"] = 0xC00 + _i
    CSRS[f"mhpmcounter{_i}"] = 0xB00 + _i
    CSRS[f"mhpmevent{_i}"] = 0x320 + _i
for _i in range(0, 16, 2):          # RV64: only the even pmpcfg registers exist
    CSRS[f"pmpcfg{_i}"] = 0x3A0 + _i
for _i in range(64):
    CSRS[f"pmpaddr{_i}"] = 0x3B0 + _i

NAMES = {v: k for k, v in CSRS.items()}

# mstatus (privileged spec 3.1.6).  sstatus is a view of the S-level subset.
MSTATUS = {
    "SIE": 1 << 1, "MIE": 1 << 3, "SPIE": 1 << 5, "UBE": 1 << 6, "MPIE": 1 << 7, "SPP": 1 << 8,
    "VS": 3 << 9, "MPP": 3 << 11, "FS": 3 << 13, "XS": 3 << 15, "MPRV": 1 << 17, "SUM": 1 << 18,
    "MXR": 1 << 19, "TVM": 1 << 20, "TW": 1 << 21, "TSR": 1 << 22, "UXL": 3 << 32,
    "SXL": 3 << 34, "SBE": 1 << 36, "MBE": 1 << 37, "SD": 1 << 63,
}
MSTATUS_MPP_SHIFT = 11

# mip / mie bits (privileged spec 3.1.9), also the interrupt cause numbers.
IRQ = {"SSI": 1, "MSI": 3, "STI": 5, "MTI": 7, "SEI": 9, "MEI": 11}
MIP = {name + "P": 1 << n for name, n in IRQ.items()}
# Priority order for simultaneous pending interrupts, highest first (3.1.9).
IRQ_PRIORITY = ("MEI", "MSI", "MTI", "SEI", "SSI", "STI")

# Exception causes (privileged spec table 3.6).
CAUSE = {
    "MISALIGNED_FETCH": 0, "FETCH_ACCESS": 1, "ILLEGAL_INSTRUCTION": 2, "BREAKPOINT": 3,
    "MISALIGNED_LOAD": 4, "LOAD_ACCESS": 5, "MISALIGNED_STORE": 6, "STORE_ACCESS": 7,
    "ECALL_U": 8, "ECALL_S": 9, "ECALL_M": 11, "FETCH_PAGE_FAULT": 12, "LOAD_PAGE_FAULT": 13,
    "STORE_PAGE_FAULT": 15,
}

# satp (4.1.11), menvcfg (3.1.18), Sv39 PTE bits (4.4.1).
SATP_MODE_SHIFT = 60
SATP_MODE_BARE = 0
SATP_MODE_SV39 = 8
MENVCFG = {"FIOM": 1 << 0, "STCE": 1 << 63}
PTE = {"V": 1 << 0, "R": 1 << 1, "W": 1 << 2, "X": 1 << 3, "U": 1 << 4, "G": 1 << 5,
       "A": 1 << 6, "D": 1 << 7}

PRIV_U, PRIV_S, PRIV_M = 0, 1, 3
