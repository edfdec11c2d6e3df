"""The Python API: a machine of harts and RAM that loads programs and runs them.

Owns: hart scheduling (round-robin slices in one host thread, deterministically), the time base
(every hart's clock advances with the instructions it runs; a waiting hart's clock moves with the
others and jumps to its next timer deadline), program loading and HTIF.  The compiled core
(``rvemu._core``) does the executing; the board (devices) plugs in as ``bus``.

Example::

    m = Machine(ram_mib=16)
    m.load_elf("test.elf")
    if m.run(max_instructions=10_000_000) is StopReason.EXIT:
        print(m.exit_code, m.console_output)
"""

from __future__ import annotations

import enum
from typing import Callable, List, Optional

from . import checks, csrdefs
from ._core import Core
from .htif import Htif, HtifError
from .loader import ElfError, read_elf, place

RAM_BASE = 0x80000000
DEFAULT_SLICE = 100_000          # instructions a hart runs before the next one gets a turn
MAX_RAM_MIB = 1 << 16            # 64 GiB
MAX_HARTS = 64                   # the core's limit
MAX_IPT = 1 << 32
MAX_SLICE = 1 << 40
PHYS_LIMIT = 1 << 56             # Sv39 physical addresses: RAM must end below


class StopReason(enum.Enum):
    EXIT = "exit"                # the guest asked to stop (HTIF); see Machine.exit_code
    LIMIT = "limit"              # max_instructions ran out
    HALT = "halt"                # every hart waits for an interrupt that nothing can raise
    EVENT = "event"              # a device asked the host to look (Machine.run returns early)
    BREAK = "break"              # a hart reached a host breakpoint (Machine.stopped_hart;
                                 # Machine.stop_detail is the core's reason)


class Hart:
    """One hart's architectural state, for tests and debuggers."""

    def __init__(self, core: Core, index: int):
        self._core = core
        self.index = index

    @property
    def pc(self) -> int:
        return self._core.get_pc(self.index)

    @pc.setter
    def pc(self, value: int) -> None:
        self._core.set_pc(self.index, checks.word("Hart.pc", "value", value))

    @property
    def x(self) -> List[int]:
        """The 32 integer registers (a copy)."""
        return self._core.get_regs(self.index)

    def set_x(self, reg: int, value: int) -> None:
        reg = checks.integer("Hart.set_x", "reg", reg, 0, 31)
        self._core.set_x(self.index, reg, checks.word("Hart.set_x", "value", value))

    @property
    def priv(self) -> int:
        """Privilege: 0 = U, 1 = S, 3 = M."""
        return self._core.get_priv(self.index)

    @priv.setter
    def priv(self, value: int) -> None:
        checks.integer("Hart.priv", "value", value)
        self._core.set_priv(self.index, checks.choice("Hart.priv", "value", value, (0, 1, 3)))

    def csr(self, name_or_number) -> int:
        return self._core.csr_read(self.index, _csr_number(name_or_number))

    def set_csr(self, name_or_number, value: int) -> None:
        self._core.csr_write(self.index, _csr_number(name_or_number),
                             checks.word("Hart.set_csr", "value", value))

    @property
    def instret(self) -> int:
        return self._core.get_instret(self.index)

    @property
    def waiting(self) -> bool:
        """True while the hart sleeps in WFI."""
        return self._core.is_wfi(self.index)

    def stats(self) -> dict:
        return self._core.stats(self.index)


def _csr_number(name_or_number) -> int:
    """A CSR's number from its name (KeyError if unknown) or number (0..0xfff)."""
    if isinstance(name_or_number, str):
        try:
            return csrdefs.CSRS[name_or_number]
        except KeyError:
            raise KeyError(f"unknown CSR {name_or_number!r}") from None
    return checks.integer("Hart.csr", "CSR number", name_or_number, 0, 0xFFF)


class Machine:
    """RAM at ``ram_base`` plus ``harts`` RV64IMAC harts.

    ipt is the number of instructions per tick of the 10 MHz-style time base: time advances
    deterministically with instructions retired, so a run is repeatable.

    Arguments (TypeError / ValueError otherwise): ram_mib 1..65536; harts 1..64; ram_base a
    multiple of 4096 with all of RAM below 2^56; ipt 1..2^32; bus None or an object with read
    and write; slice_instructions 1..2^40."""

    def __init__(self, ram_mib: int = 128, harts: int = 1, ram_base: int = RAM_BASE,
                 ipt: int = 10, bus=None, slice_instructions: int = DEFAULT_SLICE):
        w = "Machine"
        ram_mib = checks.integer(w, "ram_mib", ram_mib, 1, MAX_RAM_MIB)
        harts = checks.integer(w, "harts", harts, 1, MAX_HARTS)
        ram_base = checks.integer(w, "ram_base", ram_base, 0, PHYS_LIMIT - (ram_mib << 20))
        if ram_base % 4096:
            raise ValueError(f"{w}: ram_base must be a multiple of 4096, not {ram_base:#x}")
        ipt = checks.integer(w, "ipt", ipt, 1, MAX_IPT)
        if bus is not None and not (callable(getattr(bus, "read", None))
                                    and callable(getattr(bus, "write", None))):
            raise TypeError(f"{w}: bus must have read() and write() methods, or be None")
        self.core = Core(ram_base, ram_mib << 20, harts, ipt)
        self.core.bus = bus
        self.harts = [Hart(self.core, i) for i in range(harts)]
        self.htif: Optional[Htif] = None
        self.slice = slice_instructions
        self.instret_total = 0
        self.current_hart = 0
        self.idle_fast_forward = True
        self._clock = 0
        self._exit_code: Optional[int] = None
        self._stop: Optional[StopReason] = None
        self._hooks: List[Callable[[], Optional[StopReason]]] = [self._htif_hook]

    @property
    def slice(self) -> int:
        """Instructions of machine time per round of hart turns (1..2^40)."""
        return self._slice

    @slice.setter
    def slice(self, value: int) -> None:
        self._slice = checks.integer("Machine", "slice_instructions", value, 1, MAX_SLICE)

    # ---- memory -----------------------------------------------------------------------------
    @property
    def ram_base(self) -> int:
        return self.core.ram_base

    @property
    def ram_size(self) -> int:
        return self.core.ram_size

    def read_phys(self, addr: int, n: int) -> bytes:
        """n bytes of RAM at physical addr (ValueError if any of them is not RAM)."""
        addr = checks.integer("Machine.read_phys", "addr", addr, 0, checks.MASK64)
        n = checks.integer("Machine.read_phys", "n", n, 0, self.ram_size)
        return self.core.read_phys(addr, n)

    def write_phys(self, addr: int, data: bytes) -> None:
        """Write bytes to RAM at physical addr (ValueError if any of them is not RAM)."""
        addr = checks.integer("Machine.write_phys", "addr", addr, 0, checks.MASK64)
        self.core.write_phys(addr, checks.data("Machine.write_phys", "data", data))

    # ---- loading ----------------------------------------------------------------------------
    def load_elf(self, path: str, data: Optional[bytes] = None) -> int:
        """Load an ELF64 RISC-V executable (the file at path, or its bytes in data); every hart
        starts at its entry in M-mode with a0 = hartid.  HTIF is enabled when the file has a
        ``tohost`` symbol."""
        path = checks.path("Machine.load_elf", "path", path)
        if data is not None:
            data = checks.data("Machine.load_elf", "data", data)
        image = read_elf(path, data)
        place(image, self.ram_base, self.ram_size)
        for paddr, seg, memsz in image.segments:
            self.write_phys(paddr, seg + bytes(memsz - len(seg)))
        for h in self.harts:
            h.pc = image.entry
            h.priv = 3
            h.set_x(10, h.index)
        if "tohost" in image.symbols:
            self.enable_htif(image.symbols["tohost"], image.symbols.get("fromhost"))
        return image.entry

    def enable_htif(self, tohost: int, fromhost: Optional[int] = None) -> None:
        tohost = checks.integer("Machine.enable_htif", "tohost", tohost, 0, checks.MASK64)
        fromhost = checks.optional_integer("Machine.enable_htif", "fromhost", fromhost, 0,
                                           checks.MASK64)
        self.htif = Htif(self.core, tohost, fromhost)

    @property
    def exit_code(self) -> Optional[int]:
        return self._exit_code

    @property
    def console_output(self) -> bytes:
        return bytes(self.htif.output) if self.htif else b""

    # ---- running ----------------------------------------------------------------------------
    def add_event_hook(self, hook: Callable[[], Optional["StopReason"]]) -> None:
        """hook() runs whenever a hart stops for a host event (device access, HTIF store); a
        StopReason it returns ends run()."""
        if not callable(hook):
            raise TypeError(f"Machine.add_event_hook: hook must be callable, "
                            f"not {type(hook).__name__}")
        self._hooks.append(hook)

    def request_stop(self, reason: "StopReason", exit_code: Optional[int] = None) -> None:
        """Devices (the test device's poweroff) end the run through this."""
        self._stop = reason
        if exit_code is not None:
            self._exit_code = exit_code
        self.core.stop_soon()

    @property
    def clock(self) -> int:
        """Machine time in instructions (every hart's clock is within one slice of it)."""
        return self._clock

    def time(self, hart: Optional[int] = None) -> int:
        """mtime as the given hart (default: the running one) sees it."""
        i = self.current_hart if hart is None else hart
        i = checks.integer("Machine.time", "hart", i, 0, len(self.harts) - 1)
        return self.core.get_time(i)

    def run(self, max_instructions: Optional[int] = None,
            runner: Optional[Callable[[int, int], tuple]] = None) -> StopReason:
        """Run until the guest exits, every hart halts, or max_instructions (summed over harts,
        traps included) have been executed.

        Harts take turns in rounds of ``slice`` instructions of machine time.  A hart that waits
        (WFI) or spins on a lock another hart holds gives up the rest of its turn; its clock still
        moves with the round, so time is the same for all harts.  When every hart waits, time
        jumps to the next timer deadline.

        runner(hart, budget) -> (reason, executed) replaces Core.run (a tracer steps through
        it).  Any reason other than budget/wfi/yield/event (a host breakpoint: "break") stops
        the run with StopReason.BREAK; stopped_hart says which hart stopped it.

        max_instructions: None (no limit) or an integer >= 0."""
        budget = checks.optional_integer("Machine.run", "max_instructions", max_instructions, 0)
        checks.callable_or_none("Machine.run", "runner", runner)
        n = len(self.harts)
        run = runner or self.core.run
        self._stop = None
        self.stopped_hart = None
        self.stop_detail = None
        while True:
            if budget is not None and budget <= 0:
                return StopReason.LIMIT
            step = self.slice if budget is None else min(self.slice, budget)
            # clocks moved from outside (realtime, advance_idle) carry the machine's along
            self._clock = max(self._clock, min(self.core.get_vclock(i) for i in range(n)))
            target = self._clock + step
            ran = 0
            for i in range(n):
                while True:
                    left = target - self.core.get_vclock(i)
                    if left <= 0 or (budget is not None and budget <= 0):
                        break
                    if self.core.is_wfi(i) and not self._wake(i, target):
                        break
                    self.current_hart = i
                    reason, done = run(i, left if budget is None else min(left, budget))
                    ran += done
                    self.instret_total += done
                    if budget is not None:
                        budget -= done
                    if reason == "event":
                        stop = self._on_event()
                        if stop is not None:
                            self.stopped_hart = i
                            return stop
                    elif reason in ("wfi", "yield"):
                        break
                    elif reason != "budget":
                        self.stopped_hart, self.stop_detail = i, reason
                        return StopReason.BREAK
            if budget is not None and budget <= 0:
                return StopReason.LIMIT
            if ran == 0 and all(self.core.is_wfi(i) for i in range(n)):
                if not self._fast_forward():
                    return StopReason.HALT
                continue
            for i in range(n):                       # waiting and spinning harts keep time
                self.core.advance_vclock(i, target)
            self._clock = target

    def _on_event(self) -> Optional[StopReason]:
        self.core.clear_event()
        for hook in self._hooks:
            stop = hook()
            if stop is not None:
                return stop
        return self._stop

    def _htif_hook(self) -> Optional[StopReason]:
        if self.htif is not None and self.htif.poll():
            self._exit_code = self.htif.exit_code
            return StopReason.EXIT
        return None

    def _wake(self, i: int, target: int) -> bool:
        """A waiting hart resumes once an enabled interrupt is pending (mip & mie); if its timer
        fires before the round ends, its clock jumps there."""
        if self.core.interrupt_pending(i):
            return True
        d = self.core.time_until_timer(i)
        if d is not None and self.core.get_vclock(i) + d < target:
            self.core.set_vclock(i, self.core.get_vclock(i) + d)
            return self.core.interrupt_pending(i)
        return False

    def _fast_forward(self) -> bool:
        """Every hart waits: jump time to the earliest timer deadline.  False if there is none,
        or if the caller paces idle time itself (idle_fast_forward off; see advance_idle)."""
        if not self.idle_fast_forward:
            return False
        return self.advance_idle(None)

    def advance_clock_to(self, vclock: int) -> None:
        """Move every hart's clock (in instructions) forward to at least vclock: guest time
        following the host's (--realtime).  Never past the clocks' horizon (Core.vclock_max)."""
        vclock = checks.integer("Machine.advance_clock_to", "vclock", vclock, 0)
        vclock = min(vclock, self.core.vclock_max)
        for i in range(len(self.harts)):
            self.core.advance_vclock(i, vclock)
        self._clock = max(self._clock, vclock)

    def advance_idle(self, instructions: Optional[int]) -> bool:
        """While every hart waits: move time on by `instructions` of clock (None: as far as the
        earliest timer deadline), never past that deadline.  False if no timer is armed."""
        instructions = checks.optional_integer("Machine.advance_idle", "instructions",
                                               instructions, 0)
        n = len(self.harts)
        waits = [self.core.time_until_timer(i) for i in range(n)]
        waits = [w for w in waits if w is not None]
        if not waits:
            return False
        jump = min(waits) if instructions is None else min(min(waits), max(0, instructions))
        for i in range(n):
            self.core.set_vclock(i, self.core.get_vclock(i) + jump)
        self._clock = max(self.core.get_vclock(i) for i in range(n))
        return True


__all__ = ["Machine", "Hart", "StopReason", "ElfError", "HtifError", "RAM_BASE"]
