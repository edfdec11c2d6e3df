"""virtio-blk over virtio-mmio, driven like xv6's and Linux's drivers; disk-image backends."""

from __future__ import annotations

import os
import struct
import tracemalloc

import pytest

from rvemu.devices.backends import SECTOR_SIZE, DiskImage, MemoryDisk, open_disk
from rvemu.devices.base import DmaPort
from rvemu.devices.virtio_blk import (
    VIRTIO_BLK_F_BLK_SIZE, VIRTIO_BLK_F_CONFIG_WCE, VIRTIO_BLK_F_FLUSH, VIRTIO_BLK_F_MQ,
    VIRTIO_BLK_F_RO, VIRTIO_BLK_F_SCSI, VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_S_IOERR,
    VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID,
    VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VirtioBlk,
)
from rvemu.devices.virtio_mmio import (
    F_EVENT_IDX, F_INDIRECT_DESC, F_VERSION_1, INT_USED_BUFFER, REG_DEVICE_ID,
    REG_INTERRUPT_STATUS, REG_MAGIC_VALUE, REG_STATUS, REG_VENDOR_ID, REG_VERSION,
    STATUS_DEVICE_NEEDS_RESET, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, VirtioMmio,
)

try:                                    # tests/devices as a package
    from .test_virtio_mmio import Driver, FakeCore, Irq
except ImportError:
    try:                                # pytest's default "prepend" import mode
        from test_virtio_mmio import Driver, FakeCore, Irq
    except ImportError:                 # --import-mode=importlib
        import importlib.util
        import pathlib
        _spec = importlib.util.spec_from_file_location(
            "_virtio_mmio_test_helpers", pathlib.Path(__file__).with_name("test_virtio_mmio.py"))
        _helpers = importlib.util.module_from_spec(_spec)
        _spec.loader.exec_module(_helpers)
        Driver, FakeCore, Irq = _helpers.Driver, _helpers.FakeCore, _helpers.Irq

F_ANY_LAYOUT = 1 << 27
# what xv6-riscv's virtio_disk_init clears from the offered features
XV6_CLEAR = (VIRTIO_BLK_F_RO | VIRTIO_BLK_F_SCSI | VIRTIO_BLK_F_CONFIG_WCE | VIRTIO_BLK_F_MQ
             | F_ANY_LAYOUT | F_EVENT_IDX | F_INDIRECT_DESC)

SECTORS = 64


def pattern(sector: int, count: int = 1) -> bytes:
    return b"".join(bytes((sector + i + j) & 0xFF for j in range(SECTOR_SIZE))
                    for i in range(count))


@pytest.fixture
def image(tmp_path):
    path = tmp_path / "disk.img"
    path.write_bytes(pattern(0, SECTORS))
    return path


def make(backend, clear=XV6_CLEAR, num=8, **blk_kwargs):
    core = FakeCore()
    blk = VirtioBlk(backend, **blk_kwargs)
    irq = Irq()
    dev = VirtioMmio(blk, irq, DmaPort(core))
    drv = Driver(dev, core, num=num)
    if clear is not None:
        drv.init(clear=clear)
    return dev, drv, irq, blk


def request(drv, rtype, sector=0, out=b"", data_in=0, indirect=False, split_header=False):
    """Submit one request xv6-style (header, data, status); return (status, data, used_len)."""
    hdr = struct.pack("<IIQ", rtype, 0, sector)
    segs = [(hdr[:4], False), (hdr[4:], False)] if split_header else [(hdr, False)]
    if out:
        segs.append((out, False))
    if data_in:
        segs.append((data_in, True))
    segs.append((1, True))
    head, bufs = drv.submit(segs, indirect=indirect)
    used = drv.pop_used()
    assert used is not None and used[0] == head
    status = drv.mem_read(bufs[-1][0], 1)[0]
    data = drv.mem_read(bufs[-2][0], data_in) if data_in else b""
    drv.ack()
    return status, data, used[1]


# ---- identity, features, config -----------------------------------------------------------------

def test_xv6_probe_sequence(image):
    with DiskImage(image) as disk:
        dev, drv, irq, blk = make(disk, clear=None)
        assert drv.r32(REG_MAGIC_VALUE) == 0x74726976
        assert drv.r32(REG_VERSION) == 2
        assert drv.r32(REG_DEVICE_ID) == 2
        assert drv.r32(REG_VENDOR_ID) == 0x554D4551
        f = drv.device_features()
        assert f & VIRTIO_BLK_F_FLUSH and f & F_VERSION_1
        assert not f & (VIRTIO_BLK_F_RO | F_EVENT_IDX | VIRTIO_BLK_F_MQ | VIRTIO_BLK_F_CONFIG_WCE)
        drv.init(clear=XV6_CLEAR)
        assert dev.features == F_VERSION_1 | VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_SEG_MAX \
            | VIRTIO_BLK_F_BLK_SIZE
        assert blk.writeback


@pytest.mark.parametrize("clear_flush", [False, True])
def test_xv6_exact_init_and_rw(clear_flush):
    """xv6-riscv's virtio_disk_init and virtio_disk_rw, register write for register write: it
    never touches the feature-select registers, so it never accepts VERSION_1 (bit 32)."""
    from rvemu.devices.virtio_mmio import (
        REG_DRIVER_FEATURES, REG_DEVICE_FEATURES, REG_QUEUE_DESC_HIGH, REG_QUEUE_DESC_LOW,
        REG_QUEUE_DEVICE_HIGH, REG_QUEUE_DEVICE_LOW, REG_QUEUE_DRIVER_HIGH,
        REG_QUEUE_DRIVER_LOW, REG_QUEUE_NOTIFY, REG_QUEUE_NUM, REG_QUEUE_NUM_MAX,
        REG_QUEUE_READY, REG_QUEUE_SEL, REG_INTERRUPT_ACK, STATUS_ACKNOWLEDGE, STATUS_DRIVER,
        STATUS_DRIVER_OK, STATUS_FEATURES_OK)
    disk = MemoryDisk(pattern(0, 8))
    dev, drv, irq, blk = make(disk, clear=None)
    r, w = drv.r32, drv.w32
    assert (r(REG_MAGIC_VALUE), r(REG_VERSION), r(REG_DEVICE_ID), r(REG_VENDOR_ID)) == \
        (0x74726976, 2, 2, 0x554D4551)
    status = 0
    w(REG_STATUS, status)
    status |= STATUS_ACKNOWLEDGE
    w(REG_STATUS, status)
    status |= STATUS_DRIVER
    w(REG_STATUS, status)
    features = r(REG_DEVICE_FEATURES) & ~XV6_CLEAR
    if clear_flush:
        features &= ~VIRTIO_BLK_F_FLUSH
    w(REG_DRIVER_FEATURES, features)
    status |= STATUS_FEATURES_OK
    w(REG_STATUS, status)
    assert r(REG_STATUS) & STATUS_FEATURES_OK
    w(REG_QUEUE_SEL, 0)
    assert r(REG_QUEUE_READY) == 0 and r(REG_QUEUE_NUM_MAX) >= 8
    w(REG_QUEUE_NUM, 8)
    for lo, hi, addr in ((REG_QUEUE_DESC_LOW, REG_QUEUE_DESC_HIGH, drv.desc),
                         (REG_QUEUE_DRIVER_LOW, REG_QUEUE_DRIVER_HIGH, drv.avail),
                         (REG_QUEUE_DEVICE_LOW, REG_QUEUE_DEVICE_HIGH, drv.used)):
        w(lo, addr & 0xFFFFFFFF)
        w(hi, addr >> 32)
    w(REG_QUEUE_READY, 1)
    status |= STATUS_DRIVER_OK
    w(REG_STATUS, status)
    assert blk.writeback == (not clear_flush)
    # virtio_disk_rw: descriptors 0, 1, 2 = header, 1024-byte block, status byte
    for write, blockno in ((True, 1), (False, 1), (False, 2)):
        req = drv.alloc(16)
        data = drv.alloc(1024)
        st = drv.alloc(1)
        drv.mem_write(req, struct.pack("<IIQ", int(write), 0, blockno * 2))
        if write:
            drv.mem_write(data, b"\x5a" * 1024)
        drv.mem_write(st, b"\xff")
        drv.write_desc(0, req, 16, VIRTQ_DESC_F_NEXT, 1)
        drv.write_desc(1, data, 1024, (0 if write else VIRTQ_DESC_F_WRITE) | VIRTQ_DESC_F_NEXT, 2)
        drv.write_desc(2, st, 1, VIRTQ_DESC_F_WRITE, 0)
        drv.make_available(0)
        w(REG_QUEUE_NOTIFY, 0)
        assert irq.level                                # virtio_disk_intr
        w(REG_INTERRUPT_ACK, r(REG_INTERRUPT_STATUS) & 0x3)
        assert not irq.level
        assert drv.pop_used()[0] == 0
        assert drv.mem_read(st, 1) == b"\0"
        if not write:
            expect = b"\x5a" * 1024 if blockno == 1 else pattern(4, 2)
            assert drv.mem_read(data, 1024) == expect
    assert disk.data[1024:2048] == b"\x5a" * 1024
    assert not dev.errors


def test_writethrough_fsync_can_be_disabled():
    disk = MemoryDisk(4096)
    dev, drv, irq, blk = make(disk, clear=XV6_CLEAR | VIRTIO_BLK_F_FLUSH, writethrough_fsync=False)
    n = disk.flushes
    assert request(drv, VIRTIO_BLK_T_OUT, 0, out=b"a" * 512)[0] == VIRTIO_BLK_S_OK
    assert disk.flushes == n and disk.data[:512] == b"a" * 512


def test_config_space(image):
    with DiskImage(image) as disk:
        dev, drv, irq, blk = make(disk, clear=None)
        assert dev.read(0x100, 4) == SECTORS and dev.read(0x104, 4) == 0
        assert dev.read(0x100, 8) == SECTORS
        assert dev.read(0x10C, 4) == 126                # seg_max = queue size - 2
        assert dev.read(0x114, 4) == 512                # blk_size
        assert dev.read(0x120, 1) == 0                  # writeback
        assert dev.read(0x160, 4) == 0xFFFFFFFF         # past the layout: all-ones (QEMU)
        assert dev.read(0x15F, 2) == 0xFFFF             # straddling its end too
        dev.write(0x100, 4, 1)                          # read-only: ignored
        assert dev.read(0x100, 8) == SECTORS


def test_read_only_offers_ro(image):
    with DiskImage(image, readonly=True) as disk:
        dev, drv, irq, blk = make(disk, clear=None)
        assert drv.device_features() & VIRTIO_BLK_F_RO
    dev, drv, irq, blk = make(MemoryDisk(4096), clear=None, readonly=True)
    assert drv.device_features() & VIRTIO_BLK_F_RO


# ---- reads and writes ---------------------------------------------------------------------------

def test_read_sectors(image):
    with DiskImage(image) as disk:
        dev, drv, irq, blk = make(disk)
        status, data, used = request(drv, VIRTIO_BLK_T_IN, 5, data_in=1024)
        assert status == VIRTIO_BLK_S_OK and data == pattern(5, 2) and used == 1025
        assert irq.history == [True, False]


def test_write_reaches_the_image_file(image):
    with DiskImage(image) as disk:
        dev, drv, irq, blk = make(disk)
        payload = bytes(range(256)) * 4
        status, _, used = request(drv, VIRTIO_BLK_T_OUT, 7, out=payload)
        assert status == VIRTIO_BLK_S_OK and used == 1
        raw = image.read_bytes()                        # visible before flush or close
        assert raw[7 * 512:9 * 512] == payload
        assert raw[:7 * 512] == pattern(0, 7) and raw[9 * 512:] == pattern(9, SECTORS - 9)
        status, data, _ = request(drv, VIRTIO_BLK_T_IN, 7, data_in=1024)
        assert data == payload
    assert DiskImage(image).read(7, 2) == payload


def test_last_sector_ok_and_past_capacity_is_ioerr(image):
    with DiskImage(image) as disk:
        dev, drv, irq, blk = make(disk)
        status, data, _ = request(drv, VIRTIO_BLK_T_IN, SECTORS - 1, data_in=512)
        assert status == VIRTIO_BLK_S_OK and data == pattern(SECTORS - 1)
        status, data, used = request(drv, VIRTIO_BLK_T_IN, SECTORS - 1, data_in=1024)
        assert status == VIRTIO_BLK_S_IOERR and used == 0
        assert data == b"\xee" * 1024                   # nothing written into the buffer
        status, data, _ = request(drv, VIRTIO_BLK_T_IN, 1 << 63, data_in=512)
        assert status == VIRTIO_BLK_S_IOERR
        before = image.read_bytes()
        status, _, _ = request(drv, VIRTIO_BLK_T_OUT, SECTORS, out=b"x" * 512)
        assert status == VIRTIO_BLK_S_IOERR
        assert image.read_bytes() == before
        # the queue keeps running
        status, data, _ = request(drv, VIRTIO_BLK_T_IN, 0, data_in=512)
        assert status == VIRTIO_BLK_S_OK and data == pattern(0)
        assert not drv.status & STATUS_DEVICE_NEEDS_RESET
        assert blk.stats["ioerr"] == 3


def test_write_to_read_only_disk_is_ioerr(image):
    before = image.read_bytes()
    with DiskImage(image, readonly=True) as disk:
        dev, drv, irq, blk = make(disk)
        status, _, _ = request(drv, VIRTIO_BLK_T_OUT, 0, out=b"y" * 512)
        assert status == VIRTIO_BLK_S_IOERR
        status, data, _ = request(drv, VIRTIO_BLK_T_IN, 0, data_in=512)
        assert status == VIRTIO_BLK_S_OK and data == pattern(0)
    assert image.read_bytes() == before


def test_scatter_gather_and_split_header():
    disk = MemoryDisk(pattern(0, 8))
    dev, drv, irq, blk = make(disk)
    hdr = struct.pack("<IIQ", VIRTIO_BLK_T_IN, 0, 2)
    head, bufs = drv.submit([(hdr[:3], False), (hdr[3:], False), (100, True), (900, True),
                             (24, True), (1, True)])
    assert drv.pop_used() == (head, 1025)
    got = b"".join(drv.mem_read(a, n) for a, n in bufs[2:5])
    assert got == pattern(2, 2) and drv.mem_read(bufs[5][0], 1) == b"\0"
    # data and status in one writable buffer
    head, bufs = drv.submit([(hdr, False), (513, True)])
    assert drv.pop_used() == (head, 513)
    assert drv.mem_read(bufs[1][0], 513) == pattern(2) + b"\0"
    # OUT with the header split over two buffers
    status, _, _ = request(drv, VIRTIO_BLK_T_OUT, 1, out=b"z" * 512, split_header=True)
    assert status == VIRTIO_BLK_S_OK and disk.data[512:1024] == b"z" * 512


def test_indirect_requests_like_linux():
    disk = MemoryDisk(pattern(0, 8))
    dev, drv, irq, blk = make(disk, clear=F_EVENT_IDX)
    status, data, used = request(drv, VIRTIO_BLK_T_IN, 3, data_in=512, indirect=True)
    assert status == VIRTIO_BLK_S_OK and data == pattern(3) and used == 513
    status, _, _ = request(drv, VIRTIO_BLK_T_OUT, 4, out=b"q" * 512, indirect=True)
    assert status == VIRTIO_BLK_S_OK and disk.data[4 * 512:5 * 512] == b"q" * 512


# ---- flush, GET_ID, unsupported -----------------------------------------------------------------

def test_flush_fsyncs_the_image(image, monkeypatch):
    calls = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real(fd)))
    with DiskImage(image) as disk:
        dev, drv, irq, blk = make(disk)
        calls.clear()
        request(drv, VIRTIO_BLK_T_OUT, 0, out=b"a" * 512)
        assert calls == []                              # FLUSH negotiated: writeback
        status, _, used = request(drv, VIRTIO_BLK_T_FLUSH)
        assert status == VIRTIO_BLK_S_OK and used == 1 and len(calls) == 1
        assert blk.stats["flushes"] == 1


def test_writethrough_without_flush_feature():
    disk = MemoryDisk(4096)
    dev, drv, irq, blk = make(disk, clear=XV6_CLEAR | VIRTIO_BLK_F_FLUSH)
    assert not blk.writeback
    n = disk.flushes
    request(drv, VIRTIO_BLK_T_OUT, 0, out=b"a" * 512)
    assert disk.flushes == n + 1


def test_get_id():
    dev, drv, irq, blk = make(MemoryDisk(4096), ident="disk-0")
    status, data, used = request(drv, VIRTIO_BLK_T_GET_ID, data_in=20)
    assert status == VIRTIO_BLK_S_OK and data == b"disk-0".ljust(20, b"\0") and used == 21
    status, data, used = request(drv, VIRTIO_BLK_T_GET_ID, data_in=4)
    assert status == VIRTIO_BLK_S_OK and data == b"disk" and used == 5
    status, data, used = request(drv, VIRTIO_BLK_T_GET_ID, data_in=32)
    assert status == VIRTIO_BLK_S_OK and data[:20] == b"disk-0".ljust(20, b"\0")
    assert used == 20                                   # the status is not in the prefix
    long_id = VirtioBlk(MemoryDisk(512), ident=b"x" * 30)
    assert long_id.ident == b"x" * 20


@pytest.mark.parametrize("rtype", [2, 5, 10, 11, 13, 14, 0x80000000, 0xFFFFFFFF])
def test_unsupported_types(rtype):
    dev, drv, irq, blk = make(MemoryDisk(4096))
    status, _, used = request(drv, rtype)
    assert status == VIRTIO_BLK_S_UNSUPP and used == 1


# ---- malformed requests fail with IOERR and the queue keeps going ------------------------------

def hdr(rtype, sector=0):
    return struct.pack("<IIQ", rtype, 0, sector)


@pytest.mark.parametrize("segments, used_len", [
    ([(b"\0" * 8, False), (1, True)], 1),                               # short header
    ([(hdr(VIRTIO_BLK_T_IN), False), (b"x" * 512, False), (513, True)], 0),  # readable IN data
    ([(hdr(VIRTIO_BLK_T_OUT), False), (512, True), (1, True)], 0),      # writable OUT data
    ([(hdr(VIRTIO_BLK_T_OUT), False), (b"x" * 100, False), (1, True)], 1),  # not 512-multiple
    ([(hdr(VIRTIO_BLK_T_IN), False), (100, True), (1, True)], 0),       # not 512-multiple
    ([(hdr(VIRTIO_BLK_T_FLUSH), False), (8, True), (1, True)], 0),      # writable FLUSH data
    ([(hdr(VIRTIO_BLK_T_GET_ID), False), (1, True)], 1),                # no room for the ID
    ([(hdr(VIRTIO_BLK_T_GET_ID), False), (b"x", False), (21, True)], 0),  # readable ID data
])
def test_malformed_requests_are_ioerr(segments, used_len):
    disk = MemoryDisk(pattern(0, 8))
    dev, drv, irq, blk = make(disk)
    head, bufs = drv.submit(segments)
    assert drv.pop_used() == (head, used_len)
    last_addr, last_len = bufs[-1]
    assert drv.mem_read(last_addr + last_len - 1, 1)[0] == VIRTIO_BLK_S_IOERR
    assert disk.data == pattern(0, 8)
    assert not drv.status & STATUS_DEVICE_NEEDS_RESET
    status, data, _ = request(drv, VIRTIO_BLK_T_IN, 1, data_in=512)
    assert status == VIRTIO_BLK_S_OK and data == pattern(1)


def test_request_without_status_byte_is_returned_unused():
    dev, drv, irq, blk = make(MemoryDisk(4096))
    head, _ = drv.submit([(hdr(VIRTIO_BLK_T_FLUSH), False)])
    assert drv.pop_used() == (head, 0)
    assert blk.stats["no_status"] == 1
    status, _, _ = request(drv, VIRTIO_BLK_T_FLUSH)
    assert status == VIRTIO_BLK_S_OK


def test_zero_length_data_descriptor_is_ignored():
    disk = MemoryDisk(pattern(0, 4))
    dev, drv, irq, blk = make(disk)
    head, bufs = drv.submit([(hdr(VIRTIO_BLK_T_IN, 1), False), (0, True), (512, True),
                             (1, True)])
    assert drv.pop_used() == (head, 513)
    assert drv.mem_read(bufs[2][0], 512) == pattern(1)


def test_backend_errors_are_ioerr():
    class Failing(MemoryDisk):
        def read(self, sector, count):
            raise OSError("disk on fire")

        def write(self, sector, data):
            raise OSError("disk on fire")

        def readv(self, sector, buffers):
            raise OSError("disk on fire")

        def writev(self, sector, buffers):
            raise OSError("disk on fire")

        def flush(self):
            raise OSError("disk on fire")
    dev, drv, irq, blk = make(Failing(4096))
    for rtype, kw in ((VIRTIO_BLK_T_IN, dict(data_in=512)),
                      (VIRTIO_BLK_T_OUT, dict(out=b"x" * 512)), (VIRTIO_BLK_T_FLUSH, {})):
        status, _, _ = request(drv, rtype, **kw)
        assert status == VIRTIO_BLK_S_IOERR
    dev.write(REG_STATUS, 4, 0)                         # reset flushes; errors swallowed


def test_descriptor_loop_with_blk_needs_reset_then_recovers():
    disk = MemoryDisk(pattern(0, 4))
    dev, drv, irq, blk = make(disk)
    a, _ = drv.buffer(hdr(VIRTIO_BLK_T_IN), False)
    drv.write_desc(0, a, 16, VIRTQ_DESC_F_NEXT, 1)
    drv.write_desc(1, a, 16, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 0)
    drv.make_available(0)
    drv.notify()
    assert drv.status & STATUS_DEVICE_NEEDS_RESET and irq.level
    assert drv.used_idx() == 0
    flushes = disk.flushes
    # the driver resets and starts over on fresh rings
    drv.mem_write(drv.avail, bytes(64))
    drv.mem_write(drv.used, bytes(128))
    drv2 = Driver(dev, drv.core)
    drv2.init(clear=XV6_CLEAR)
    assert disk.flushes == flushes + 1                  # reset flushed
    status, data, _ = request(drv2, VIRTIO_BLK_T_IN, 2, data_in=512)
    assert status == VIRTIO_BLK_S_OK and data == pattern(2)


def test_many_requests_through_the_ring():
    disk = MemoryDisk(SECTORS * 512)
    dev, drv, irq, blk = make(disk)
    for i in range(40):
        assert request(drv, VIRTIO_BLK_T_OUT, i, out=pattern(i * 3))[0] == VIRTIO_BLK_S_OK
    for i in range(40):
        assert request(drv, VIRTIO_BLK_T_IN, i, data_in=512)[1] == pattern(i * 3)
    assert blk.stats["writes"] == 40 and blk.stats["reads"] == 40


def test_no_interrupt_until_ack_semantics():
    dev, drv, irq, blk = make(MemoryDisk(4096))
    head, _ = drv.submit([(hdr(VIRTIO_BLK_T_FLUSH), False), (1, True)])
    head2, _ = drv.submit([(hdr(VIRTIO_BLK_T_FLUSH), False), (1, True)])
    assert irq.history == [True]                        # stays high until acknowledged
    assert drv.r32(REG_INTERRUPT_STATUS) == INT_USED_BUFFER
    drv.ack()
    assert irq.history == [True, False]


# ---- backends -----------------------------------------------------------------------------------

def test_disk_image_basics(image):
    with DiskImage(image) as disk:
        assert disk.capacity == SECTORS and not disk.readonly
        assert disk.read(3, 2) == pattern(3, 2)
        disk.write(3, b"\1" * 512)
        assert disk.read(3, 1) == b"\1" * 512
        disk.flush()
        with pytest.raises(ValueError):
            disk.read(SECTORS, 1)
        with pytest.raises(ValueError):
            disk.write(SECTORS - 1, b"\0" * 1024)
        with pytest.raises(ValueError):
            disk.write(0, b"\0" * 100)
        with pytest.raises(ValueError):
            disk.read(-1, 1)
    assert disk.closed
    disk.close()                                        # idempotent


def test_disk_image_size_must_be_sector_multiple(tmp_path):
    path = tmp_path / "odd.img"
    path.write_bytes(b"\0" * 1000)
    with pytest.raises(ValueError, match="multiple of 512"):
        DiskImage(path)


def test_disk_image_readonly(image):
    with DiskImage(image, readonly=True) as disk:
        with pytest.raises(PermissionError):
            disk.write(0, b"\0" * 512)
        disk.flush()


def test_memory_disk():
    disk = MemoryDisk(pattern(0, 2))
    assert disk.capacity == 2 and disk.read(1, 1) == pattern(1)
    disk.write(0, b"\2" * 512)
    assert disk.data[:512] == b"\2" * 512
    with pytest.raises(ValueError):
        MemoryDisk(100)
    with pytest.raises(PermissionError):
        MemoryDisk(512, readonly=True).write(0, b"\0" * 512)
    assert isinstance(open_disk(None, size=1024), MemoryDisk)


def test_open_disk_path(image):
    with open_disk(image) as disk:
        assert isinstance(disk, DiskImage) and disk.capacity == SECTORS


# ---- huge requests: streamed between the image file and guest RAM, bounded by a limit ----------

BIG_RAM_BASE = 0x8000_0000


def big_rig(tmp_path, ram_bytes, disk_bytes, **blk_kwargs):
    """A driver over a sparse image file of disk_bytes, with ram_bytes of fake RAM."""
    path = tmp_path / "big.img"
    with open(path, "wb") as f:
        f.truncate(disk_bytes)
    core = FakeCore(size=ram_bytes)
    disk = DiskImage(path)
    blk = VirtioBlk(disk, **blk_kwargs)
    dev = VirtioMmio(blk, Irq(), DmaPort(core))
    drv = Driver(dev, core, num=16)
    drv.init(clear=XV6_CLEAR)
    return path, core, drv, blk


def raw_request(drv, rtype, sector, buffers):
    """One request whose data buffers are (addr, len, writable) placed by the caller; the
    header gets its own buffer, the status byte is the last byte of the last buffer.
    Returns (used element, peak bytes the host allocated while serving it)."""
    hdr = drv.alloc(16)
    drv.mem_write(hdr, struct.pack("<IIQ", rtype, 0, sector))
    descs = [(hdr, 16, 0)] + [(a, n, VIRTQ_DESC_F_WRITE if w else 0) for a, n, w in buffers]
    for i, (addr, n, flags) in enumerate(descs):
        last = i == len(descs) - 1
        drv.write_desc(i, addr, n, flags | (0 if last else VIRTQ_DESC_F_NEXT), i + 1)
    drv.make_available(0)
    tracemalloc.start()
    try:
        drv.notify()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return drv.pop_used(), peak


HUGE = 16 << 20                         # one request's data: 16 MiB in two descriptors


def test_huge_read_streams_into_ram_without_host_copies(tmp_path):
    path, core, drv, blk = big_rig(tmp_path, HUGE + (2 << 20), HUGE + (1 << 20))
    with open(path, "r+b") as f:        # markers at both ends of the two halves
        for pos, mark in ((0, b"head"), (HUGE // 2 - 4, b"mid1"), (HUGE // 2, b"mid2"),
                          (HUGE - 4, b"tail")):
            f.seek(pos)
            f.write(mark)
    data = BIG_RAM_BASE + (1 << 20)
    half = HUGE // 2
    used, peak = raw_request(drv, VIRTIO_BLK_T_IN, 0, [(data, half, True),
                                                      (data + half, half, True),
                                                      (drv.alloc(1), 1, True)])
    assert used == (0, HUGE + 1)
    assert peak < (1 << 20), f"host allocated {peak} bytes for a {HUGE}-byte read"
    for off, mark in ((0, b"head"), (half - 4, b"mid1"), (half, b"mid2"), (HUGE - 4, b"tail")):
        assert drv.mem_read(data + off, 4) == mark
    assert (data, half) in core.dma_stores and (data + half, half) in core.dma_stores
    assert blk.stats["bytes_read"] == HUGE


def test_huge_write_streams_from_ram_without_host_copies(tmp_path):
    path, core, drv, blk = big_rig(tmp_path, HUGE + (2 << 20), HUGE + (1 << 20))
    data = BIG_RAM_BASE + (1 << 20)
    half = HUGE // 2
    drv.mem_write(data, b"head")
    drv.mem_write(data + HUGE - 4, b"tail")
    used, peak = raw_request(drv, VIRTIO_BLK_T_OUT, 2, [(data, half, False),
                                                       (data + half, half, False),
                                                       (drv.alloc(1), 1, True)])
    assert used[1] == 1 and drv.mem_read(drv.heap - 1, 1) == b"\0"
    assert peak < (1 << 20), f"host allocated {peak} bytes for a {HUGE}-byte write"
    with open(path, "rb") as f:
        f.seek(2 * SECTOR_SIZE)
        assert f.read(4) == b"head"
        f.seek(2 * SECTOR_SIZE + HUGE - 4)
        assert f.read(4) == b"tail"


@pytest.mark.parametrize("writable", [True, False], ids=["IN", "OUT"])
def test_request_over_the_limit_is_ioerr_and_moves_nothing(tmp_path, writable):
    """The issue's request: 10 descriptors each covering all of guest RAM (40 MiB of data with
    4 MiB of RAM).  It gets IOERR at once; neither RAM nor the image changes."""
    ram = 4 << 20
    path, core, drv, blk = big_rig(tmp_path, ram, 64 << 20)
    assert blk.max_request_bytes == 32 << 20
    before = bytes(core.mem)
    rtype = VIRTIO_BLK_T_IN if writable else VIRTIO_BLK_T_OUT
    bufs = [(BIG_RAM_BASE, ram, writable)] * 10
    status_at = BIG_RAM_BASE + ram - 1
    if not writable:
        status_at = drv.alloc(1)
        bufs.append((status_at, 1, True))
    used, peak = raw_request(drv, rtype, 0, bufs)
    assert core.mem[status_at - BIG_RAM_BASE] == VIRTIO_BLK_S_IOERR
    assert used == (0, 0 if writable else 1)        # used length: just the status of an OUT
    assert peak < (1 << 20)
    assert blk.stats["ioerr"] == 1 and blk.stats["bytes_read"] == blk.stats["bytes_written"] == 0
    changed = [i for i in range(0, ram, 4096) if core.mem[i:i + 4096] != before[i:i + 4096]]
    ring_pages = {0x1000, 0x2000, 0x3000, (drv.heap - BIG_RAM_BASE) & ~0xFFF,
                  (status_at - BIG_RAM_BASE) & ~0xFFF}
    assert set(changed) <= ring_pages
    assert os.path.getsize(path) == 64 << 20 and not path.read_bytes().strip(b"\0")


def test_request_at_the_limit_is_served(tmp_path):
    path, core, drv, blk = big_rig(tmp_path, 4 << 20, 4 << 20, max_request_bytes=1 << 20)
    data = BIG_RAM_BASE + (1 << 20)
    used, _ = raw_request(drv, VIRTIO_BLK_T_IN, 0, [(data, 1 << 20, True),
                                                    (drv.alloc(1), 1, True)])
    assert used == (0, (1 << 20) + 1)
    status = drv.alloc(1)
    used, _ = raw_request(drv, VIRTIO_BLK_T_IN, 0, [(data, (1 << 20) + 512, True),
                                                    (status, 1, True)])
    assert used == (0, 0) and drv.mem_read(status, 1)[0] == VIRTIO_BLK_S_IOERR
    with pytest.raises(ValueError):
        VirtioBlk(MemoryDisk(4096), max_request_bytes=100)


def test_dma_view_writes_keep_decoded_code_coherent():
    """Stores through DmaPort.view() are reported with written(): code decoded from that RAM
    is dropped, as for write_phys."""
    from rvemu import Machine
    m = Machine(ram_mib=1)
    code = struct.pack("<4I", *([0x00128293] * 4))           # addi t0, t0, 1
    m.write_phys(BIG_RAM_BASE, code + struct.pack("<I", 0x0000006F))   # then j .
    m.harts[0].pc = BIG_RAM_BASE
    m.harts[0].priv = 3
    m.run(max_instructions=8)
    assert m.core.decoded_slots(BIG_RAM_BASE) >= 4
    dma = DmaPort(m.core)
    dma.view(BIG_RAM_BASE, 16)[:] = bytes(16)
    dma.written(BIG_RAM_BASE, 16)
    assert m.core.decoded_slots(BIG_RAM_BASE) < 4
    with pytest.raises(Exception):
        dma.view(BIG_RAM_BASE - 16, 32)


def test_disk_image_vectored_io_survives_short_transfers(image, monkeypatch):
    """readv/writev go on after a partial preadv/pwritev (as the OS may return), across buffer
    boundaries and in batches of at most IOV_MAX buffers."""
    from rvemu.devices import backends
    real_r, real_w = backends._preadv, backends._pwritev
    calls = []

    def short_read(fd, views, pos):
        calls.append(len(views))
        return real_r(fd, [views[0][:100]], pos)

    def short_write(fd, views, pos):
        calls.append(len(views))
        return real_w(fd, [views[0][:100]], pos)

    monkeypatch.setattr(backends, "_preadv", short_read)
    monkeypatch.setattr(backends, "_pwritev", short_write)
    monkeypatch.setattr(backends, "IOV_MAX", 2)
    with DiskImage(image) as disk:
        bufs = [bytearray(n) for n in (300, 1, 211, 512)]
        disk.readv(1, [memoryview(b) for b in bufs])
        assert b"".join(bufs) == pattern(1, 2)
        assert max(calls) <= 2
        disk.writev(5, [memoryview(b"a" * 700), memoryview(b"b" * 324)])
        assert disk.read(5, 2) == b"a" * 700 + b"b" * 324
        with pytest.raises(ValueError):
            disk.readv(0, [bytearray(100)])                 # not whole sectors
        with pytest.raises(ValueError):
            disk.writev(SECTORS - 1, [b"x" * 1024])           # past the end
