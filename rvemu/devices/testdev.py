"""The SiFive test/finisher device ("sifive,test0"), as QEMU `virt` has it at 0x100000.

Owns: the one "finisher" register at offset 0, through which a guest powers the board off or
resets it.  It never stops anything itself: it calls the machine's `on_poweroff(code)` or
`on_reset()` and the machine decides what to do.

Finisher protocol (the "sifive,test0"/"sifive,test1" binding, as QEMU's virt board implements it;
Linux's syscon-poweroff/syscon-reboot and OpenSBI use it): a write of a value whose low 16 bits are

    0x5555  FINISHER_PASS   power off; exit code = value >> 16 (normally 0)
    0x3333  FINISHER_FAIL   power off reporting failure; exit code = value >> 16
    0x7777  FINISHER_RESET  reset the board

calls `on_poweroff(value >> 16)` for PASS and FAIL (so a FAIL with code 0 exits 0, as on QEMU)
and `on_reset()` for RESET.  `last_status` records which of them happened ("pass", "fail",
"reset"), for a machine that wants to tell PASS from FAIL.

Access rules, as QEMU's sifive_test: the register is 32 bits wide and the 0x1000 window takes
accesses of 2 and 4 bytes only (`accepts`; 1- and 8-byte accesses are access faults, see
rvemu.bus).  A 4-byte write at offset 0 is a command, a 2-byte one too (code 0); writes of any
other value and at any other offset are ignored.  Reads return 0.  Only the callbacks can raise,
and only if the machine's callbacks do.
"""

from __future__ import annotations

from typing import Callable, Optional

FINISHER_FAIL = 0x3333
FINISHER_PASS = 0x5555
FINISHER_RESET = 0x7777


class TestDevice:
    """SiFive finisher: PASS/FAIL -> on_poweroff(value >> 16), RESET -> on_reset()."""

    __test__ = False  # not a pytest test class, despite its name

    def __init__(self, on_poweroff: Callable[[int], None], on_reset: Callable[[], None]):
        self.on_poweroff = on_poweroff
        self.on_reset = on_reset
        self.last_status: Optional[str] = None

    def accepts(self, offset: int, size: int) -> bool:
        return size in (2, 4)

    def read(self, offset: int, size: int) -> int:
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        if offset != 0 or size < 2:
            return
        value &= 0xFFFFFFFF if size >= 4 else 0xFFFF
        status = value & 0xFFFF
        code = value >> 16
        if status == FINISHER_PASS:
            self.last_status = "pass"
            self.on_poweroff(code)
        elif status == FINISHER_FAIL:
            self.last_status = "fail"
            self.on_poweroff(code)
        elif status == FINISHER_RESET:
            self.last_status = "reset"
            self.on_reset()
