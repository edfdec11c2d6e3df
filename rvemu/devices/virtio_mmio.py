"""virtio over MMIO, version 2 (modern only), with split virtqueues.

Written from the OASIS VIRTIO 1.1/1.2 specification: section 4.2 (virtio over MMIO), 2.1
(device status), 2.2 (feature bits) and 2.6/2.7 (split virtqueues).

Owns:
  * VirtioMmio: the register window of one virtio-mmio slot (0x000-0x0ff control registers,
    0x100+ the device's configuration space), feature negotiation, the status state machine,
    queue setup, walking descriptor chains, the used ring, and the interrupt line.
  * VirtioDevice: the interface a device type (block, ...) implements; the transport is generic.
  * Chain: one descriptor chain, as the device sees it: device-readable bytes then
    device-writable bytes, addressed as two flat byte ranges (scatter/gather done here).

Device interface (subclass VirtioDevice and override what you need)::

    device_id: int                       virtio device type (2 = block)
    num_queues: int                      queues 0..num_queues-1
    queue_num_max(index) -> int          QueueNumMax of a queue (power of two, <= 32768)
    features() -> int                    device-type feature bits it offers (bits 0-23 and 50+;
                                         the transport adds VERSION_1 and INDIRECT_DESC itself
                                         and masks out the transport range 24-49)
    accept_features(features) -> bool    veto hook when the driver sets FEATURES_OK
    set_features(features)               the negotiated set, once FEATURES_OK is accepted
    config_read(offset, size) -> int     configuration space, offset from 0x100
    config_write(offset, size, value)
    reset()                              the driver wrote 0 to Status
    handle_request(queue, chain) -> int  serve one chain synchronously; return the used length
                                         (bytes written from the start of the writable area)

A device that changes its configuration calls self.config_changed() (after attach()): the
transport bumps ConfigGeneration and raises a configuration-change interrupt.

Requests complete synchronously inside the QueueNotify write: the device reads and writes
guest RAM through the DmaPort and the used ring is updated before the write returns.

Error handling (the guest must not be able to raise out of the device or hang it):
  * Control registers (0x000-0x0ff) must be accessed 32 bits wide and aligned (spec 4.2.2.2).
    Other accesses read 0 and writes are ignored.  Reads of write-only registers return 0;
    writes to read-only registers are ignored.
  * Queue registers of a QueueSel with no queue: QueueNumMax and QueueReady read 0, writes are
    ignored.  QueueNum and the ring addresses are ignored while the queue is ready (the driver
    must not touch them then).
  * Virtqueue setup is checked when the driver writes 1 to QueueReady: QueueNum must be a power
    of two in 1..QueueNumMax, the rings aligned (descriptors 16, driver area 2, device area 4)
    and wholly inside RAM.  Otherwise the queue stays not ready (QueueReady reads 0) and the
    device enters the error state below.
  * DriverFeatures writes after FEATURES_OK are ignored.  FEATURES_OK stays clear if the driver
    accepted a feature that was not offered or the device vetoes.  A driver that does not accept
    VIRTIO_F_VERSION_1 is refused only with require_version_1=True: the spec lets a device
    refuse ("MAY fail to operate further", 6.1), but xv6-riscv's driver writes only the low
    32-bit DriverFeatures word and so never accepts bit 32; by default such a driver gets the
    modern (little-endian, any-layout) behaviour, which is what it expects on RISC-V anyway.
  * Status bits only accumulate: a write that would clear a bit other than by writing 0 keeps
    it.  DEVICE_NEEDS_RESET (0x40) is device-owned: the driver can neither set nor clear it
    except by a reset.  DRIVER_OK without FEATURES_OK is an error (below).
  * QueueNotify is ignored (nothing happens, counted in ignored_notifies) for a queue index
    that does not exist or is not ready, before DRIVER_OK, and after FAILED or
    DEVICE_NEEDS_RESET.  Buffers made available before DRIVER_OK are served when DRIVER_OK is
    set (notifications are only hints).
  * Broken virtqueue contents -- a ring or descriptor outside RAM (DmaError), more new
    available entries than the queue size, a head or `next` index outside the table, a chain
    longer than the table (a loop), INDIRECT without the feature / nested / combined with NEXT /
    a table length that is 0 or not a multiple of 16, a non-empty buffer outside RAM, a
    device-readable buffer after a device-writable one, a chain over 2^32 bytes -- put the
    device in the error state: Status gets DEVICE_NEEDS_RESET, a configuration-change interrupt
    is raised if DRIVER_OK is set (spec 2.1.2), the offending chain is not returned, and no
    queue is processed until the driver resets the device (Status = 0).  Chains completed
    before the error stay completed (and interrupt as usual).  The reason is kept in
    `errors` (the last 16) and logged at WARNING on the "rvemu.virtio" logger.
  * Zero-length descriptors are allowed and skipped: they carry no bytes, their address is not
    checked and they do not count for the readable-before-writable ordering rule.
  * Request-level problems (a wrong header, buffers in the wrong direction, ...) are the
    device's business: it fails that request with an error status and the queue keeps going.
  * Only DmaError and VirtqueueError are treated as guest errors; any other exception out of a
    device is a bug in rvemu and propagates.
"""

from __future__ import annotations

import logging
import struct
from collections import deque
from typing import Deque, List, Optional, Sequence, Tuple

from .base import DmaError, IrqLine

log = logging.getLogger("rvemu.virtio")

MAGIC_VALUE = 0x74726976            # "virt", little-endian
VERSION = 2                         # modern virtio-mmio; no legacy (version 1) interface
VENDOR_ID = 0x554D4551              # "QEMU", little-endian, as QEMU presents it

# ---- register offsets (spec 4.2.2) --------------------------------------------------------------
REG_MAGIC_VALUE = 0x000
REG_VERSION = 0x004
REG_DEVICE_ID = 0x008
REG_VENDOR_ID = 0x00C
REG_DEVICE_FEATURES = 0x010
REG_DEVICE_FEATURES_SEL = 0x014
REG_DRIVER_FEATURES = 0x020
REG_DRIVER_FEATURES_SEL = 0x024
REG_QUEUE_SEL = 0x030
REG_QUEUE_NUM_MAX = 0x034
REG_QUEUE_NUM = 0x038
REG_QUEUE_READY = 0x044
REG_QUEUE_NOTIFY = 0x050
REG_INTERRUPT_STATUS = 0x060
REG_INTERRUPT_ACK = 0x064
REG_STATUS = 0x070
REG_QUEUE_DESC_LOW = 0x080
REG_QUEUE_DESC_HIGH = 0x084
REG_QUEUE_DRIVER_LOW = 0x090
REG_QUEUE_DRIVER_HIGH = 0x094
REG_QUEUE_DEVICE_LOW = 0x0A0
REG_QUEUE_DEVICE_HIGH = 0x0A4
REG_SHM_SEL = 0x0AC
REG_SHM_LEN_LOW = 0x0B0
REG_SHM_LEN_HIGH = 0x0B4
REG_SHM_BASE_LOW = 0x0B8
REG_SHM_BASE_HIGH = 0x0BC
REG_QUEUE_RESET = 0x0C0
REG_CONFIG_GENERATION = 0x0FC
CONFIG_OFFSET = 0x100

# ---- device status (spec 2.1) -------------------------------------------------------------------
STATUS_ACKNOWLEDGE = 0x01
STATUS_DRIVER = 0x02
STATUS_DRIVER_OK = 0x04
STATUS_FEATURES_OK = 0x08
STATUS_DEVICE_NEEDS_RESET = 0x40
STATUS_FAILED = 0x80

# ---- transport feature bits (spec 6) ------------------------------------------------------------
F_INDIRECT_DESC = 1 << 28
F_EVENT_IDX = 1 << 29
F_VERSION_1 = 1 << 32
# Bits 24..49 belong to the transport / virtqueue layer; a device may not offer them itself.
TRANSPORT_FEATURE_MASK = ((1 << 50) - 1) & ~((1 << 24) - 1)
TRANSPORT_FEATURES = F_VERSION_1 | F_INDIRECT_DESC

# ---- InterruptStatus bits -----------------------------------------------------------------------
INT_USED_BUFFER = 0x1
INT_CONFIG_CHANGE = 0x2

# ---- split virtqueue layout (spec 2.7) ----------------------------------------------------------
VIRTQ_DESC_F_NEXT = 1
VIRTQ_DESC_F_WRITE = 2
VIRTQ_DESC_F_INDIRECT = 4
VIRTQ_AVAIL_F_NO_INTERRUPT = 1
DESC_SIZE = 16
MAX_QUEUE_SIZE = 32768
MAX_INDIRECT_DESCRIPTORS = 32768    # our cap on an indirect table (len <= 512 KiB)
MAX_CHAIN_BYTES = 1 << 32           # drivers must not exceed 2^32 bytes in one chain

_DESC = struct.Struct("<QIHH")      # addr, len, flags, next
_USED_ELEM = struct.Struct("<II")   # id, len
_U16 = struct.Struct("<H")


class VirtqueueError(Exception):
    """The driver broke the virtqueue rules; the transport enters DEVICE_NEEDS_RESET."""


def _span(segments: Sequence[Tuple[int, int]], offset: int, length: int):
    """(addr, n) pieces covering bytes [offset, offset+length) of the concatenated segments."""
    for addr, n in segments:
        if length <= 0:
            return
        if offset >= n:
            offset -= n
            continue
        take = min(n - offset, length)
        yield addr + offset, take
        offset = 0
        length -= take


class Chain:
    """One descriptor chain: the device-readable bytes and then the device-writable bytes.

    Each side is presented as one flat range of bytes (readable_len / writable_len long);
    read()/write() copy small pieces with scatter/gather over the guest buffers, and
    readable_views()/writable_views() lend the guest buffers themselves for bulk transfers.
    Every non-empty buffer has been checked to lie inside RAM when the chain was walked."""

    __slots__ = ("head", "readable", "writable", "readable_len", "writable_len", "_dma")

    def __init__(self, dma, head: int, readable: List[Tuple[int, int]],
                 writable: List[Tuple[int, int]], readable_len: Optional[int] = None,
                 writable_len: Optional[int] = None):
        self._dma = dma
        self.head = head
        self.readable = readable
        self.writable = writable
        self.readable_len = (sum(n for _, n in readable) if readable_len is None
                             else readable_len)
        self.writable_len = (sum(n for _, n in writable) if writable_len is None
                             else writable_len)

    def read(self, offset: int = 0, length: Optional[int] = None) -> bytes:
        """Bytes [offset, offset+length) of the device-readable part."""
        if length is None:
            length = self.readable_len - offset
        if offset < 0 or length < 0 or offset + length > self.readable_len:
            raise ValueError(f"read of {length} bytes at {offset} outside the readable "
                             f"{self.readable_len} bytes")
        first_addr, first_len = self.readable[0] if self.readable else (0, 0)
        if offset + length <= first_len:               # the common case: one buffer
            return self._dma.read(first_addr + offset, length)
        pieces = [self._dma.read(addr, n) for addr, n in _span(self.readable, offset, length)]
        return b"".join(pieces)

    def write(self, offset: int, data: bytes) -> None:
        """Store data at [offset, offset+len(data)) of the device-writable part."""
        if offset < 0 or offset + len(data) > self.writable_len:
            raise ValueError(f"write of {len(data)} bytes at {offset} outside the writable "
                             f"{self.writable_len} bytes")
        view = memoryview(data)
        pos = 0
        for addr, n in _span(self.writable, offset, len(data)):
            self._dma.write(addr, view[pos:pos + n])
            pos += n

    def unpack(self, fmt: struct.Struct, offset: int = 0) -> tuple:
        """fmt unpacked from readable bytes [offset, offset + fmt.size)."""
        if self.readable:
            addr, n = self.readable[0]
            if offset >= 0 and offset + fmt.size <= n:   # within the first buffer: no copy
                dma = self._dma
                return fmt.unpack_from(dma.ram, addr + offset - dma.ram_base)
        return fmt.unpack(self.read(offset, fmt.size))

    def write_last(self, value: int) -> None:
        """Store one byte at the end of the device-writable part (a status byte)."""
        addr, n = self.writable[-1]
        self._dma.write(addr + n - 1, bytes((value,)))

    def readable_views(self, offset: int, length: int) -> List[memoryview]:
        """Guest RAM holding readable bytes [offset, offset+length), as memoryviews."""
        if offset < 0 or length < 0 or offset + length > self.readable_len:
            raise ValueError(f"{length} bytes at {offset} outside the readable "
                             f"{self.readable_len} bytes")
        return [self._dma.view(a, n) for a, n in _span(self.readable, offset, length)]

    def writable_views(self, offset: int, length: int) -> List[memoryview]:
        """Guest RAM of writable bytes [offset, offset+length), as memoryviews; a device that
        stores through them calls written(offset, length) afterwards."""
        if offset < 0 or length < 0 or offset + length > self.writable_len:
            raise ValueError(f"{length} bytes at {offset} outside the writable "
                             f"{self.writable_len} bytes")
        return [self._dma.view(a, n) for a, n in _span(self.writable, offset, length)]

    def written(self, offset: int, length: int) -> None:
        """Writable bytes [offset, offset+length) were stored through writable_views()."""
        for a, n in _span(self.writable, offset, length):
            self._dma.written(a, n)

    def __repr__(self) -> str:
        return (f"Chain(head={self.head}, readable={self.readable_len}, "
                f"writable={self.writable_len})")


class VirtioDevice:
    """Base class of virtio device types; see the module docstring for the interface."""

    device_id = 0
    num_queues = 1
    default_queue_size = 128

    _transport = None

    def attach(self, transport) -> None:
        self._transport = transport

    def config_changed(self) -> None:
        if self._transport is not None:
            self._transport.config_changed()

    def queue_num_max(self, index: int) -> int:
        return self.default_queue_size

    def features(self) -> int:
        return 0

    def accept_features(self, features: int) -> bool:
        return True

    def set_features(self, features: int) -> None:
        pass

    def config_read(self, offset: int, size: int) -> int:
        return 0

    def config_write(self, offset: int, size: int, value: int) -> None:
        pass

    def reset(self) -> None:
        pass

    def handle_request(self, queue: int, chain: Chain) -> int:
        return 0


class Virtqueue:
    """Transport-side state of one split virtqueue."""

    __slots__ = ("index", "max_size", "num", "ready", "desc", "driver", "device",
                 "last_avail", "used_idx")

    def __init__(self, index: int, max_size: int):
        self.index = index
        self.max_size = max_size
        self.reset()

    def reset(self) -> None:
        self.num = self.max_size    # a driver writes QueueNum; default to the maximum
        self.ready = False
        self.desc = 0               # descriptor area
        self.driver = 0             # driver area: the available ring
        self.device = 0             # device area: the used ring
        self.last_avail = 0         # next available-ring index to consume (mod 2^16)
        self.used_idx = 0           # our copy of used.idx (the device is its only writer)

    def __repr__(self) -> str:
        return (f"Virtqueue({self.index}, num={self.num}, ready={self.ready}, "
                f"desc={self.desc:#x}, driver={self.driver:#x}, device={self.device:#x})")


class VirtioMmio:
    """A virtio-mmio (version 2) register window in front of one VirtioDevice.

    The window answers in its first 0x200 bytes, and the bus splits 8-byte accesses into two
    4-byte ones, as QEMU's virtio-mmio does (rvemu.bus: accepts, max_access).  A register
    access of a width other than 4 reads 0 and is ignored; configuration space takes 1, 2 and 4."""

    max_access = 4
    WINDOW = 0x200

    def __init__(self, device: VirtioDevice, irq: IrqLine, dma, vendor_id: int = VENDOR_ID,
                 require_version_1: bool = False):
        self.device = device
        self.require_version_1 = require_version_1
        self.irq = irq
        self.dma = dma
        self.vendor_id = vendor_id
        self.queues: List[Virtqueue] = []
        for i in range(device.num_queues):
            size = device.queue_num_max(i)
            if not (0 < size <= MAX_QUEUE_SIZE and size & (size - 1) == 0):
                raise ValueError(f"queue {i}: maximum size {size} is not a power of two "
                                 f"in 1..{MAX_QUEUE_SIZE}")
            self.queues.append(Virtqueue(i, size))
        self.config_generation = 0
        self.errors: Deque[str] = deque(maxlen=16)
        self.ignored_notifies = 0
        self.completed = 0
        device.attach(self)
        self._reset_state()

    # ---- state ----------------------------------------------------------------------------------
    def _reset_state(self) -> None:
        self.status = 0
        self.device_features_sel = 0
        self.driver_features_sel = 0
        self.driver_features = 0
        self.features = 0                   # negotiated, valid once FEATURES_OK is set
        self.queue_sel = 0
        self.interrupt_status = 0
        self.shm_sel = 0
        for q in self.queues:
            q.reset()
        self.offered = ((self.device.features() & ~TRANSPORT_FEATURE_MASK)
                        | TRANSPORT_FEATURES) & ((1 << 64) - 1)
        self.irq.set(False)

    def reset(self) -> None:
        """Device reset, as when the driver writes 0 to Status."""
        self._reset_state()
        self.device.reset()

    @property
    def needs_reset(self) -> bool:
        return bool(self.status & STATUS_DEVICE_NEEDS_RESET)

    def _selected_queue(self) -> Optional[Virtqueue]:
        if self.queue_sel < len(self.queues):
            return self.queues[self.queue_sel]
        return None

    def _live(self) -> bool:
        """May the device touch the virtqueues?"""
        s = self.status
        return bool(s & STATUS_DRIVER_OK) and not s & (STATUS_DEVICE_NEEDS_RESET | STATUS_FAILED)

    # ---- interrupts -----------------------------------------------------------------------------
    def _interrupt(self, bits: int) -> None:
        self.interrupt_status |= bits
        self.irq.set(self.interrupt_status != 0)

    def config_changed(self) -> None:
        """The device's configuration space changed (called by the device)."""
        self.config_generation = (self.config_generation + 1) & 0xFFFFFFFF
        if self.status & STATUS_DRIVER_OK:
            self._interrupt(INT_CONFIG_CHANGE)

    def _fail(self, reason: str) -> None:
        """Enter the error state: DEVICE_NEEDS_RESET, and tell a running driver."""
        self.errors.append(reason)
        log.warning("virtio-mmio (device %d): %s; device needs reset",
                    self.device.device_id, reason)
        if not self.status & STATUS_DEVICE_NEEDS_RESET:
            self.status |= STATUS_DEVICE_NEEDS_RESET
            if self.status & STATUS_DRIVER_OK:
                self._interrupt(INT_CONFIG_CHANGE)

    # ---- MMIO -----------------------------------------------------------------------------------
    def accepts(self, offset: int, size: int) -> bool:
        return offset + size <= self.WINDOW

    def read(self, offset: int, size: int) -> int:
        if offset >= CONFIG_OFFSET:
            value = self.device.config_read(offset - CONFIG_OFFSET, size)
            return value & ((1 << (8 * size)) - 1)
        if size != 4 or offset & 3:
            return 0
        if offset == REG_MAGIC_VALUE:
            return MAGIC_VALUE
        if offset == REG_VERSION:
            return VERSION
        if offset == REG_DEVICE_ID:
            return self.device.device_id
        if offset == REG_VENDOR_ID:
            return self.vendor_id
        if offset == REG_DEVICE_FEATURES:
            if self.device_features_sel < 2:
                return (self.offered >> (32 * self.device_features_sel)) & 0xFFFFFFFF
            return 0
        if offset == REG_QUEUE_NUM_MAX:
            q = self._selected_queue()
            return q.max_size if q is not None else 0
        if offset == REG_QUEUE_READY:
            q = self._selected_queue()
            return int(q.ready) if q is not None else 0
        if offset == REG_INTERRUPT_STATUS:
            return self.interrupt_status
        if offset == REG_STATUS:
            return self.status
        if offset == REG_CONFIG_GENERATION:
            return self.config_generation
        if offset in (REG_SHM_LEN_LOW, REG_SHM_LEN_HIGH, REG_SHM_BASE_LOW, REG_SHM_BASE_HIGH):
            return 0xFFFFFFFF               # no shared memory regions: length and base are -1
        return 0                            # write-only, reserved, QueueReset (not offered)

    def write(self, offset: int, size: int, value: int) -> None:
        if offset >= CONFIG_OFFSET:
            self.device.config_write(offset - CONFIG_OFFSET, size,
                                     value & ((1 << (8 * size)) - 1))
            return
        if size != 4 or offset & 3:
            return
        value &= 0xFFFFFFFF
        if offset == REG_QUEUE_NOTIFY:
            self._notify(value)
        elif offset == REG_INTERRUPT_ACK:
            self.interrupt_status &= ~value
            self.irq.set(self.interrupt_status != 0)
        elif offset == REG_STATUS:
            self._write_status(value)
        elif offset == REG_DEVICE_FEATURES_SEL:
            self.device_features_sel = value
        elif offset == REG_DRIVER_FEATURES_SEL:
            self.driver_features_sel = value
        elif offset == REG_DRIVER_FEATURES:
            if self.driver_features_sel < 2 and not self.status & STATUS_FEATURES_OK:
                shift = 32 * self.driver_features_sel
                self.driver_features = ((self.driver_features & ~(0xFFFFFFFF << shift))
                                        | (value << shift))
        elif offset == REG_QUEUE_SEL:
            self.queue_sel = value
        elif offset == REG_QUEUE_READY:
            self._write_queue_ready(value)
        elif offset == REG_SHM_SEL:
            self.shm_sel = value
        else:
            self._write_queue_config(offset, value)

    def _write_queue_config(self, offset: int, value: int) -> None:
        q = self._selected_queue()
        if q is None or q.ready:
            return
        if offset == REG_QUEUE_NUM:
            q.num = value
        elif offset == REG_QUEUE_DESC_LOW:
            q.desc = (q.desc & ~0xFFFFFFFF) | value
        elif offset == REG_QUEUE_DESC_HIGH:
            q.desc = (q.desc & 0xFFFFFFFF) | (value << 32)
        elif offset == REG_QUEUE_DRIVER_LOW:
            q.driver = (q.driver & ~0xFFFFFFFF) | value
        elif offset == REG_QUEUE_DRIVER_HIGH:
            q.driver = (q.driver & 0xFFFFFFFF) | (value << 32)
        elif offset == REG_QUEUE_DEVICE_LOW:
            q.device = (q.device & ~0xFFFFFFFF) | value
        elif offset == REG_QUEUE_DEVICE_HIGH:
            q.device = (q.device & 0xFFFFFFFF) | (value << 32)

    # ---- status ---------------------------------------------------------------------------------
    def _write_status(self, value: int) -> None:
        if value == 0:
            self.reset()
            return
        old = self.status
        driver_bits = (STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_DRIVER_OK
                       | STATUS_FEATURES_OK | STATUS_FAILED)
        new = old | (value & driver_bits)
        if new & STATUS_FEATURES_OK and not old & STATUS_FEATURES_OK:
            if self._features_acceptable(self.driver_features):
                self.features = self.driver_features
                self.device.set_features(self.features)
            else:
                new &= ~STATUS_FEATURES_OK
        self.status = new
        if new & STATUS_DRIVER_OK and not old & STATUS_DRIVER_OK:
            if not new & STATUS_FEATURES_OK:
                self._fail("DRIVER_OK set without FEATURES_OK")
            elif self.needs_reset:
                self._interrupt(INT_CONFIG_CHANGE)      # an earlier error, now reportable
            else:
                for q in self.queues:                   # buffers made available before
                    if q.ready and self._live():        # DRIVER_OK
                        self._process(q)

    def _features_acceptable(self, features: int) -> bool:
        if features & ~self.offered:
            log.info("virtio-mmio: driver accepted unoffered features %#x",
                     features & ~self.offered)
            return False
        if not features & F_VERSION_1:
            log.info("virtio-mmio: driver did not accept VIRTIO_F_VERSION_1%s",
                     "; refused" if self.require_version_1 else "")
            if self.require_version_1:
                return False
        return bool(self.device.accept_features(features))

    # ---- queues ---------------------------------------------------------------------------------
    def _in_ram(self, addr: int, n: int) -> bool:
        return self.dma.base <= addr and addr + n <= self.dma.base + self.dma.size

    def _write_queue_ready(self, value: int) -> None:
        q = self._selected_queue()
        if q is None:
            return
        if not value & 1:
            q.ready = False
            return
        if q.ready:
            return
        problem = self._check_queue(q)
        if problem is not None:
            self._fail(f"queue {q.index}: {problem}")
            return
        q.ready = True
        q.last_avail = 0
        q.used_idx = 0

    def _check_queue(self, q: Virtqueue) -> Optional[str]:
        n = q.num
        if not (0 < n <= q.max_size) or n & (n - 1):
            return f"QueueNum {n} is not a power of two in 1..{q.max_size}"
        if q.desc % 16 or q.driver % 2 or q.device % 4:
            return (f"misaligned rings: desc {q.desc:#x} (16), driver {q.driver:#x} (2), "
                    f"device {q.device:#x} (4)")
        if not self._in_ram(q.desc, DESC_SIZE * n):
            return f"descriptor table at {q.desc:#x} is not inside RAM"
        if not self._in_ram(q.driver, 4 + 2 * n):
            return f"available ring at {q.driver:#x} is not inside RAM"
        if not self._in_ram(q.device, 4 + 8 * n):
            return f"used ring at {q.device:#x} is not inside RAM"
        return None

    def _notify(self, value: int) -> None:
        index = value   # without VIRTIO_F_NOTIFICATION_DATA the value is the queue index
        if not self._live() or index >= len(self.queues) or not self.queues[index].ready:
            self.ignored_notifies += 1
            return
        self._process(self.queues[index])

    def process_queue(self, index: int) -> None:
        """Serve queue `index` as if the driver had notified it (for hosts and tests)."""
        self._notify(index)

    def _process(self, q: Virtqueue) -> None:
        dma = self.dma
        ram, base = dma.ram, dma.ram_base       # the rings were checked to lie in RAM
        used = 0
        try:
            avail_idx = _U16.unpack_from(ram, q.driver + 2 - base)[0]
            pending = (avail_idx - q.last_avail) & 0xFFFF
            if pending > q.num:
                raise VirtqueueError(f"available idx {avail_idx} is {pending} entries ahead of "
                                     f"{q.last_avail} (queue size {q.num})")
            for _ in range(pending):
                head = _U16.unpack_from(ram, q.driver + 4 + 2 * (q.last_avail % q.num)
                                        - base)[0]
                chain = self._walk(q, head)
                written = self.device.handle_request(q.index, chain)
                written = max(0, min(int(written or 0), chain.writable_len))
                slot = q.device + 4 + 8 * (q.used_idx % q.num)
                dma.write(slot, _USED_ELEM.pack(head, written))
                q.used_idx = (q.used_idx + 1) & 0xFFFF
                q.last_avail = (q.last_avail + 1) & 0xFFFF
                used += 1
                self.completed += 1
        except (VirtqueueError, DmaError) as e:
            self._fail(f"queue {q.index}: {e}")
        if used:
            # the index once for the whole run, after its elements (spec 2.7.8: a driver reads
            # the elements only up to the index); the ring was checked to lie in RAM
            dma.write(q.device + 2, _U16.pack(q.used_idx))
            flags = _U16.unpack_from(ram, q.driver - base)[0]
            if not flags & VIRTQ_AVAIL_F_NO_INTERRUPT:
                self._interrupt(INT_USED_BUFFER)

    def _walk(self, q: Virtqueue, head: int) -> Chain:
        """Follow the chain starting at descriptor `head`; raise VirtqueueError if malformed.
        The descriptor table (checked at QueueReady) and an indirect table (checked below) lie
        in RAM, so descriptors are unpacked straight from the RAM view."""
        dma = self.dma
        ram, base = dma.ram, dma.ram_base
        ram_end = base + dma.size
        if head >= q.num:
            raise VirtqueueError(f"available ring names descriptor {head} (queue size {q.num})")
        readable: List[Tuple[int, int]] = []
        writable: List[Tuple[int, int]] = []
        table, table_size, limit = q.desc, q.num, q.num
        indirect = False
        index, count, total, readable_len = head, 0, 0, 0
        while True:
            if index >= table_size:
                raise VirtqueueError(f"descriptor {head}: next index {index} outside a table "
                                     f"of {table_size}")
            count += 1
            if count > limit:
                raise VirtqueueError(f"descriptor chain at {head} is longer than {limit} "
                                     f"descriptors (a loop?)")
            addr, length, flags, nxt = _DESC.unpack_from(ram, table + DESC_SIZE * index - base)
            if flags & VIRTQ_DESC_F_INDIRECT:
                if not self.features & F_INDIRECT_DESC:
                    raise VirtqueueError("INDIRECT descriptor without VIRTIO_F_INDIRECT_DESC")
                if indirect:
                    raise VirtqueueError("INDIRECT descriptor inside an indirect table")
                if flags & VIRTQ_DESC_F_NEXT:
                    raise VirtqueueError("descriptor with both INDIRECT and NEXT")
                n = length // DESC_SIZE
                if length == 0 or length % DESC_SIZE or n > MAX_INDIRECT_DESCRIPTORS:
                    raise VirtqueueError(f"indirect table length {length} is not a multiple "
                                         f"of 16 in 16..{DESC_SIZE * MAX_INDIRECT_DESCRIPTORS}")
                if addr % DESC_SIZE or not self._in_ram(addr, length):
                    raise VirtqueueError(f"indirect table at {addr:#x} is misaligned or not "
                                         f"inside RAM")
                table, table_size, limit = addr, n, n
                indirect = True
                index, count = 0, 0
                continue
            if length:
                if addr < base or addr + length > ram_end:
                    raise VirtqueueError(f"buffer of {length} bytes at {addr:#x} is not "
                                         f"inside RAM")
                total += length
                if total > MAX_CHAIN_BYTES:
                    raise VirtqueueError("descriptor chain longer than 2^32 bytes")
                if flags & VIRTQ_DESC_F_WRITE:
                    writable.append((addr, length))
                elif writable:
                    raise VirtqueueError("device-readable buffer after a device-writable one")
                else:
                    readable.append((addr, length))
                    readable_len += length
            if not flags & VIRTQ_DESC_F_NEXT:
                break
            index = nxt
        return Chain(dma, head, readable, writable, readable_len, total - readable_len)

    def __repr__(self) -> str:
        return (f"VirtioMmio(device={self.device.device_id}, status={self.status:#x}, "
                f"interrupt={self.interrupt_status:#x})")
