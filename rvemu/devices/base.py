"""What a device may touch: the interfaces between devices, the bus and the machine.

Owns:
  * Device: the protocol every device implements, read(offset, size) / write(offset, size,
    value) on its own register window (offsets relative to its base; size 1, 2, 4 or 8).
  * IrqLine: a level-triggered interrupt wire.  The device calls set(level) whenever it
    re-evaluates its interrupt condition; whoever listens (the PLIC for device interrupts, a
    hart's mip bit for the PLIC/CLINT outputs) is called back on every change, and, for a line
    made with repeats=True, also on set(True) while the line is already high: the device asserts
    its interrupt again, which a PLIC gateway takes as a new request (as QEMU's PLIC does).
  * DmaPort: bounds-checked access to guest RAM for bus masters (virtio).  An address outside RAM
    raises DmaError; nothing a guest programs can reach host memory outside its RAM.
"""

from __future__ import annotations

from typing import Callable, Optional, Protocol


class Device(Protocol):
    def read(self, offset: int, size: int) -> int: ...

    def write(self, offset: int, size: int, value: int) -> None: ...


class IrqLine:
    """A level-triggered interrupt line; listeners get the new level on every change, and with
    repeats=True also every set(True) on a line that is already high (a re-assertion)."""

    def __init__(self, name: str = "", listener: Optional[Callable[[bool], None]] = None,
                 repeats: bool = False):
        self.name = name
        self.level = False
        self.repeats = repeats
        self._listener = listener

    def connect(self, listener: Callable[[bool], None]) -> None:
        self._listener = listener
        listener(self.level)

    def set(self, level: bool = True) -> None:
        level = bool(level)
        if level != self.level:
            self.level = level
            if self._listener is not None:
                self._listener(level)
        elif level and self.repeats and self._listener is not None:
            self._listener(True)

    def clear(self) -> None:
        self.set(False)

    def __repr__(self) -> str:
        return f"IrqLine({self.name!r}, level={self.level})"


class DmaError(Exception):
    """A device was asked to read or write outside guest RAM."""


class DmaPort:
    """Guest-physical RAM as a bus master sees it.  Writes keep decoded code coherent.

    Small accesses copy (read/write, read_u16...).  Bulk transfers borrow RAM itself:
    view(addr, n) is a memoryview of those bytes, so file I/O can go straight between the disk
    image and guest RAM; a device that stores through a view calls written(addr, n) afterwards.
    ram and ram_base expose the whole RAM view for struct.unpack_from on rings (reads only)."""

    def __init__(self, core):
        self._core = core
        self.base = core.ram_base
        self.size = core.ram_size
        self.ram_base = core.ram_base
        self.ram = memoryview(core.ram_view())

    def _check(self, addr: int, n: int) -> None:
        if n < 0 or addr < self.base or addr + n > self.base + self.size:
            raise DmaError(f"DMA of {n} bytes at {addr:#x} is outside RAM")

    def read(self, addr: int, n: int) -> bytes:
        self._check(addr, n)
        return self._core.read_phys(addr, n) if n else b""

    def write(self, addr: int, data: bytes) -> None:
        n = len(data)
        if addr < self.base or addr + n > self.base + self.size:     # _check, inline: hot
            raise DmaError(f"DMA of {n} bytes at {addr:#x} is outside RAM")
        if n:
            self._core.write_phys(addr, data)

    def view(self, addr: int, n: int) -> memoryview:
        """RAM [addr, addr + n) itself (no copy); after storing through it call written()."""
        self._check(addr, n)
        start = addr - self.base
        return self.ram[start:start + n]

    def written(self, addr: int, n: int) -> None:
        """RAM [addr, addr + n) was stored through a view: keep decoded code coherent."""
        self._check(addr, n)
        if n:
            self._core.phys_written(addr, n)

    def read_u16(self, addr: int) -> int:
        return int.from_bytes(self.read(addr, 2), "little")

    def read_u32(self, addr: int) -> int:
        return int.from_bytes(self.read(addr, 4), "little")

    def read_u64(self, addr: int) -> int:
        return int.from_bytes(self.read(addr, 8), "little")

    def write_u16(self, addr: int, value: int) -> None:
        self.write(addr, (value & 0xFFFF).to_bytes(2, "little"))

    def write_u32(self, addr: int, value: int) -> None:
        self.write(addr, (value & 0xFFFFFFFF).to_bytes(4, "little"))
