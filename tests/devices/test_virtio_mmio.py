"""virtio-mmio transport: registers, negotiation, queue setup, chains, interrupts, robustness.

The transport is driven exactly as a guest driver would drive it, through read/write on the
register window, with the rings in a fake RAM behind a real DmaPort.  `Driver` and `FakeCore`
are reused by test_virtio_blk.py.
"""

from __future__ import annotations

import struct

import pytest

from rvemu.devices.base import DmaPort, IrqLine
from rvemu.devices.virtio_mmio import (
    F_EVENT_IDX, F_INDIRECT_DESC, F_VERSION_1, INT_CONFIG_CHANGE, INT_USED_BUFFER,
    MAGIC_VALUE, REG_CONFIG_GENERATION, REG_DEVICE_FEATURES, REG_DEVICE_FEATURES_SEL,
    REG_DEVICE_ID, REG_DRIVER_FEATURES, REG_DRIVER_FEATURES_SEL, REG_INTERRUPT_ACK,
    REG_INTERRUPT_STATUS, REG_MAGIC_VALUE, REG_QUEUE_DESC_HIGH, REG_QUEUE_DESC_LOW,
    REG_QUEUE_DEVICE_HIGH, REG_QUEUE_DEVICE_LOW, REG_QUEUE_DRIVER_HIGH, REG_QUEUE_DRIVER_LOW,
    REG_QUEUE_NOTIFY, REG_QUEUE_NUM, REG_QUEUE_NUM_MAX, REG_QUEUE_READY, REG_QUEUE_SEL,
    REG_SHM_LEN_LOW, REG_SHM_SEL, REG_STATUS, REG_VENDOR_ID, REG_VERSION, STATUS_ACKNOWLEDGE,
    STATUS_DEVICE_NEEDS_RESET, STATUS_DRIVER, STATUS_DRIVER_OK, STATUS_FAILED,
    STATUS_FEATURES_OK, VENDOR_ID, VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTQ_DESC_F_INDIRECT,
    VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, VirtioDevice, VirtioMmio, VirtqueueError,
)

RAM_BASE = 0x8000_0000
RAM_SIZE = 1 << 20


class FakeCore:
    """Just enough of rvemu._core.Core for a DmaPort: RAM in a bytearray."""

    def __init__(self, base: int = RAM_BASE, size: int = RAM_SIZE):
        self.ram_base = base
        self.ram_size = size
        self.mem = bytearray(size)
        self.dma_stores = []            # (addr, n) stored through ram_view, as reported

    def read_phys(self, addr: int, n: int) -> bytes:
        o = addr - self.ram_base
        return bytes(self.mem[o:o + n])

    def write_phys(self, addr: int, data: bytes) -> None:
        o = addr - self.ram_base
        self.mem[o:o + len(data)] = data

    def ram_view(self) -> memoryview:
        return memoryview(self.mem)

    def phys_written(self, addr: int, n: int) -> None:
        self.dma_stores.append((addr, n))


class Driver:
    """A guest-side virtio driver in Python: rings and buffers live in the fake RAM."""

    def __init__(self, dev: VirtioMmio, core: FakeCore, num: int = 8, queue: int = 0):
        self.dev = dev
        self.core = core
        self.num = num
        self.queue = queue
        self.desc = RAM_BASE + 0x1000
        self.avail = RAM_BASE + 0x2000
        self.used = RAM_BASE + 0x3000
        self.heap = RAM_BASE + 0x10000
        self.next_desc = 0
        self.avail_idx = 0
        self.last_used = 0

    # registers
    def r32(self, off: int) -> int:
        return self.dev.read(off, 4)

    def w32(self, off: int, value: int) -> None:
        self.dev.write(off, 4, value)

    @property
    def status(self) -> int:
        return self.r32(REG_STATUS)

    # memory
    def mem_read(self, addr: int, n: int) -> bytes:
        return self.core.read_phys(addr, n)

    def mem_write(self, addr: int, data: bytes) -> None:
        self.core.write_phys(addr, data)

    def alloc(self, n: int, align: int = 16) -> int:
        self.heap = (self.heap + align - 1) & ~(align - 1)
        addr = self.heap
        self.heap += max(n, 1)
        assert self.heap < RAM_BASE + RAM_SIZE
        return addr

    # initialisation, in the order of spec 3.1.1
    def device_features(self) -> int:
        self.w32(REG_DEVICE_FEATURES_SEL, 0)
        lo = self.r32(REG_DEVICE_FEATURES)
        self.w32(REG_DEVICE_FEATURES_SEL, 1)
        return lo | (self.r32(REG_DEVICE_FEATURES) << 32)

    def set_driver_features(self, features: int) -> None:
        self.w32(REG_DRIVER_FEATURES_SEL, 0)
        self.w32(REG_DRIVER_FEATURES, features & 0xFFFFFFFF)
        self.w32(REG_DRIVER_FEATURES_SEL, 1)
        self.w32(REG_DRIVER_FEATURES, features >> 32)

    def negotiate(self, clear: int = 0) -> bool:
        self.w32(REG_STATUS, 0)
        self.w32(REG_STATUS, STATUS_ACKNOWLEDGE)
        self.w32(REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER)
        self.features = self.device_features() & ~clear
        self.set_driver_features(self.features)
        self.w32(REG_STATUS, self.status | STATUS_FEATURES_OK)
        return bool(self.status & STATUS_FEATURES_OK)

    def setup_queue(self, num=None, desc=None, avail=None, used=None) -> None:
        num = self.num if num is None else num
        self.w32(REG_QUEUE_SEL, self.queue)
        assert self.r32(REG_QUEUE_READY) == 0
        assert self.r32(REG_QUEUE_NUM_MAX) >= 8
        self.w32(REG_QUEUE_NUM, num)
        for lo, hi, addr in ((REG_QUEUE_DESC_LOW, REG_QUEUE_DESC_HIGH, desc or self.desc),
                             (REG_QUEUE_DRIVER_LOW, REG_QUEUE_DRIVER_HIGH, avail or self.avail),
                             (REG_QUEUE_DEVICE_LOW, REG_QUEUE_DEVICE_HIGH, used or self.used)):
            self.w32(lo, addr & 0xFFFFFFFF)
            self.w32(hi, addr >> 32)
        self.w32(REG_QUEUE_READY, 1)

    def driver_ok(self) -> None:
        self.w32(REG_STATUS, self.status | STATUS_DRIVER_OK)

    def init(self, clear: int = 0) -> "Driver":
        assert self.negotiate(clear)
        self.setup_queue()
        self.driver_ok()
        assert self.status == (STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK
                               | STATUS_DRIVER_OK)
        return self

    # descriptors and rings
    def write_desc(self, index: int, addr: int, length: int, flags: int = 0, nxt: int = 0,
                   table=None) -> None:
        table = self.desc if table is None else table
        self.mem_write(table + 16 * index, struct.pack("<QIHH", addr, length, flags, nxt))

    def buffer(self, spec, writable: bool):
        """spec: bytes (device-readable content) or an int (device-writable length)."""
        if writable:
            addr = self.alloc(spec)
            self.mem_write(addr, b"\xee" * spec)      # poison, to see what the device wrote
            return addr, spec
        addr = self.alloc(len(spec))
        self.mem_write(addr, spec)
        return addr, len(spec)

    def chain(self, segments, indirect: bool = False):
        """Put a chain of (bytes_or_len, writable) segments in the descriptor table.

        Returns (head, [(addr, len), ...]).  With indirect=True the segments go into one
        indirect table referenced by a single descriptor."""
        bufs = [self.buffer(spec, w) for spec, w in segments]
        flags = [VIRTQ_DESC_F_WRITE if w else 0 for _, w in segments]
        if indirect:
            table = self.alloc(16 * len(bufs))
            for i, ((addr, n), f) in enumerate(zip(bufs, flags)):
                last = i == len(bufs) - 1
                self.write_desc(i, addr, n, f | (0 if last else VIRTQ_DESC_F_NEXT), i + 1,
                                table=table)
            head = self._take_desc()
            self.write_desc(head, table, 16 * len(bufs), VIRTQ_DESC_F_INDIRECT)
            return head, bufs
        idx = [self._take_desc() for _ in bufs]
        for i, ((addr, n), f) in enumerate(zip(bufs, flags)):
            last = i == len(bufs) - 1
            self.write_desc(idx[i], addr, n, f | (0 if last else VIRTQ_DESC_F_NEXT),
                            0 if last else idx[i + 1])
        return idx[0], bufs

    def _take_desc(self) -> int:
        i = self.next_desc
        self.next_desc = (self.next_desc + 1) % self.num
        return i

    def make_available(self, head: int) -> None:
        slot = self.avail + 4 + 2 * (self.avail_idx % self.num)
        self.mem_write(slot, struct.pack("<H", head))
        self.avail_idx = (self.avail_idx + 1) & 0xFFFF
        self.mem_write(self.avail + 2, struct.pack("<H", self.avail_idx))

    def set_avail_flags(self, flags: int) -> None:
        self.mem_write(self.avail, struct.pack("<H", flags))

    def notify(self) -> None:
        self.w32(REG_QUEUE_NOTIFY, self.queue)

    def submit(self, segments, indirect: bool = False, notify: bool = True):
        head, bufs = self.chain(segments, indirect)
        self.make_available(head)
        if notify:
            self.notify()
        return head, bufs

    def used_idx(self) -> int:
        return struct.unpack("<H", self.mem_read(self.used + 2, 2))[0]

    def pop_used(self):
        """The next used element (id, len), or None if the device has not returned one."""
        if self.used_idx() == self.last_used:
            return None
        slot = self.used + 4 + 8 * (self.last_used % self.num)
        self.last_used = (self.last_used + 1) & 0xFFFF
        return struct.unpack("<II", self.mem_read(slot, 8))

    def ack(self) -> int:
        """What an interrupt handler does (xv6: ACK = InterruptStatus & 3)."""
        st = self.r32(REG_INTERRUPT_STATUS)
        self.w32(REG_INTERRUPT_ACK, st & 3)
        return st


class EchoDevice(VirtioDevice):
    """Test device: copies the readable bytes, reversed, into the writable bytes."""

    device_id = 0x42
    num_queues = 2
    default_queue_size = 16

    def __init__(self):
        self.requests = []
        self.resets = 0
        self.negotiated = None
        self.veto = False
        self.cfg = bytearray(b"\x11\x22\x33\x44\x55\x66\x77\x88")
        self.raise_next = None

    def features(self) -> int:
        return 1 << 3 | F_EVENT_IDX     # EVENT_IDX must be masked off by the transport

    def accept_features(self, features: int) -> bool:
        return not self.veto

    def set_features(self, features: int) -> None:
        self.negotiated = features

    def config_read(self, offset: int, size: int) -> int:
        return int.from_bytes(self.cfg[offset:offset + size], "little")

    def config_write(self, offset: int, size: int, value: int) -> None:
        self.cfg[offset:offset + size] = value.to_bytes(size, "little")
        self.config_changed()

    def reset(self) -> None:
        self.resets += 1

    def handle_request(self, queue: int, chain) -> int:
        if self.raise_next is not None:
            exc, self.raise_next = self.raise_next, None
            raise exc
        data = chain.read()
        self.requests.append((queue, chain.head, data, chain.writable_len))
        out = data[::-1][:chain.writable_len]
        chain.write(0, out)
        return len(out)


class Irq(IrqLine):
    def __init__(self):
        super().__init__("virtio", self._record)
        self.history = []

    def _record(self, level: bool) -> None:
        self.history.append(level)


def make(device=None, core=None):
    core = core or FakeCore()
    device = device or EchoDevice()
    irq = Irq()
    dev = VirtioMmio(device, irq, DmaPort(core))
    return dev, Driver(dev, core), irq, device


# ---- identity and features ---------------------------------------------------------------------

def test_identity_registers():
    dev, drv, irq, echo = make()
    assert drv.r32(REG_MAGIC_VALUE) == MAGIC_VALUE == 0x74726976
    assert drv.r32(REG_VERSION) == 2
    assert drv.r32(REG_DEVICE_ID) == 0x42
    assert drv.r32(REG_VENDOR_ID) == VENDOR_ID == 0x554D4551
    assert drv.status == 0
    assert drv.r32(REG_INTERRUPT_STATUS) == 0 and not irq.level


def test_feature_windows():
    dev, drv, irq, echo = make()
    f = drv.device_features()
    assert f & F_VERSION_1 and f & F_INDIRECT_DESC and f & (1 << 3)
    assert not f & F_EVENT_IDX                      # device tried; transport masks it
    drv.w32(REG_DEVICE_FEATURES_SEL, 1)
    assert drv.r32(REG_DEVICE_FEATURES) == 1        # bit 32 = VERSION_1
    drv.w32(REG_DEVICE_FEATURES_SEL, 2)
    assert drv.r32(REG_DEVICE_FEATURES) == 0
    drv.w32(REG_DEVICE_FEATURES_SEL, 0xFFFFFFFF)
    assert drv.r32(REG_DEVICE_FEATURES) == 0


def test_features_ok_accepts_subset_with_version_1():
    dev, drv, irq, echo = make()
    assert drv.negotiate(clear=F_INDIRECT_DESC | (1 << 3))
    assert echo.negotiated == F_VERSION_1
    assert dev.features == F_VERSION_1
    # DriverFeatures are frozen once FEATURES_OK is set
    drv.set_driver_features(F_VERSION_1 | F_INDIRECT_DESC)
    assert dev.features == F_VERSION_1 and dev.driver_features == F_VERSION_1


def test_features_ok_without_version_1_accepted_by_default():
    dev, drv, irq, echo = make()                    # xv6 never writes the high feature word
    assert drv.negotiate(clear=F_VERSION_1)
    assert echo.negotiated == F_INDIRECT_DESC | (1 << 3)


def test_features_ok_refused_without_version_1_when_required():
    core = FakeCore()
    echo = EchoDevice()
    dev = VirtioMmio(echo, Irq(), DmaPort(core), require_version_1=True)
    drv = Driver(dev, core)
    assert not drv.negotiate(clear=F_VERSION_1)
    assert drv.status == STATUS_ACKNOWLEDGE | STATUS_DRIVER
    assert echo.negotiated is None
    assert drv.negotiate()


def test_features_ok_refused_for_unoffered_feature():
    dev, drv, irq, echo = make()
    drv.w32(REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER)
    drv.set_driver_features(F_VERSION_1 | F_EVENT_IDX)
    drv.w32(REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK)
    assert not drv.status & STATUS_FEATURES_OK
    # the driver may try again with a valid subset
    drv.set_driver_features(F_VERSION_1)
    drv.w32(REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK)
    assert drv.status & STATUS_FEATURES_OK


def test_features_ok_device_veto():
    dev, drv, irq, echo = make()
    echo.veto = True
    assert not drv.negotiate()


def test_driver_features_sel_out_of_range_ignored():
    dev, drv, irq, echo = make()
    drv.w32(REG_DRIVER_FEATURES_SEL, 5)
    drv.w32(REG_DRIVER_FEATURES, 0xFFFFFFFF)
    assert dev.driver_features == 0


# ---- register access rules ---------------------------------------------------------------------

def test_non_32bit_control_accesses_are_ignored():
    dev, drv, irq, echo = make()
    assert dev.read(REG_MAGIC_VALUE, 1) == 0
    assert dev.read(REG_MAGIC_VALUE, 8) == 0
    assert dev.read(REG_MAGIC_VALUE + 2, 4) == 0
    dev.write(REG_STATUS, 1, STATUS_ACKNOWLEDGE)
    dev.write(REG_STATUS, 8, STATUS_ACKNOWLEDGE)
    assert drv.status == 0


def test_write_only_and_unknown_registers_read_zero():
    dev, drv, irq, echo = make()
    for off in (REG_QUEUE_NUM, REG_QUEUE_NOTIFY, REG_INTERRUPT_ACK, REG_QUEUE_DESC_LOW,
                REG_DRIVER_FEATURES, 0x0E0):
        assert drv.r32(off) == 0
    drv.w32(REG_MAGIC_VALUE, 0)                     # read-only: ignored
    assert drv.r32(REG_MAGIC_VALUE) == MAGIC_VALUE


def test_no_shared_memory_regions():
    dev, drv, irq, echo = make()
    drv.w32(REG_SHM_SEL, 0)
    assert drv.r32(REG_SHM_LEN_LOW) == 0xFFFFFFFF


def test_config_space_is_delegated_with_any_width():
    dev, drv, irq, echo = make()
    assert dev.read(0x100, 1) == 0x11
    assert dev.read(0x101, 2) == 0x3322
    assert dev.read(0x100, 4) == 0x44332211
    assert dev.read(0x100, 8) == 0x8877665544332211
    assert dev.read(0x104, 4) == 0x88776655


def test_config_change_bumps_generation_and_interrupts_when_running():
    dev, drv, irq, echo = make()
    gen = drv.r32(REG_CONFIG_GENERATION)
    dev.write(0x100, 1, 0x99)                       # before DRIVER_OK: no interrupt
    assert drv.r32(REG_CONFIG_GENERATION) == gen + 1
    assert not irq.level
    drv.init()
    dev.write(0x100, 1, 0x98)
    assert drv.r32(REG_CONFIG_GENERATION) == gen + 2
    assert drv.r32(REG_INTERRUPT_STATUS) == INT_CONFIG_CHANGE and irq.level
    drv.ack()
    assert not irq.level


def test_status_bits_only_accumulate_and_needs_reset_is_device_owned():
    dev, drv, irq, echo = make()
    drv.w32(REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER)
    drv.w32(REG_STATUS, STATUS_ACKNOWLEDGE)                 # try to clear DRIVER
    assert drv.status == STATUS_ACKNOWLEDGE | STATUS_DRIVER
    drv.w32(REG_STATUS, STATUS_DEVICE_NEEDS_RESET)          # try to set NEEDS_RESET
    assert not drv.status & STATUS_DEVICE_NEEDS_RESET


# ---- queue setup -------------------------------------------------------------------------------

def test_queue_select_and_sizes():
    dev, drv, irq, echo = make()
    drv.w32(REG_QUEUE_SEL, 1)
    assert drv.r32(REG_QUEUE_NUM_MAX) == 16
    drv.w32(REG_QUEUE_SEL, 2)                       # no such queue
    assert drv.r32(REG_QUEUE_NUM_MAX) == 0
    assert drv.r32(REG_QUEUE_READY) == 0
    drv.w32(REG_QUEUE_NUM, 8)
    drv.w32(REG_QUEUE_READY, 1)                     # ignored, no error
    assert drv.r32(REG_QUEUE_READY) == 0
    assert not drv.status & STATUS_DEVICE_NEEDS_RESET


def test_queue_ready_and_registers_frozen_while_ready():
    dev, drv, irq, echo = make()
    drv.negotiate()
    drv.setup_queue()
    assert drv.r32(REG_QUEUE_READY) == 1
    q = dev.queues[0]
    assert (q.num, q.desc, q.driver, q.device) == (8, drv.desc, drv.avail, drv.used)
    drv.w32(REG_QUEUE_NUM, 4)
    drv.w32(REG_QUEUE_DESC_LOW, 0)
    assert q.num == 8 and q.desc == drv.desc
    drv.w32(REG_QUEUE_READY, 0)                     # the driver stops using the queue
    assert drv.r32(REG_QUEUE_READY) == 0
    drv.w32(REG_QUEUE_NUM, 4)
    assert q.num == 4


@pytest.mark.parametrize("kwargs, why", [
    (dict(num=6), "power of two"),
    (dict(num=32), "power of two"),                 # > QueueNumMax (16)
    (dict(num=0), "power of two"),
    (dict(desc=RAM_BASE + 0x1008), "misaligned"),
    (dict(used=RAM_BASE + 0x3002), "misaligned"),
    (dict(avail=RAM_BASE + 0x2001), "misaligned"),
    (dict(desc=0x1000), "not inside RAM"),
    (dict(avail=RAM_BASE + RAM_SIZE - 8), "not inside RAM"),
    (dict(used=0xFFFF_FFFF_FFFF_FFF0), "not inside RAM"),
])
def test_bad_queue_setup_refused_with_needs_reset(kwargs, why):
    dev, drv, irq, echo = make()
    assert drv.negotiate()
    drv.setup_queue(**kwargs)
    assert drv.r32(REG_QUEUE_READY) == 0
    assert drv.status & STATUS_DEVICE_NEEDS_RESET
    assert why in dev.errors[-1]
    assert not irq.level                            # not DRIVER_OK yet: nothing to tell
    drv.driver_ok()                                 # now the driver is listening
    assert drv.r32(REG_INTERRUPT_STATUS) == INT_CONFIG_CHANGE and irq.level


def test_bad_queue_setup_after_driver_ok_interrupts():
    dev, drv, irq, echo = make()
    drv.init()
    drv.queue = 1
    drv.setup_queue(num=3)
    assert drv.status & STATUS_DEVICE_NEEDS_RESET
    assert drv.r32(REG_INTERRUPT_STATUS) == INT_CONFIG_CHANGE and irq.level


def test_driver_ok_without_features_ok_is_an_error():
    dev, drv, irq, echo = make()
    drv.w32(REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_DRIVER_OK)
    assert drv.status & STATUS_DEVICE_NEEDS_RESET
    assert irq.level and drv.r32(REG_INTERRUPT_STATUS) == INT_CONFIG_CHANGE


# ---- requests ----------------------------------------------------------------------------------

def test_round_trip_and_interrupt_ack():
    dev, drv, irq, echo = make()
    drv.init()
    head, bufs = drv.submit([(b"hello", False), (b" world", False), (4, True), (7, True)])
    assert echo.requests == [(0, head, b"hello world", 11)]
    assert drv.pop_used() == (head, 11)
    assert drv.mem_read(bufs[2][0], 4) == b"dlro" and drv.mem_read(bufs[3][0], 7) == b"w olleh"
    assert irq.level and drv.r32(REG_INTERRUPT_STATUS) == INT_USED_BUFFER
    drv.w32(REG_INTERRUPT_ACK, INT_CONFIG_CHANGE)   # acking another bit changes nothing
    assert irq.level
    assert drv.ack() == INT_USED_BUFFER
    assert not irq.level and drv.r32(REG_INTERRUPT_STATUS) == 0
    assert irq.history == [True, False]


def test_used_len_is_clamped_to_writable_length():
    class Liar(EchoDevice):
        def handle_request(self, queue, chain):
            return 1 << 40
    dev, drv, irq, echo = make(Liar())
    drv.init()
    head, _ = drv.submit([(b"x", False), (3, True)])
    assert drv.pop_used() == (head, 3)


def test_several_requests_per_notify_and_ring_wrap():
    dev, drv, irq, echo = make()
    drv.init()
    heads = []
    for i in range(3 * drv.num):                    # the ring indices wrap several times
        head, _ = drv.submit([(bytes([i]), False), (1, True)], notify=(i % 4 == 3))
        heads.append(head)
        if i % 4 == 3:
            for _ in range(4):
                assert drv.pop_used() is not None
    assert dev.completed == 3 * drv.num
    assert dev.queues[0].used_idx == 3 * drv.num


def test_idx_wraps_at_16_bits():
    dev, drv, irq, echo = make()
    drv.init()
    start = 0xFFFE
    q = dev.queues[0]
    q.last_avail = q.used_idx = start               # as if 65534 requests had been served
    drv.avail_idx = drv.last_used = start
    drv.mem_write(drv.avail + 2, struct.pack("<H", start))
    drv.mem_write(drv.used + 2, struct.pack("<H", start))
    for i in range(4):
        head, _ = drv.submit([(b"ab", False), (2, True)])
        assert drv.pop_used() == (head, 2)
    assert drv.used_idx() == 2 and not dev.errors


def test_no_interrupt_flag_suppresses_used_interrupt():
    dev, drv, irq, echo = make()
    drv.init()
    drv.set_avail_flags(VIRTQ_AVAIL_F_NO_INTERRUPT)
    head, _ = drv.submit([(b"abc", False), (3, True)])
    assert drv.pop_used() == (head, 3)
    assert not irq.level and drv.r32(REG_INTERRUPT_STATUS) == 0
    drv.set_avail_flags(0)
    head, _ = drv.submit([(b"abc", False), (3, True)])
    assert irq.level


def test_zero_length_descriptors_are_skipped():
    dev, drv, irq, echo = make()
    drv.init()
    head, _ = drv.submit([(b"", False), (b"ab", False), (0, True), (b"", False), (2, True)])
    assert echo.requests[-1][2:] == (b"ab", 2)
    assert drv.pop_used() == (head, 2) and not dev.errors


def test_indirect_descriptors():
    dev, drv, irq, echo = make()
    drv.init()
    assert dev.features & F_INDIRECT_DESC
    head, bufs = drv.submit([(b"in", False), (b"direct", False), (8, True)], indirect=True)
    assert drv.pop_used() == (head, 8)
    assert drv.mem_read(bufs[2][0], 8) == b"tceridni"


def test_direct_descriptors_then_indirect_table():
    dev, drv, irq, echo = make()
    drv.init()
    a, _ = drv.buffer(b"abc", False)
    table = drv.alloc(32)
    b, _ = drv.buffer(b"de", False)
    w, _ = drv.buffer(5, True)
    drv.write_desc(0, b, 2, VIRTQ_DESC_F_NEXT, 1, table=table)
    drv.write_desc(1, w, 5, VIRTQ_DESC_F_WRITE, 0, table=table)
    drv.write_desc(0, a, 3, VIRTQ_DESC_F_NEXT, 1)
    drv.write_desc(1, table, 32, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE)  # WRITE ignored
    drv.make_available(0)
    drv.notify()
    assert drv.pop_used() == (0, 5)
    assert drv.mem_read(w, 5) == b"edcba"


# ---- robustness: each case must not raise, and must leave a documented state --------------------

def assert_needs_reset(dev, drv, irq, used_before=0):
    assert drv.status & STATUS_DEVICE_NEEDS_RESET
    assert drv.r32(REG_INTERRUPT_STATUS) & INT_CONFIG_CHANGE and irq.level
    assert drv.used_idx() == used_before            # the bad chain was not returned
    assert dev.errors


def test_descriptor_loop_needs_reset():
    dev, drv, irq, echo = make()
    drv.init()
    a, _ = drv.buffer(b"x", False)
    drv.write_desc(0, a, 1, VIRTQ_DESC_F_NEXT, 1)
    drv.write_desc(1, a, 1, VIRTQ_DESC_F_NEXT, 0)
    drv.make_available(0)
    drv.notify()
    assert_needs_reset(dev, drv, irq)
    assert "loop" in dev.errors[-1]
    assert not echo.requests


def test_chains_before_a_bad_one_in_the_same_notify_are_returned():
    """Two good chains and then a looping one behind one doorbell: the good ones come back
    (elements and index: the index is written once for the run) before the device stops."""
    dev, drv, irq, echo = make()
    drv.init()
    first, _ = drv.submit([(b"ab", False), (2, True)], notify=False)
    second, _ = drv.submit([(b"cde", False), (3, True)], notify=False)
    a, _ = drv.buffer(b"x", False)
    bad = drv._take_desc()
    drv.write_desc(bad, a, 1, VIRTQ_DESC_F_NEXT, bad)          # a chain that loops on itself
    drv.make_available(bad)
    drv.notify()
    assert_needs_reset(dev, drv, irq, used_before=2)
    assert drv.pop_used() == (first, 2) and drv.pop_used() == (second, 3)
    assert drv.pop_used() is None


def test_self_loop_in_indirect_table_needs_reset():
    dev, drv, irq, echo = make()
    drv.init()
    a, _ = drv.buffer(b"x", False)
    table = drv.alloc(16 * 4)
    for i in range(4):
        drv.write_desc(i, a, 1, VIRTQ_DESC_F_NEXT, 2, table=table)
    drv.write_desc(0, table, 64, VIRTQ_DESC_F_INDIRECT)
    drv.make_available(0)
    drv.notify()
    assert_needs_reset(dev, drv, irq)


@pytest.mark.parametrize("case", [
    "next_out_of_range", "head_out_of_range", "buffer_outside_ram", "buffer_straddles_ram_end",
    "readable_after_writable", "indirect_with_next", "nested_indirect", "indirect_len_0",
    "indirect_len_not_multiple", "indirect_table_outside_ram", "desc_huge_len",
])
def test_malformed_chains_need_reset(case):
    dev, drv, irq, echo = make()
    drv.init()
    a, _ = drv.buffer(b"abcd", False)
    w, _ = drv.buffer(4, True)
    table = drv.alloc(64)
    head = 0
    if case == "next_out_of_range":
        drv.write_desc(0, a, 4, VIRTQ_DESC_F_NEXT, drv.num)
    elif case == "head_out_of_range":
        head = drv.num + 3
    elif case == "buffer_outside_ram":
        drv.write_desc(0, 0x1000, 4)
    elif case == "buffer_straddles_ram_end":
        drv.write_desc(0, RAM_BASE + RAM_SIZE - 2, 4)
    elif case == "readable_after_writable":
        drv.write_desc(0, w, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1)
        drv.write_desc(1, a, 4)
    elif case == "indirect_with_next":
        drv.write_desc(0, a, 4, 0, 0, table=table)
        drv.write_desc(0, table, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1)
        drv.write_desc(1, a, 4)
    elif case == "nested_indirect":
        drv.write_desc(0, table, 16, VIRTQ_DESC_F_INDIRECT, 0, table=table)
        drv.write_desc(0, table, 16, VIRTQ_DESC_F_INDIRECT)
    elif case == "indirect_len_0":
        drv.write_desc(0, table, 0, VIRTQ_DESC_F_INDIRECT)
    elif case == "indirect_len_not_multiple":
        drv.write_desc(0, table, 24, VIRTQ_DESC_F_INDIRECT)
    elif case == "indirect_table_outside_ram":
        drv.write_desc(0, 0x2000, 16, VIRTQ_DESC_F_INDIRECT)
    elif case == "desc_huge_len":
        drv.write_desc(0, a, 0xFFFFFFFF)
    drv.make_available(head)
    drv.notify()
    assert_needs_reset(dev, drv, irq)
    assert not echo.requests


def test_indirect_without_negotiation_needs_reset():
    dev, drv, irq, echo = make()
    drv.init(clear=F_INDIRECT_DESC)
    drv.submit([(b"a", False), (1, True)], indirect=True)
    assert_needs_reset(dev, drv, irq)
    assert "INDIRECT_DESC" in dev.errors[-1]


def test_avail_idx_too_far_ahead_needs_reset():
    dev, drv, irq, echo = make()
    drv.init()
    drv.mem_write(drv.avail + 2, struct.pack("<H", drv.num + 1))
    drv.notify()
    assert_needs_reset(dev, drv, irq)


def test_good_requests_before_a_bad_one_complete():
    dev, drv, irq, echo = make()
    drv.init()
    h1, _ = drv.submit([(b"ok", False), (2, True)], notify=False)
    drv.make_available(drv.num + 1)                 # bad head
    h3, _ = drv.submit([(b"no", False), (2, True)], notify=False)
    drv.notify()
    assert drv.pop_used() == (h1, 2)
    assert drv.pop_used() is None
    assert drv.status & STATUS_DEVICE_NEEDS_RESET
    assert drv.r32(REG_INTERRUPT_STATUS) == INT_USED_BUFFER | INT_CONFIG_CHANGE


def test_device_may_reject_a_chain_with_virtqueue_error():
    dev, drv, irq, echo = make()
    drv.init()
    echo.raise_next = VirtqueueError("device says no")
    drv.submit([(b"a", False), (1, True)])
    assert_needs_reset(dev, drv, irq)
    assert "device says no" in dev.errors[-1]


def test_notify_ignored_before_driver_ok_then_served_at_driver_ok():
    dev, drv, irq, echo = make()
    assert drv.negotiate()
    drv.setup_queue()
    head, _ = drv.submit([(b"early", False), (5, True)])    # notifies before DRIVER_OK
    assert dev.ignored_notifies == 1 and drv.pop_used() is None and not irq.level
    drv.driver_ok()
    assert drv.pop_used() == (head, 5) and irq.level


def test_notify_for_missing_or_unready_queue_is_ignored():
    dev, drv, irq, echo = make()
    drv.init()
    for q in (1, 2, 0xFFFF, 0xFFFFFFFF):            # queue 1 exists but is not ready
        drv.w32(REG_QUEUE_NOTIFY, q)
    assert dev.ignored_notifies == 4
    assert not drv.status & STATUS_DEVICE_NEEDS_RESET and not irq.level


def test_notify_ignored_after_failed_and_after_needs_reset():
    dev, drv, irq, echo = make()
    drv.init()
    drv.w32(REG_STATUS, drv.status | STATUS_FAILED)
    drv.submit([(b"a", False), (1, True)])
    assert drv.pop_used() is None and dev.ignored_notifies == 1


def test_reset_recovers_from_needs_reset():
    dev, drv, irq, echo = make()
    drv.init()
    resets = echo.resets
    drv.make_available(drv.num + 1)
    drv.notify()
    assert drv.status & STATUS_DEVICE_NEEDS_RESET and irq.level
    drv.submit([(b"a", False), (1, True)])          # ignored in the error state
    assert dev.ignored_notifies == 1
    drv.w32(REG_STATUS, 0)
    assert drv.status == 0 and not irq.level and drv.r32(REG_INTERRUPT_STATUS) == 0
    assert drv.r32(REG_QUEUE_READY) == 0 and echo.resets == resets + 1
    assert dev.features == 0
    # a fresh driver instance re-initialises on zeroed rings
    drv.mem_write(drv.avail, bytes(64))
    drv.mem_write(drv.used, bytes(128))
    drv2 = Driver(dev, drv.core)
    drv2.init()
    head, _ = drv2.submit([(b"again", False), (5, True)])
    assert drv2.pop_used() == (head, 5)


def test_reset_lowers_a_pending_interrupt():
    dev, drv, irq, echo = make()
    drv.init()
    drv.submit([(b"a", False), (1, True)])
    assert irq.level
    drv.w32(REG_STATUS, 0)
    assert not irq.level and irq.history == [True, False]


def test_with_the_real_core():
    from rvemu._core import Core
    core = Core(RAM_BASE, RAM_SIZE, 1)
    echo = EchoDevice()
    irq = Irq()
    dev = VirtioMmio(echo, irq, DmaPort(core))
    drv = Driver(dev, core)
    drv.init()
    head, bufs = drv.submit([(b"real RAM", False), (8, True)])
    assert drv.pop_used() == (head, 8)
    assert core.read_phys(bufs[1][0], 8) == b"MAR laer"
    assert irq.level
