"""The board: a QEMU-`virt`-compatible machine assembled from the core and the devices.

Owns: which device sits where (rvemu.memmap), how interrupt lines are wired (UART and virtio into
the PLIC; PLIC contexts into each hart's MEIP/SEIP; CLINT msip into MSIP; mtimecmp into the core's
timer comparator), booting (`-bios none` style: every hart starts at the kernel entry in M-mode
with a0 = hartid), and the scripted-console API tests and notebooks use:
``send(text)``, ``expect(pattern, timeout_instructions)``, ``output``, ``poweroff()``.
"""

from __future__ import annotations

import re
import time as _time
from typing import Callable, List, Optional, Union

from . import bootimg, checks, memmap
from .bus import Bus
from .devices.base import DmaPort, IrqLine
from .devices.clint import Clint
from .devices.plic import Plic
from .devices.testdev import TestDevice
from .devices.uart16550 import Uart16550
from .devices.virtio_empty import VirtioMmioEmpty
from .machine import Machine, StopReason

TIMEBASE_HZ = 10_000_000          # like QEMU virt: mtime counts at 10 MHz
MEIP, SEIP, MSIP = 11, 9, 3


class ExpectTimeout(Exception):
    """expect() ran out of instructions before the pattern appeared."""


class _Timer:
    """The CLINT's view of time and comparators, on top of the core's hart clocks."""

    def __init__(self, board: "Board"):
        self.board = board

    def mtime(self) -> int:
        return self.board.machine.time()

    def set_mtime(self, value: int) -> None:
        # the hart that stores sets the counter; it wraps at 2^64 like the CLINT's
        machine = self.board.machine
        machine.core.set_time(machine.current_hart, value & 0xFFFFFFFFFFFFFFFF)

    def get_mtimecmp(self, hart: int) -> int:
        return self.board.machine.core.get_mtimecmp(hart)

    def set_mtimecmp(self, hart: int, value: int) -> None:
        self.board.machine.core.set_mtimecmp(hart, value & 0xFFFFFFFFFFFFFFFF)


class Board:
    """A machine with RAM, harts, CLINT, PLIC, UART0, eight virtio-mmio slots (an optional
    virtio-blk disk, in slot 0 unless attach_drive says otherwise; the others empty) and the
    test/poweroff device, at QEMU virt's addresses.

    ram_mib, harts and ipt are checked as Machine checks them; drive is a path or None,
    console a callable or None, drive_readonly and realtime True or False (TypeError /
    ValueError otherwise)."""

    def __init__(self, ram_mib: int = 128, harts: int = 1, drive: Optional[str] = None,
                 drive_readonly: bool = False, console: Optional[Callable[[bytes], None]] = None,
                 ipt: int = 10, realtime: bool = False):
        if drive is not None:
            drive = checks.path("Board", "drive", drive)
        checks.flag("Board", "drive_readonly", drive_readonly)
        checks.callable_or_none("Board", "console", console)
        checks.flag("Board", "realtime", realtime)
        self.bus = Bus()
        self.machine = Machine(ram_mib=ram_mib, harts=harts, ipt=ipt, bus=self.bus)
        core = self.machine.core
        self.output = bytearray()
        self._console = console
        self.exit_code: Optional[int] = None
        self.realtime = realtime
        self.machine.idle_fast_forward = not realtime
        self._t0 = _time.monotonic()

        def hart_line(hart: int, bit: int) -> IrqLine:
            return IrqLine(f"hart{hart}.mip{bit}",
                           lambda level, h=hart, b=bit: core.set_irq(h, b, level))

        contexts: List[IrqLine] = []
        for h in range(harts):
            contexts.append(hart_line(h, MEIP))          # context 2h: M-mode
            contexts.append(hart_line(h, SEIP))          # context 2h+1: S-mode
        self.plic = Plic(96, 2 * harts, contexts)
        self.clint = Clint(harts, [hart_line(h, MSIP) for h in range(harts)], _Timer(self))
        self.uart = Uart16550(self.plic.line(memmap.UART0.irq), self._uart_out)
        self.testdev = TestDevice(self._poweroff, self._reset)
        self.bus.attach(memmap.TEST, self.testdev)
        self.bus.attach(memmap.CLINT, self.clint)
        self.bus.attach(memmap.PLIC, self.plic)
        self.bus.attach(memmap.UART0, self.uart)
        for slot in memmap.VIRTIO:
            self.bus.attach(slot, VirtioMmioEmpty())   # QEMU virt: eight transports, device ID 0
        self.disk = None
        self.virtio = None
        if drive is not None:
            self.attach_drive(drive, drive_readonly)
        self._entry: Optional[int] = None

    # ---- devices ----------------------------------------------------------------------------
    def attach_drive(self, path: str, readonly: bool = False, slot: int = 0) -> None:
        """The disk: a virtio-blk device over the image file in virtio-mmio slot `slot` (0..7,
        at memmap.VIRTIO[slot]; QEMU's virtio-mmio-bus.N).  The board has one disk: attaching
        again replaces it."""
        path = checks.path("Board.attach_drive", "path", path)
        checks.flag("Board.attach_drive", "readonly", readonly)
        slot = checks.integer("Board.attach_drive", "slot", slot, 0, len(memmap.VIRTIO) - 1)
        from .devices.backends import DiskImage
        from .devices.virtio_blk import VirtioBlk
        from .devices.virtio_mmio import VirtioMmio
        disk = DiskImage(path, readonly=readonly)
        if self.disk is not None:
            self.disk.close()
            self.bus.detach(self._disk_slot)
            self.bus.attach(self._disk_slot, VirtioMmioEmpty())
        self.disk = disk
        self._disk_slot = memmap.VIRTIO[slot]
        # Guest writes reach the image file at once (so they survive the emulator being
        # killed); fsync happens on the guest's FLUSH requests and at shutdown, as QEMU's
        # default writeback cache does, not after every write.
        self.virtio = VirtioMmio(VirtioBlk(self.disk, writethrough_fsync=False),
                                 self.plic.line(self._disk_slot.irq), DmaPort(self.machine.core))
        self.bus.detach(self._disk_slot)
        self.bus.attach(self._disk_slot, self.virtio)

    def _uart_out(self, data: bytes) -> None:
        self.output += data
        if self._console is not None:
            self._console(data)

    def _poweroff(self, code: int) -> None:
        self.exit_code = code
        self.machine.request_stop(StopReason.EXIT, code)

    def _reset(self) -> None:
        self.machine.request_stop(StopReason.EXIT, None)
        self.reset_requested = True

    # ---- booting ----------------------------------------------------------------------------
    def load_kernel(self, path: str, data: Optional[bytes] = None) -> int:
        """Load a kernel ELF; every hart starts at its entry in M-mode with a0 = hartid."""
        path = checks.path("Board.load_kernel", "path", path)
        self._entry = self.machine.load_elf(path, data)
        return self._entry

    def boot_image(self, path: str, readonly: bool = False) -> int:
        """Boot a bootable single-file image (rvemu.bootimg): its kernel, and itself as disk."""
        path = checks.path("Board.boot_image", "path", path)
        checks.flag("Board.boot_image", "readonly", readonly)
        img = bootimg.read(path)
        entry = self.load_kernel(f"{path}:kernel", img.kernel)
        self.attach_drive(path, readonly)
        return entry

    # ---- running ----------------------------------------------------------------------------
    def run(self, max_instructions: Optional[int] = None) -> StopReason:
        reason = self.machine.run(max_instructions)
        if self.disk is not None and reason is StopReason.EXIT:
            self.disk.flush()
        return reason

    def send(self, text: Union[str, bytes]) -> None:
        """Type text on the serial console."""
        self.uart.feed(text.encode() if isinstance(text, str)
                       else checks.data("Board.send", "text", text))

    def expect(self, pattern: Union[str, bytes, "re.Pattern"], timeout_instructions: int = 2_000_000_000,
               start: Optional[int] = None) -> "re.Match":
        """Run until console output (from offset start, default: everything not yet matched)
        matches pattern.  Raises ExpectTimeout, or EOFError if the guest powers off first."""
        if not isinstance(pattern, (str, bytes, re.Pattern)):
            raise TypeError(f"Board.expect: pattern must be str, bytes or a compiled pattern, "
                            f"not {type(pattern).__name__}")
        timeout_instructions = checks.integer("Board.expect", "timeout_instructions",
                                              timeout_instructions, 0)
        start = checks.optional_integer("Board.expect", "start", start, 0)
        if isinstance(pattern, str):
            pattern = pattern.encode()
        rx = re.compile(pattern) if isinstance(pattern, bytes) else pattern
        pos = self._expect_pos if start is None else start
        budget = timeout_instructions
        reason = None
        while True:
            m = rx.search(self.output, pos)
            if m:
                self._expect_pos = m.end()
                return m
            tail = bytes(self.output[-200:])
            if reason is StopReason.EXIT:
                raise EOFError(f"guest powered off (exit {self.exit_code}) before {pattern!r}")
            if reason is StopReason.HALT and not self.uart.pending_input():
                raise ExpectTimeout(f"{pattern!r} not seen and the guest is idle; "
                                    f"output tail: {tail!r}")
            if budget <= 0:
                raise ExpectTimeout(f"{pattern!r} not seen; output tail: {tail!r}")
            step = min(budget, 1_000_000)
            reason = self.run(step)
            budget -= step

    _expect_pos = 0

    def poweroff(self) -> None:
        """Stop the machine from the host side, flushing the disk."""
        if self.disk is not None:
            self.disk.flush()
            self.disk.close()
            self.disk = None
