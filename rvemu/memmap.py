"""The physical memory map of the board: QEMU's `virt` machine, as half-open ranges.

Owns: every device's base, size and interrupt number, in one place.  A kernel built for QEMU
`virt` finds the same devices at the same addresses here.

    0x0010_0000  test/poweroff (SiFive test device)
    0x0200_0000  CLINT: msip, mtimecmp per hart, mtime
    0x0c00_0000  PLIC: priorities, pending, enables and threshold/claim per context
    0x1000_0000  UART0 16550                                   IRQ 10
    0x1000_1000  virtio-mmio slot 0 (the disk)                 IRQ 1
    0x1000_2000  virtio-mmio slots 1..7, 0x1000 apart          IRQ 2..8
    0x8000_0000  RAM

A region is the slot QEMU's memory map gives the device; inside it, the device says which
offsets and widths answer (device.accepts, see rvemu.bus): QEMU's 16550 answers in the first 8
bytes of its slot, its virtio-mmio transports in the first 0x200, its CLINT below 0xC000.  The
PLIC region is QEMU's: room for the contexts of 512 harts (0x20_0000 + 1024 * 0x1000).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Region:
    name: str
    base: int
    size: int
    irq: Optional[int] = None

    @property
    def end(self) -> int:
        return self.base + self.size

    def __contains__(self, addr: int) -> bool:
        return self.base <= addr < self.end


TEST = Region("test", 0x0010_0000, 0x1000)
CLINT = Region("clint", 0x0200_0000, 0x1_0000)
PLIC = Region("plic", 0x0C00_0000, 0x60_0000)
UART0 = Region("uart0", 0x1000_0000, 0x100, irq=10)
VIRTIO = tuple(Region(f"virtio{i}", 0x1000_1000 + 0x1000 * i, 0x1000, irq=1 + i)
               for i in range(8))
VIRTIO0 = VIRTIO[0]
RAM_BASE = 0x8000_0000

DEVICES = (TEST, CLINT, PLIC, UART0) + VIRTIO

# QEMU virt numbers PLIC contexts per hart: 2*hart is M-mode, 2*hart + 1 is S-mode.
def plic_context(hart: int, smode: bool) -> int:
    return 2 * hart + (1 if smode else 0)
