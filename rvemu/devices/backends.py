"""Storage behind block devices: sector stores addressed in 512-byte sectors.

Owns:
  * DiskImage: a raw disk image file.  Reads and writes go straight to the file (no caching
    in rvemu), so whatever the guest writes is in the image once the request completes;
    flush() additionally fsyncs it to stable storage.
  * MemoryDisk: the same interface over a bytearray (tests, scratch disks).

The interface a block device relies on (BlockBackend):

    capacity   number of 512-byte sectors
    readonly   True if writes are refused
    read(sector, count) -> bytes        count sectors starting at sector
    write(sector, data)                 len(data) must be a multiple of 512
    readv(sector, buffers)              fill the writable buffers, in order, from `sector` on
    writev(sector, buffers)             write the buffers, in order, from `sector` on
    flush()                             make completed writes stable
    close()

readv/writev move data straight between the store and the caller's buffers (memoryviews of guest
RAM for virtio): the host holds no copy of the data, whatever the size of the transfer.  Each
buffer may have any length; their total must be a multiple of 512.

Out-of-range or misaligned requests raise ValueError, writes to a read-only store raise
PermissionError; I/O failures of the host surface as OSError.  The device checks ranges
itself and turns any of these into an I/O error status for the guest.
"""

from __future__ import annotations

import os
from typing import List, Optional, Protocol, Sequence, Tuple, Union

SECTOR_SIZE = 512
try:
    IOV_MAX = max(16, os.sysconf("SC_IOV_MAX"))
except (AttributeError, ValueError, OSError):
    IOV_MAX = 1024


class BlockBackend(Protocol):
    capacity: int
    readonly: bool

    def read(self, sector: int, count: int) -> bytes: ...

    def write(self, sector: int, data: bytes) -> None: ...

    def readv(self, sector: int, buffers: Sequence[memoryview]) -> None: ...

    def writev(self, sector: int, buffers: Sequence[memoryview]) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


def _views(buffers: Sequence) -> List[memoryview]:
    """The buffers as flat byte memoryviews, empty ones dropped."""
    out = []
    for b in buffers:
        v = b if type(b) is memoryview and b.format == "B" else memoryview(b).cast("B")
        if len(v):
            out.append(v)
    return out


def _advance(views: List[memoryview], n: int) -> List[memoryview]:
    """views without their first n bytes (after a partial preadv/pwritev)."""
    while n and views:
        if n >= len(views[0]):
            n -= len(views[0])
            views = views[1:]
        else:
            views = [views[0][n:]] + views[1:]
            n = 0
    return views


class _SectorStore:
    capacity = 0
    readonly = False

    def _check(self, sector: int, nbytes: int) -> None:
        if nbytes % SECTOR_SIZE:
            raise ValueError(f"transfer of {nbytes} bytes is not a multiple of {SECTOR_SIZE}")
        count = nbytes // SECTOR_SIZE
        if sector < 0 or count < 0 or sector + count > self.capacity:
            raise ValueError(f"sectors {sector}..{sector + count} outside a disk of "
                             f"{self.capacity} sectors")

    def _check_views(self, sector: int, buffers: Sequence) -> Tuple[List[memoryview], int]:
        """The buffers as byte views, and their total length (checked against the disk)."""
        views = _views(buffers)
        total = sum(len(v) for v in views)
        self._check(sector, total)
        return views, total

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        pass


class DiskImage(_SectorStore):
    """A raw disk image file; its size must be a whole number of 512-byte sectors."""

    def __init__(self, path: Union[str, os.PathLike], readonly: bool = False):
        self.path = os.fspath(path)
        self.readonly = bool(readonly)
        self._file = open(self.path, "rb" if self.readonly else "r+b", buffering=0)
        try:
            size = os.fstat(self._file.fileno()).st_size
            if size % SECTOR_SIZE:
                raise ValueError(f"{self.path}: size {size} is not a multiple of "
                                 f"{SECTOR_SIZE} bytes")
        except BaseException:
            self._file.close()
            raise
        self.capacity = size // SECTOR_SIZE
        self.flushes = 0

    @property
    def closed(self) -> bool:
        return self._file.closed

    def read(self, sector: int, count: int) -> bytes:
        self._check(sector, count * SECTOR_SIZE)
        want = count * SECTOR_SIZE
        self._file.seek(sector * SECTOR_SIZE)
        buf = bytearray(want)
        view = memoryview(buf)
        got = 0
        while got < want:
            n = self._file.readinto(view[got:])
            if not n:
                raise OSError(f"{self.path}: short read at sector {sector} "
                              f"(file shrank under us?)")
            got += n
        return bytes(buf)

    def readv(self, sector: int, buffers: Sequence) -> None:
        self._transfer(_preadv, sector, buffers, "short read at byte {} (file shrank under us?)")

    def writev(self, sector: int, buffers: Sequence) -> None:
        if self.readonly:
            raise PermissionError(f"{self.path} is read-only")
        self._transfer(_pwritev, sector, buffers, "write made no progress at byte {}")

    def _transfer(self, vector_io, sector: int, buffers: Sequence, stalled: str) -> None:
        """preadv/pwritev the buffers at sector, IOV_MAX at a time, resuming after short
        transfers; OSError(stalled) when one moves nothing."""
        views, left = self._check_views(sector, buffers)
        pos = sector * SECTOR_SIZE
        fd = self._file.fileno()
        while left:
            n = vector_io(fd, views[:IOV_MAX], pos)
            if not n:
                raise OSError(f"{self.path}: " + stalled.format(pos))
            pos += n
            left -= n
            if left:
                views = _advance(views, n)

    def write(self, sector: int, data: bytes) -> None:
        if self.readonly:
            raise PermissionError(f"{self.path} is read-only")
        self._check(sector, len(data))
        self._file.seek(sector * SECTOR_SIZE)
        view = memoryview(data)
        done = 0
        while done < len(view):
            n = self._file.write(view[done:])
            if not n:
                raise OSError(f"{self.path}: write made no progress at sector {sector}")
            done += n

    def flush(self) -> None:
        if not self.readonly:
            os.fsync(self._file.fileno())
        self.flushes += 1

    def close(self) -> None:
        if not self._file.closed:
            try:
                if not self.readonly:
                    os.fsync(self._file.fileno())
            finally:
                self._file.close()

    def __repr__(self) -> str:
        mode = "ro" if self.readonly else "rw"
        return f"DiskImage({self.path!r}, {self.capacity} sectors, {mode})"


class MemoryDisk(_SectorStore):
    """A disk held in a bytearray: MemoryDisk(n_bytes) zero-filled, or MemoryDisk(content)."""

    def __init__(self, content: Union[int, bytes, bytearray] = 0, readonly: bool = False):
        self.data = bytearray(content)     # an int gives that many zero bytes
        if len(self.data) % SECTOR_SIZE:
            raise ValueError(f"size {len(self.data)} is not a multiple of {SECTOR_SIZE} bytes")
        self.capacity = len(self.data) // SECTOR_SIZE
        self.readonly = bool(readonly)
        self.flushes = 0
        self.closed = False

    def read(self, sector: int, count: int) -> bytes:
        self._check(sector, count * SECTOR_SIZE)
        start = sector * SECTOR_SIZE
        return bytes(self.data[start:start + count * SECTOR_SIZE])

    def write(self, sector: int, data: bytes) -> None:
        if self.readonly:
            raise PermissionError("disk is read-only")
        self._check(sector, len(data))
        start = sector * SECTOR_SIZE
        self.data[start:start + len(data)] = data

    def readv(self, sector: int, buffers: Sequence) -> None:
        pos = sector * SECTOR_SIZE
        store = memoryview(self.data)
        for v in self._check_views(sector, buffers)[0]:
            v[:] = store[pos:pos + len(v)]
            pos += len(v)

    def writev(self, sector: int, buffers: Sequence) -> None:
        if self.readonly:
            raise PermissionError("disk is read-only")
        pos = sector * SECTOR_SIZE
        store = memoryview(self.data)
        for v in self._check_views(sector, buffers)[0]:
            store[pos:pos + len(v)] = v
            pos += len(v)

    def flush(self) -> None:
        self.flushes += 1

    def close(self) -> None:
        self.closed = True

    def __repr__(self) -> str:
        return f"MemoryDisk({self.capacity} sectors{', ro' if self.readonly else ''})"


def _preadv_seek(fd: int, views: List[memoryview], pos: int) -> int:
    os.lseek(fd, pos, os.SEEK_SET)                      # hosts without preadv: one buffer
    return os.readv(fd, views[:1])


def _pwritev_seek(fd: int, views: List[memoryview], pos: int) -> int:
    os.lseek(fd, pos, os.SEEK_SET)
    return os.writev(fd, views[:1])


_preadv = getattr(os, "preadv", _preadv_seek)
_pwritev = getattr(os, "pwritev", _pwritev_seek)


def open_disk(path: Optional[Union[str, os.PathLike]], readonly: bool = False,
              size: int = 0) -> _SectorStore:
    """A DiskImage for path, or a zero-filled MemoryDisk of `size` bytes when path is None."""
    if path is None:
        return MemoryDisk(size, readonly=readonly)
    return DiskImage(path, readonly=readonly)
