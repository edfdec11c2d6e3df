"""The bootable single-file image: a disk image that also carries the kernel that boots it.

Owns the format.  An xv6 file system never uses its block 0 (the boot block) nor any block at or
past the superblock's ``size``.  A bootable image puts a header in block 0 and the kernel ELF
after the file system:

    offset 0     magic  b"RVEMUBT1"                      (8 bytes)
           8     header version, u32 little-endian (1)
          12     flags, u32 (0)
          16     kernel offset in the image, u64          (a multiple of 512, past the fs)
          24     kernel length in bytes, u64
          32     file-system length in bytes, u64          (what the disk driver is meant to see)
          40     reserved, zero up to byte 512

The whole file is the virtio disk (the guest ignores block 0 and the trailing kernel), so the
same file also works as a plain ``-drive`` for QEMU.  rvemu finds the kernel through the header
and boots it like ``--kernel``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAGIC = b"RVEMUBT1"
VERSION = 1
HEADER = struct.Struct("<8sIIQQQ")
SECTOR = 512


class BootImageError(Exception):
    """The file is not a bootable rvemu image (or is damaged)."""


@dataclass
class BootImage:
    kernel: bytes
    fs_size: int
    kernel_offset: int


def is_bootable(path: str) -> bool:
    with open(path, "rb") as f:
        return f.read(len(MAGIC)) == MAGIC


def pack(fs_image: bytes, kernel_elf: bytes) -> bytes:
    """A bootable image from an xv6 file-system image (whose block 0 is unused) and a kernel."""
    if len(fs_image) % SECTOR or len(fs_image) < SECTOR:
        raise BootImageError("file-system image size must be a non-zero multiple of 512")
    if any(fs_image[:SECTOR]):
        raise BootImageError("file-system image's boot block is not empty")
    offset = len(fs_image)
    header = HEADER.pack(MAGIC, VERSION, 0, offset, len(kernel_elf), len(fs_image))
    pad = (-len(kernel_elf)) % SECTOR
    return header + bytes(SECTOR - len(header)) + fs_image[SECTOR:] + kernel_elf + bytes(pad)


def read(path: str) -> BootImage:
    """The kernel of a bootable image.  BootImageError if it is not one or is truncated."""
    with open(path, "rb") as f:
        head = f.read(SECTOR)
        if len(head) < HEADER.size or head[:8] != MAGIC:
            raise BootImageError(f"{path}: not a bootable rvemu image (no {MAGIC.decode()} "
                                 "header); use --kernel ELF --drive IMAGE for a plain disk")
        magic, version, _flags, offset, length, fs_size = HEADER.unpack_from(head)
        if version != VERSION:
            raise BootImageError(f"{path}: boot image version {version} is not supported")
        f.seek(0, 2)
        size = f.tell()
        if offset % SECTOR or offset < SECTOR or offset + length > size or length == 0:
            raise BootImageError(f"{path}: kernel at {offset}+{length} lies outside the "
                                 f"{size}-byte image (truncated?)")
        f.seek(offset)
        return BootImage(f.read(length), fs_size, offset)
