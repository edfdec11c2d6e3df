"""An empty virtio-mmio slot: a transport with no device behind it, as QEMU's `virt` board has.

Owns: the register window of a slot with nothing plugged in.  QEMU creates all eight virtio-mmio
transports of `virt` (rvemu.memmap.VIRTIO) and a driver probing the slots finds, in an empty one
(VIRTIO 1.2 section 4.2.2: "a device ID of 0x0 ... no device"):

    0x000  MagicValue  0x74726976 ("virt")
    0x004  Version     2
    0x008  DeviceID    0 (no device)
    0x00c  VendorID    0x554d4551 ("QEMU", the transport's vendor)

and 0 at every other offset, configuration space included; writes are ignored.  As on QEMU, the
window is 0x200 bytes (`accepts`), a register read of any width returns the low bytes of the
register's value, and 8-byte accesses are two 4-byte ones (`max_access`, see rvemu.bus).
"""

from __future__ import annotations

from .virtio_mmio import (MAGIC_VALUE, REG_MAGIC_VALUE, REG_VENDOR_ID, REG_VERSION, VENDOR_ID,
                          VERSION)

WINDOW = 0x200


class VirtioMmioEmpty:
    """The registers of a virtio-mmio slot with no device: magic, version, vendor, else 0."""

    max_access = 4

    def __init__(self, vendor_id: int = VENDOR_ID):
        self._regs = {REG_MAGIC_VALUE: MAGIC_VALUE, REG_VERSION: VERSION,
                      REG_VENDOR_ID: vendor_id}

    def accepts(self, offset: int, size: int) -> bool:
        return offset + size <= WINDOW

    def read(self, offset: int, size: int) -> int:
        return self._regs.get(offset, 0) & ((1 << (8 * size)) - 1)

    def write(self, offset: int, size: int, value: int) -> None:
        pass
