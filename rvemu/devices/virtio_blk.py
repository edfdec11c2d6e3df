"""virtio block device (device ID 2), written from the OASIS VIRTIO 1.1/1.2 specification,
section 5.2.  Plug it into the transport: VirtioMmio(VirtioBlk(DiskImage(path)), irq, dma).

Owns: the request protocol of the block device over its single request queue, the block
configuration space and the block feature bits.  Storage is a backend from
rvemu.devices.backends (DiskImage, MemoryDisk).

Features offered: VIRTIO_BLK_F_FLUSH (9), VIRTIO_BLK_F_SEG_MAX (2, seg_max = queue size - 2),
VIRTIO_BLK_F_BLK_SIZE (6, blk_size = 512) and VIRTIO_BLK_F_RO (5) when read-only; the
transport adds VERSION_1 and INDIRECT_DESC.

Configuration space (from 0x100): capacity u64 at 0x00 (512-byte sectors), size_max u32 at
0x08 (0, not offered), seg_max u32 at 0x0c, geometry at 0x10 (0), blk_size u32 at 0x14, topology
at 0x18 (0), writeback u8 at 0x20 (0), the rest 0.  Reads of any width at any offset return the
little-endian bytes there (0 past the end); writes are ignored (nothing is writable without
CONFIG_WCE, which is not offered).

Requests (any descriptor layout: the header, data and status are found by byte position, not by
descriptor boundaries):  device-readable  type u32, reserved u32, sector u64  [data for OUT]
                         device-writable  [data for IN / GET_ID]  status u8 (the last byte)

  IN (0)       read len/512 sectors at `sector` into the writable data
  OUT (1)      write the readable data to `sector`
  FLUSH (4)    make completed writes stable (fsync)
  GET_ID (8)   the ID string, NUL-padded to 20 bytes (truncated to the data area if shorter)
  anything else: status UNSUPP (2)

Failures get status IOERR (1) and the queue keeps running:
  * a header shorter than 16 bytes;
  * data in the wrong direction: readable bytes after the header of an IN or GET_ID, or
    writable bytes before the status of an OUT or FLUSH;
  * an IN/OUT data length that is not a multiple of 512, or a sector range past capacity;
  * an IN/OUT data length over max_request_bytes (MAX_REQUEST_BYTES, 32 MiB, by default): no
    driver needs more in one request (Linux caps a request at a few MiB; xv6 moves one block),
    and a guest that asks for more (say 10 descriptors each covering all of RAM) gets IOERR
    at once, with nothing read or written;
  * OUT on a read-only disk (no data is written, spec 5.2.6.2);
  * a GET_ID without room for any ID byte;
  * an error from the backend (OSError).
  A chain with no writable byte at all has nowhere for a status: it is returned unused
  (used length 0) and counted in stats["no_status"].

Used length: the number of bytes written from the start of the writable area, as the spec
defines it (2.7.8, "MUST write at least len bytes ... beginning at the first device-writable
buffer").  A successful IN or GET_ID returns data + status; OUT and FLUSH return 1 (the status
byte); a failed IN writes only the status byte, which is not at the start, so it returns 0 (the
spec allows an underestimate; drivers look at the status byte anyway).

Data moves straight between the image file and guest RAM (preadv/pwritev on memoryviews of
the guest buffers, DmaPort.view): the host allocates nothing per byte of a request, so its
memory use does not depend on the request's size.  Every buffer was checked to lie in RAM when
the transport walked the chain (a buffer outside RAM puts the device in DEVICE_NEEDS_RESET
instead), so DMA never reaches device windows or host memory.

Durability (spec 5.2.6.2): the backend writes straight to the image file, so completed writes
survive the emulator process in any case.  If the driver negotiates FLUSH, writes may be volatile
(not fsynced) until a FLUSH request, which fsyncs.  If it does not (some xv6 variants clear FLUSH),
the spec wants every OUT stable before it completes, so each OUT is followed by an fsync (about
0.4 ms on ext4 here); VirtioBlk(..., writethrough_fsync=False) drops that and trades host-crash
safety for speed.  A device reset also flushes.
"""

from __future__ import annotations

import logging
import struct
from typing import Optional, Union

from .backends import SECTOR_SIZE
from .virtio_mmio import Chain, VirtioDevice

log = logging.getLogger("rvemu.virtio")

DEVICE_ID = 2

# feature bits (spec 5.2.3)
VIRTIO_BLK_F_SIZE_MAX = 1 << 1
VIRTIO_BLK_F_SEG_MAX = 1 << 2
VIRTIO_BLK_F_GEOMETRY = 1 << 4
VIRTIO_BLK_F_RO = 1 << 5
VIRTIO_BLK_F_BLK_SIZE = 1 << 6
VIRTIO_BLK_F_SCSI = 1 << 7
VIRTIO_BLK_F_FLUSH = 1 << 9
VIRTIO_BLK_F_TOPOLOGY = 1 << 10
VIRTIO_BLK_F_CONFIG_WCE = 1 << 11
VIRTIO_BLK_F_MQ = 1 << 12
VIRTIO_BLK_F_DISCARD = 1 << 13
VIRTIO_BLK_F_WRITE_ZEROES = 1 << 14

# request types (spec 5.2.6)
VIRTIO_BLK_T_IN = 0
VIRTIO_BLK_T_OUT = 1
VIRTIO_BLK_T_FLUSH = 4
VIRTIO_BLK_T_GET_ID = 8
VIRTIO_BLK_T_GET_LIFETIME = 10
VIRTIO_BLK_T_DISCARD = 11
VIRTIO_BLK_T_WRITE_ZEROES = 13
VIRTIO_BLK_T_SECURE_ERASE = 14

# status byte
VIRTIO_BLK_S_OK = 0
VIRTIO_BLK_S_IOERR = 1
VIRTIO_BLK_S_UNSUPP = 2

ID_BYTES = 20
MAX_REQUEST_BYTES = 32 << 20        # data of one IN/OUT request; larger ones get IOERR
HEADER = struct.Struct("<IIQ")      # type, reserved, sector

# configuration space offsets
CFG_CAPACITY = 0x00
CFG_SIZE_MAX = 0x08
CFG_SEG_MAX = 0x0C
CFG_BLK_SIZE = 0x14
CFG_WRITEBACK = 0x20
CONFIG_SIZE = 0x60


class VirtioBlk(VirtioDevice):
    """A virtio block device over a sector-store backend (see rvemu.devices.backends)."""

    device_id = DEVICE_ID
    num_queues = 1

    def __init__(self, backend, readonly: bool = False, queue_size: int = 128,
                 ident: Union[str, bytes] = b"rvemu-virtio-blk", writethrough_fsync: bool = True,
                 max_request_bytes: int = MAX_REQUEST_BYTES):
        if max_request_bytes < SECTOR_SIZE or max_request_bytes % SECTOR_SIZE:
            raise ValueError(f"max_request_bytes {max_request_bytes} must be a positive "
                             f"multiple of {SECTOR_SIZE}")
        self.max_request_bytes = max_request_bytes
        if queue_size < 4 or queue_size & (queue_size - 1) or queue_size > 32768:
            raise ValueError(f"queue_size {queue_size} must be a power of two in 4..32768")
        self.backend = backend
        self.readonly = bool(readonly or getattr(backend, "readonly", False))
        self.queue_size = queue_size
        if isinstance(ident, str):
            ident = ident.encode("ascii")
        self.ident = bytes(ident[:ID_BYTES])
        self.writeback = False      # FLUSH negotiated: writes stable only after a FLUSH
        self.writethrough_fsync = writethrough_fsync
        self.stats = {"reads": 0, "writes": 0, "flushes": 0, "get_id": 0, "ioerr": 0,
                      "unsupp": 0, "no_status": 0, "bytes_read": 0, "bytes_written": 0}

    # ---- VirtioDevice interface -----------------------------------------------------------------
    @property
    def capacity(self) -> int:
        return self.backend.capacity

    def queue_num_max(self, index: int) -> int:
        return self.queue_size

    def features(self) -> int:
        f = VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE
        if self.readonly:
            f |= VIRTIO_BLK_F_RO
        return f

    def set_features(self, features: int) -> None:
        self.writeback = bool(features & VIRTIO_BLK_F_FLUSH)

    def reset(self) -> None:
        self.writeback = False
        self._flush_quietly()

    def config_bytes(self) -> bytes:
        cfg = bytearray(CONFIG_SIZE)
        struct.pack_into("<Q", cfg, CFG_CAPACITY, self.capacity)
        struct.pack_into("<I", cfg, CFG_SEG_MAX, self.queue_size - 2)
        struct.pack_into("<I", cfg, CFG_BLK_SIZE, SECTOR_SIZE)
        return bytes(cfg)

    def config_read(self, offset: int, size: int) -> int:
        """Configuration space; an access past its end reads all-ones, as on QEMU."""
        if offset < 0 or offset + size > CONFIG_SIZE:
            return (1 << (8 * size)) - 1
        return int.from_bytes(self.config_bytes()[offset:offset + size], "little")

    def config_write(self, offset: int, size: int, value: int) -> None:
        pass                        # nothing writable: CONFIG_WCE is not offered

    def close(self) -> None:
        self.backend.close()

    # ---- requests -------------------------------------------------------------------------------
    def handle_request(self, queue: int, chain: Chain) -> int:
        if chain.writable_len == 0:
            self.stats["no_status"] += 1
            log.info("virtio-blk: request at descriptor %d has no status byte", chain.head)
            return 0
        status_at = chain.writable_len - 1      # the status is the last writable byte
        if chain.readable_len < HEADER.size:
            return self._finish(chain, VIRTIO_BLK_S_IOERR, 0, "header shorter than 16 bytes")
        rtype, _reserved, sector = chain.unpack(HEADER)
        out_len = chain.readable_len - HEADER.size      # readable data after the header
        in_len = status_at                              # writable data before the status

        if rtype == VIRTIO_BLK_T_IN:
            if out_len:
                return self._finish(chain, VIRTIO_BLK_S_IOERR, 0, "IN with readable data")
            problem = self._check_range(sector, in_len)
            if problem:
                return self._finish(chain, VIRTIO_BLK_S_IOERR, 0, problem)
            try:
                self._read_into(chain, sector, in_len)
            except (OSError, ValueError) as e:
                return self._finish(chain, VIRTIO_BLK_S_IOERR, 0, f"backend read: {e}")
            self.stats["reads"] += 1
            self.stats["bytes_read"] += in_len
            return self._finish(chain, VIRTIO_BLK_S_OK, in_len)

        if rtype == VIRTIO_BLK_T_OUT:
            if in_len:
                return self._finish(chain, VIRTIO_BLK_S_IOERR, 0, "OUT with writable data")
            if self.readonly:
                return self._finish(chain, VIRTIO_BLK_S_IOERR, 0, "OUT on a read-only disk")
            problem = self._check_range(sector, out_len)
            if problem:
                return self._finish(chain, VIRTIO_BLK_S_IOERR, 0, problem)
            try:
                self.backend.writev(sector, chain.readable_views(HEADER.size, out_len))
                if not self.writeback and self.writethrough_fsync:
                    self.backend.flush()
            except (OSError, ValueError) as e:
                return self._finish(chain, VIRTIO_BLK_S_IOERR, 0, f"backend write: {e}")
            self.stats["writes"] += 1
            self.stats["bytes_written"] += out_len
            return self._finish(chain, VIRTIO_BLK_S_OK, 0)

        if rtype == VIRTIO_BLK_T_FLUSH:
            if in_len:
                return self._finish(chain, VIRTIO_BLK_S_IOERR, 0, "FLUSH with writable data")
            try:
                self.backend.flush()
            except OSError as e:
                return self._finish(chain, VIRTIO_BLK_S_IOERR, 0, f"backend flush: {e}")
            self.stats["flushes"] += 1
            return self._finish(chain, VIRTIO_BLK_S_OK, 0)

        if rtype == VIRTIO_BLK_T_GET_ID:
            if out_len or in_len == 0:
                return self._finish(chain, VIRTIO_BLK_S_IOERR, 0, "malformed GET_ID")
            n = min(in_len, ID_BYTES)
            chain.write(0, self.ident.ljust(ID_BYTES, b"\0")[:n])
            self.stats["get_id"] += 1
            return self._finish(chain, VIRTIO_BLK_S_OK, n)

        self.stats["unsupp"] += 1
        return self._finish(chain, VIRTIO_BLK_S_UNSUPP, 0)

    def _read_into(self, chain: Chain, sector: int, nbytes: int) -> None:
        """Read nbytes from `sector` straight into the chain's writable buffers."""
        views = chain.writable_views(0, nbytes)
        try:
            self.backend.readv(sector, views)
        finally:                                    # also after a partial read
            chain.written(0, nbytes)

    def _check_range(self, sector: int, nbytes: int) -> Optional[str]:
        if nbytes % SECTOR_SIZE:
            return f"data length {nbytes} is not a multiple of {SECTOR_SIZE}"
        if nbytes > self.max_request_bytes:
            return f"data length {nbytes} is over the limit of {self.max_request_bytes} bytes"
        if sector + nbytes // SECTOR_SIZE > self.capacity:
            return (f"sectors {sector}..{sector + nbytes // SECTOR_SIZE} past capacity "
                    f"{self.capacity}")
        return None

    def _finish(self, chain: Chain, status: int, data_written: int,
                problem: Optional[str] = None) -> int:
        """Write the status byte; return the used length (the written prefix)."""
        if problem is not None:
            self.stats["ioerr"] += 1
            log.info("virtio-blk: request at descriptor %d failed: %s", chain.head, problem)
        status_at = chain.writable_len - 1
        chain.write_last(status)
        return chain.writable_len if data_written == status_at else data_written

    def _flush_quietly(self) -> None:
        try:
            self.backend.flush()
        except (OSError, ValueError):
            pass

    def __repr__(self) -> str:
        return f"VirtioBlk({self.backend!r}{', ro' if self.readonly else ''})"
