"""The xv6 file-system image format: build (mkfs), read, check (fsck) and recover (log replay).

The format is the one in xv6/kernel/fs.h, with sizes from xv6/kernel/param.h and inode types from
xv6/kernel/stat.h.  This module holds the single Python definition of it (the constants and
``STRUCTS`` below); tests/test_xv6fs.py parses those headers and fails if the two ever differ.

Image layout, in BSIZE-byte blocks (all integers little-endian)::

    0                      unused, all zero (rvemu.bootimg puts its header here later)
    1                      superblock
    logstart ..            the log: one header block, then LOGSIZE data blocks (nlog = LOGSIZE+1)
    inodestart ..          on-disk inodes, IPB per block (inode 0 is never used)
    bmapstart ..           free-block bitmap, one bit per block of the whole image
    size - nblocks ..      data blocks

Link counts (the rule ``mkfs`` writes and ``fsck`` checks) follow the xv6 kernel's design: an
inode's ``nlink`` is the number of directory entries naming it, *not counting "." entries*.
A directory's own "." would make every directory refer to itself, so xv6 never counts it; the
".." entry of each subdirectory does count for the parent.  Hence:

    file or device           nlink = number of names it has
    directory other than /   nlink = 1 (its name in the parent) + number of subdirectories
    root directory           nlink = 1 (its own "..", naming itself) + number of subdirectories

which is what xv6's mkdir (new dir starts at 1, parent gets +1 for the child's "..") and unlink
(the reverse) maintain, and what xv6's mkfs gives the root.

Command line::

    python -m rvemu.xv6fs mkfs IMG FILE...      FILE: a host file (stored under its base name),
                                                NAME=FILE, or a host directory (copied as a tree)
    python -m rvemu.xv6fs ls IMG [PATH]
    python -m rvemu.xv6fs cat IMG PATH
    python -m rvemu.xv6fs extract IMG PATH DEST
    python -m rvemu.xv6fs fsck IMG              exit status 1 if it finds problems
    python -m rvemu.xv6fs replay IMG            install a committed log transaction
"""

from __future__ import annotations

import argparse
import collections
import os
import struct
import sys
from typing import Dict, Iterable, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

# ---------------------------------------------------------------------------------------------
# The format.  Names and values mirror the C headers one for one (checked by the tests).

# xv6/kernel/param.h
MAXOPBLOCKS = 10
LOGSIZE = MAXOPBLOCKS * 3
FSSIZE = 20000
NDEV = 10

# xv6/kernel/stat.h
T_DIR = 1
T_FILE = 2
T_DEVICE = 3

# xv6/kernel/fs.h
ROOTINO = 1
BSIZE = 1024
FSMAGIC = 0x10203040
NDIRECT = 12
NINDIRECT = BSIZE // 4          # BSIZE / sizeof(uint)
MAXFILE = NDIRECT + NINDIRECT
DIRSIZ = 14
MAXMAJOR = 32767                # device numbers a T_DEVICE inode may hold (mknod's range)
MAXMINOR = 32767

# C type name -> struct format character (char arrays become byte strings).
CTYPES = {"uint": "I", "int": "i", "short": "h", "ushort": "H", "char": "s"}


class CStruct:
    """A C struct as the headers declare it: ``fields`` is a sequence of (ctype, name, count),
    count 1 for a scalar.  Little-endian; every field must be naturally aligned so the C layout
    has no padding and equals the packed Python one (checked here)."""

    def __init__(self, name: str, fields: Sequence[Tuple[str, str, int]]):
        self.name = name
        self.fields = tuple(fields)
        fmt = "<"
        offset = 0
        for ctype, fname, count in self.fields:
            code = CTYPES[ctype]
            width = struct.calcsize("<" + code)
            if offset % width:
                raise ValueError(f"struct {name}: field {fname} is not naturally aligned")
            fmt += f"{count}{code}" if count != 1 or code == "s" else code
            offset += width * count
        self.struct = struct.Struct(fmt)
        self.size = self.struct.size
        self.tuple = collections.namedtuple(name, [f[1] for f in self.fields])

    def unpack(self, buf, offset: int = 0):
        flat = self.struct.unpack_from(buf, offset)
        values, i = [], 0
        for ctype, _name, count in self.fields:
            if ctype == "char" or count == 1:
                values.append(flat[i])
                i += 1
            else:
                values.append(tuple(flat[i:i + count]))
                i += count
        return self.tuple(*values)

    def pack(self, *args, **kwargs) -> bytes:
        value = self.tuple(*args, **kwargs)
        flat = []
        for (ctype, _name, count), v in zip(self.fields, value):
            if ctype == "char" or count == 1:
                flat.append(v)
            else:
                v = list(v)
                if len(v) != count:
                    raise ValueError(f"struct {self.name}: {_name} needs {count} values")
                flat.extend(v)
        return self.struct.pack(*flat)


SUPERBLOCK = CStruct("superblock", [
    ("uint", "magic", 1), ("uint", "size", 1), ("uint", "nblocks", 1), ("uint", "ninodes", 1),
    ("uint", "nlog", 1), ("uint", "logstart", 1), ("uint", "inodestart", 1),
    ("uint", "bmapstart", 1)])
DINODE = CStruct("dinode", [
    ("short", "type", 1), ("short", "major", 1), ("short", "minor", 1), ("short", "nlink", 1),
    ("uint", "size", 1), ("uint", "addrs", NDIRECT + 1)])
DIRENT = CStruct("dirent", [("ushort", "inum", 1), ("char", "name", DIRSIZ)])
LOGHEADER = CStruct("logheader", [("int", "n", 1), ("int", "block", LOGSIZE)])

STRUCTS = {s.name: s for s in (SUPERBLOCK, DINODE, DIRENT, LOGHEADER)}

IPB = BSIZE // DINODE.size      # inodes per block
BPB = BSIZE * 8                 # bitmap bits per block
NINODES = 200                   # mkfs default


def IBLOCK(i: int, sb) -> int:
    """Block holding inode ``i``."""
    return i // IPB + sb.inodestart


def BBLOCK(b: int, sb) -> int:
    """Bitmap block holding the bit of block ``b``."""
    return b // BPB + sb.bmapstart


Superblock = SUPERBLOCK.tuple
Dinode = DINODE.tuple

TYPE_NAMES = {T_DIR: "dir", T_FILE: "file", T_DEVICE: "device"}


class FsError(ValueError):
    """The image is not a usable xv6 file system, or a path in it does not resolve."""


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def layout(size: int = FSSIZE, ninodes: int = NINODES) -> Superblock:
    """The superblock mkfs writes for an image of ``size`` blocks with ``ninodes`` inodes."""
    if ninodes < 2:
        raise ValueError("need at least 2 inodes (inode 0 is unused, 1 is the root)")
    if ninodes > 0xFFFF + 1:
        raise ValueError("at most 65536 inodes: a directory entry holds a 16-bit inode number")
    nlog = LOGSIZE + 1
    logstart = 2
    inodestart = logstart + nlog
    bmapstart = inodestart + _ceil_div(ninodes, IPB)
    nmeta = bmapstart + _ceil_div(size, BPB)
    if size <= nmeta:
        raise ValueError(f"{size} blocks leave no room for data ({nmeta} metadata blocks)")
    return Superblock(FSMAGIC, size, size - nmeta, ninodes, nlog, logstart, inodestart,
                      bmapstart)


def encode_name(name: str) -> bytes:
    return name.encode("utf-8", "surrogateescape")


def decode_name(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _check_component(comp: str, full: str) -> bytes:
    raw = encode_name(comp)
    if comp in ("", ".", ".."):
        raise ValueError(f"{full!r}: empty, '.' or '..' path component")
    if len(raw) > DIRSIZ:
        raise ValueError(f"{full!r}: name {comp!r} is longer than DIRSIZ ({DIRSIZ}) bytes")
    if b"\0" in raw:
        raise ValueError(f"{full!r}: NUL in name")
    return raw


# ---------------------------------------------------------------------------------------------
# mkfs

class Device(NamedTuple):
    """A device node for mkfs: pass Device(major, minor) as a file's contents."""
    major: int
    minor: int = 0


class _Node:
    __slots__ = ("is_dir", "data", "children", "inum", "device")

    def __init__(self, is_dir: bool, data: bytes = b"", device: Optional[Device] = None):
        self.is_dir = is_dir
        self.data = data
        self.children: Dict[bytes, _Node] = {}
        self.inum = 0
        self.device = device


def _build_tree(files: Iterable[Tuple[str, Union[bytes, bytearray, memoryview, None]]]) -> _Node:
    root = _Node(True)
    for name, data in files:
        want_dir = name.endswith("/")
        parts = [p for p in name.strip("/").split("/")]
        if parts == [""]:
            raise ValueError(f"{name!r}: no file name")
        node = root
        for i, comp in enumerate(parts):
            raw = _check_component(comp, name)
            last = i == len(parts) - 1
            child = node.children.get(raw)
            if last and not want_dir:
                if child is not None:
                    raise ValueError(f"{name!r}: given twice")
                if isinstance(data, Device):
                    if not (0 <= data.major <= 32767 and 0 <= data.minor <= 32767):
                        raise ValueError(f"{name!r}: device numbers {tuple(data)} do not fit "
                                         f"the inode's short fields")
                    node.children[raw] = _Node(False, b"", data)
                else:
                    node.children[raw] = _Node(False, bytes(data or b""))
            elif child is None:
                child = node.children[raw] = _Node(True)
            elif not child.is_dir:
                raise ValueError(f"{name!r}: {comp!r} is a file, not a directory")
            node = child
        if want_dir and data:
            raise ValueError(f"{name!r}: a directory cannot have contents")
    return root


def mkfs_bytes(files: Iterable[Tuple[str, bytes]] = (), size: int = FSSIZE,
               ninodes: int = NINODES) -> bytes:
    """An xv6 file-system image holding ``files``, a sequence of (name, contents).

    Names are paths relative to the root ("README", "bin/ls"); missing directories are created,
    and a name ending in "/" makes an empty directory.  Contents Device(major, minor) make a
    device node (T_DEVICE) instead of a file.  Each component is at most DIRSIZ bytes.
    Raises ValueError if a name is bad, a file exceeds MAXFILE blocks, or inodes/blocks run out.
    """
    sb = layout(size, ninodes)
    root = _build_tree(files)
    img = bytearray(size * BSIZE)
    datastart = size - sb.nblocks
    state = {"next_block": datastart, "next_inum": ROOTINO}

    def alloc_block() -> int:
        b = state["next_block"]
        if b >= size:
            raise ValueError(f"file system full: {size} blocks are not enough")
        state["next_block"] = b + 1
        return b

    def number(node: _Node) -> None:           # inode numbers in depth-first pre-order
        if state["next_inum"] >= ninodes:
            raise ValueError(f"out of inodes: {ninodes} are not enough")
        node.inum = state["next_inum"]
        state["next_inum"] += 1
        for child in node.children.values():
            number(child)

    def write_inode(inum: int, ftype: int, nlink: int, data: bytes,
                    device: Optional[Device] = None) -> None:
        nb = _ceil_div(len(data), BSIZE)
        if nb > MAXFILE:
            raise ValueError(f"file of {len(data)} bytes exceeds MAXFILE ({MAXFILE} blocks)")
        addrs = [0] * (NDIRECT + 1)
        blocks = []
        for i in range(nb):
            if i == NDIRECT:
                addrs[NDIRECT] = alloc_block()
            b = alloc_block()
            blocks.append(b)
            if i < NDIRECT:
                addrs[i] = b
        for i, b in enumerate(blocks):
            chunk = data[i * BSIZE:(i + 1) * BSIZE]
            img[b * BSIZE:b * BSIZE + len(chunk)] = chunk
        if nb > NDIRECT:
            ind = addrs[NDIRECT] * BSIZE
            img[ind:ind + 4 * (nb - NDIRECT)] = struct.pack(f"<{nb - NDIRECT}I",
                                                             *blocks[NDIRECT:])
        off = IBLOCK(inum, sb) * BSIZE + (inum % IPB) * DINODE.size
        major, minor = device if device is not None else (0, 0)
        img[off:off + DINODE.size] = DINODE.pack(ftype, major, minor, nlink, len(data), addrs)

    def dirent(inum: int, raw: bytes) -> bytes:
        return DIRENT.pack(inum, raw)

    def emit(node: _Node, parent: _Node) -> None:
        if not node.is_dir:
            if node.device is not None:
                write_inode(node.inum, T_DEVICE, 1, b"", node.device)
            else:
                write_inode(node.inum, T_FILE, 1, node.data)
            return
        body = dirent(node.inum, b".") + dirent(parent.inum, b"..")
        body += b"".join(dirent(c.inum, raw) for raw, c in node.children.items())
        subdirs = sum(1 for c in node.children.values() if c.is_dir)
        write_inode(node.inum, T_DIR, 1 + subdirs, body)
        for child in node.children.values():
            emit(child, node)

    number(root)
    emit(root, root)

    img[BSIZE:BSIZE + SUPERBLOCK.size] = SUPERBLOCK.pack(*sb)
    used = state["next_block"]                  # blocks 0 .. used-1: metadata + data in use
    bm = bytearray(_ceil_div(size, BPB) * BSIZE)
    full, rest = divmod(used, 8)
    bm[:full] = b"\xff" * full
    if rest:
        bm[full] = (1 << rest) - 1
    img[sb.bmapstart * BSIZE:sb.bmapstart * BSIZE + len(bm)] = bm
    return bytes(img)


def mkfs(path: Union[str, os.PathLike], files: Iterable[Tuple[str, bytes]] = (),
         size: int = FSSIZE, ninodes: int = NINODES) -> Superblock:
    """Write an xv6 file-system image with ``files`` to ``path`` (see mkfs_bytes); returns
    its superblock."""
    data = mkfs_bytes(files, size, ninodes)
    with open(path, "wb") as f:
        f.write(data)
    return SUPERBLOCK.unpack(data, BSIZE)


# ---------------------------------------------------------------------------------------------
# Reading

class DirEntry(NamedTuple):
    name: str
    inum: int


class Image:
    """Read access to an xv6 file-system image (a path or the image's bytes).  A bootable rvemu
    image also works: its file system keeps the same block numbers.

    Inodes are addressed by number; the path-taking methods resolve "/"-separated paths from the
    root (a leading "/" is optional).  Errors are FsError (also FileNotFoundError /
    NotADirectoryError / IsADirectoryError for paths)."""

    def __init__(self, source: Union[str, os.PathLike, bytes, bytearray]):
        if isinstance(source, (bytes, bytearray, memoryview)):
            self.data = bytes(source)
            self.name = "<image>"
        else:
            with open(source, "rb") as f:
                self.data = f.read()
            self.name = os.fspath(source)
        if len(self.data) < 2 * BSIZE:
            raise FsError(f"{self.name}: too small to hold a superblock")
        self.sb: Superblock = SUPERBLOCK.unpack(self.data, BSIZE)
        if self.sb.magic != FSMAGIC:
            raise FsError(f"{self.name}: bad superblock magic {self.sb.magic:#x}")
        if len(self.data) < self.sb.size * BSIZE:
            raise FsError(f"{self.name}: {len(self.data)} bytes, but the superblock says "
                          f"{self.sb.size} blocks")

    # -- raw structures
    def block(self, b: int) -> bytes:
        if not 0 <= b < self.sb.size:
            raise FsError(f"block {b} outside the {self.sb.size}-block image")
        return self.data[b * BSIZE:(b + 1) * BSIZE]

    def inode(self, inum: int) -> Dinode:
        if not 0 < inum < self.sb.ninodes:
            raise FsError(f"inode {inum} out of range (1..{self.sb.ninodes - 1})")
        return DINODE.unpack(self.block(IBLOCK(inum, self.sb)), (inum % IPB) * DINODE.size)

    def bmap(self, ip: Dinode) -> List[int]:
        """The data blocks of an inode, in file order, as many as its size needs."""
        nb = _ceil_div(ip.size, BSIZE)
        if nb > MAXFILE:
            raise FsError(f"size {ip.size} exceeds MAXFILE blocks")
        blocks = list(ip.addrs[:min(nb, NDIRECT)])
        if nb > NDIRECT:
            blocks += struct.unpack_from(f"<{nb - NDIRECT}I", self.block(ip.addrs[NDIRECT]))
        return blocks

    def read_inode(self, inum: int) -> bytes:
        ip = self.inode(inum)
        data = b"".join(self.block(b) for b in self.bmap(ip))
        return data[:ip.size]

    def dirents(self, inum: int) -> List[DirEntry]:
        """Every used entry of directory ``inum``, "." and ".." included, in on-disk order."""
        ip = self.inode(inum)
        if ip.type != T_DIR:
            raise NotADirectoryError(f"inode {inum} is not a directory")
        body = self.read_inode(inum)
        out = []
        for off in range(0, len(body) - DIRENT.size + 1, DIRENT.size):
            de = DIRENT.unpack(body, off)
            if de.inum:
                out.append(DirEntry(decode_name(de.name), de.inum))
        return out

    # -- paths
    def lookup(self, path: str) -> int:
        """Inode number of ``path``."""
        inum = ROOTINO
        for comp in (c for c in path.split("/") if c):
            if self.inode(inum).type != T_DIR:
                raise NotADirectoryError(f"{path}: {comp!r} is under a non-directory")
            for de in self.dirents(inum):
                if de.name == comp:
                    inum = de.inum
                    break
            else:
                raise FileNotFoundError(f"{path}: no such file or directory")
        return inum

    def stat(self, path: str) -> Dinode:
        return self.inode(self.lookup(path))

    def read(self, path: str) -> bytes:
        """Contents of the file (or device inode) at ``path``."""
        inum = self.lookup(path)
        if self.inode(inum).type == T_DIR:
            raise IsADirectoryError(f"{path}: is a directory")
        return self.read_inode(inum)

    def listdir(self, path: str = "/") -> List[Tuple[str, int, Dinode]]:
        """(name, inum, inode) for each entry of the directory at ``path``, "." and ".." too."""
        return [(de.name, de.inum, self.inode(de.inum))
                for de in self.dirents(self.lookup(path))]

    def walk(self, path: str = "/") -> Iterator[Tuple[str, int, Dinode]]:
        """(path, inum, inode) for ``path`` and, depth first, everything below it."""
        inum = self.lookup(path)
        yield from self._walk("/" + path.strip("/") if path.strip("/") else "/", inum, set())

    def _walk(self, path, inum, seen):
        ip = self.inode(inum)
        yield path, inum, ip
        if ip.type == T_DIR and inum not in seen:
            seen.add(inum)
            for de in self.dirents(inum):
                if de.name not in (".", ".."):
                    yield from self._walk(path.rstrip("/") + "/" + de.name, de.inum, seen)

    def extract(self, path: str, dest: Union[str, os.PathLike]) -> List[str]:
        """Copy the file or directory tree at ``path`` to host path ``dest``; returns the host
        paths written.  Device inodes are skipped."""
        written = []
        inum = self.lookup(path)
        self._extract(inum, os.fspath(dest), written, set())
        return written

    def _extract(self, inum, dest, written, seen):
        ip = self.inode(inum)
        if ip.type == T_DIR:
            if inum in seen:
                return
            seen.add(inum)
            os.makedirs(dest, exist_ok=True)
            written.append(dest)
            for de in self.dirents(inum):
                if de.name not in (".", ".."):
                    self._extract(de.inum, os.path.join(dest, de.name), written, seen)
        elif ip.type == T_FILE:
            with open(dest, "wb") as f:
                f.write(self.read_inode(inum))
            written.append(dest)


# ---------------------------------------------------------------------------------------------
# Log recovery

def _log_problems(sb: Superblock, lh) -> List[str]:
    """Why a log header cannot be replayed (empty if it can)."""
    if not 0 <= lh.n <= min(LOGSIZE, sb.nlog - 1):
        return [f"log header corrupt: n = {lh.n} (at most {min(LOGSIZE, sb.nlog - 1)})"]
    return [f"log header corrupt: entry {i} targets block {b}, outside blocks "
            f"{sb.inodestart}..{sb.size - 1}"
            for i, b in enumerate(lh.block[:lh.n]) if not sb.inodestart <= b < sb.size]


def _replay(img: bytearray, sb: Superblock) -> int:
    """Install the committed log transaction of ``img`` in place and clear the header, as the
    kernel's recovery does.  Returns the number of blocks installed."""
    lh = LOGHEADER.unpack(img, sb.logstart * BSIZE)
    bad = _log_problems(sb, lh)
    if bad:
        raise FsError(bad[0])
    for i, dst in enumerate(lh.block[:lh.n]):
        src = (sb.logstart + 1 + i) * BSIZE
        img[dst * BSIZE:(dst + 1) * BSIZE] = img[src:src + BSIZE]
    img[sb.logstart * BSIZE:(sb.logstart + 1) * BSIZE] = bytes(BSIZE)
    return lh.n


def replay_log(path: Union[str, os.PathLike]) -> int:
    """Recover the image at ``path``: copy each block of a committed log transaction to its home
    location, then clear the log header.  Returns the number of blocks installed (0 if the log
    was empty).  FsError if the superblock or the log header is unusable."""
    with open(path, "r+b") as f:
        img = Image(f.read())
        if not _layout_ok(img.sb):
            raise FsError(f"{os.fspath(path)}: superblock layout is inconsistent")
        sb = img.sb
        lh = LOGHEADER.unpack(img.data, sb.logstart * BSIZE)
        bad = _log_problems(sb, lh)
        if bad:
            raise FsError(f"{os.fspath(path)}: {bad[0]}")
        # Install every block first, then clear the header: a crash in between leaves the
        # transaction committed, and replaying it again is harmless.
        for i, dst in enumerate(lh.block[:lh.n]):
            f.seek(dst * BSIZE)
            f.write(img.block(sb.logstart + 1 + i))
        if lh.n:
            f.flush()
            os.fsync(f.fileno())
            f.seek(sb.logstart * BSIZE)
            f.write(bytes(BSIZE))
    return lh.n


# ---------------------------------------------------------------------------------------------
# fsck

MAX_REPORTS = 10        # per kind of bitmap disagreement, to keep a wrecked bitmap readable


def _superblock_problems(sb: Superblock, nbytes: int) -> List[str]:
    p = []
    if sb.magic != FSMAGIC:
        return [f"superblock: bad magic {sb.magic:#x} (want {FSMAGIC:#x})"]
    if nbytes < sb.size * BSIZE:
        p.append(f"superblock: size {sb.size} blocks, but the image has only "
                 f"{nbytes // BSIZE}")
    if sb.ninodes < 2 or sb.ninodes > 0x10000:
        p.append(f"superblock: ninodes {sb.ninodes} (need 2..65536)")
    if sb.nlog < LOGSIZE + 1:
        p.append(f"superblock: nlog {sb.nlog} < LOGSIZE + 1 ({LOGSIZE + 1})")
    if sb.logstart < 2:
        p.append(f"superblock: logstart {sb.logstart} overlaps the boot block or superblock")
    if sb.inodestart < sb.logstart + sb.nlog:
        p.append(f"superblock: inodestart {sb.inodestart} overlaps the log "
                 f"({sb.logstart}+{sb.nlog})")
    if sb.bmapstart < sb.inodestart + _ceil_div(sb.ninodes, IPB):
        p.append(f"superblock: bmapstart {sb.bmapstart} leaves too few inode blocks for "
                 f"{sb.ninodes} inodes")
    nmeta = sb.bmapstart + _ceil_div(sb.size, BPB)
    if sb.nblocks != sb.size - nmeta:
        p.append(f"superblock: nblocks {sb.nblocks}, but size {sb.size} minus {nmeta} "
                 f"metadata blocks is {sb.size - nmeta}")
    return p


def _layout_ok(sb: Superblock) -> bool:
    return not _superblock_problems(sb, sb.size * BSIZE)


class _Fsck:
    def __init__(self, img: bytes, sb: Superblock):
        self.img = img
        self.sb = sb
        self.datastart = sb.size - sb.nblocks
        self.problems: List[str] = []
        self.owner: Dict[int, int] = {}         # data block -> inode that uses it
        self.inodes: Dict[int, Dinode] = {}     # allocated inodes
        self.blocks: Dict[int, List[Optional[int]]] = {}   # inum -> its valid data blocks

    def report(self, msg: str) -> None:
        self.problems.append(msg)

    def run(self) -> List[str]:
        self.scan_inodes()
        self.check_bitmap()
        self.check_tree()
        return self.problems

    # -- inodes and their blocks
    def claim(self, inum: int, b: int, what: str) -> bool:
        if not self.datastart <= b < self.sb.size:
            self.report(f"inode {inum}: {what} block {b} outside the data area "
                        f"({self.datastart}..{self.sb.size - 1})")
            return False
        if b in self.owner:
            self.report(f"block {b} used twice: by inode {self.owner[b]} and inode {inum}")
            return False
        self.owner[b] = inum
        return True

    def scan_inodes(self) -> None:
        sb = self.sb
        for inum in range(sb.ninodes):
            off = IBLOCK(inum, sb) * BSIZE + (inum % IPB) * DINODE.size
            ip = DINODE.unpack(self.img, off)
            if ip.type == 0:
                if inum == ROOTINO:
                    self.report("root inode 1 is free")
                continue
            if inum == 0:
                self.report(f"inode 0 is allocated (type {ip.type}); xv6 never uses it")
                continue
            if ip.type not in TYPE_NAMES:
                self.report(f"inode {inum}: bad type {ip.type}")
                continue
            self.inodes[inum] = ip
            if ip.type == T_DEVICE:
                self.check_device(inum, ip)
            self.blocks[inum] = self.inode_blocks(inum, ip)
        root = self.inodes.get(ROOTINO)
        if root is not None and root.type != T_DIR:
            self.report(f"root inode 1 is a {TYPE_NAMES[root.type]}, not a directory")

    def check_device(self, inum: int, ip: Dinode) -> None:
        """A device inode's numbers must be ones mknod can make (fs.h MAXMAJOR, MAXMINOR); a
        major without a kernel driver (NDEV) is still a valid node."""
        if not 0 <= ip.major <= MAXMAJOR:
            self.report(f"inode {inum}: device major {ip.major} outside 0..{MAXMAJOR}")
        if not 0 <= ip.minor <= MAXMINOR:
            self.report(f"inode {inum}: device minor {ip.minor} outside 0..{MAXMINOR}")

    def inode_blocks(self, inum: int, ip: Dinode) -> List[Optional[int]]:
        """Claim the blocks of one inode; returns its data blocks (None where unusable)."""
        nb = _ceil_div(ip.size, BSIZE)
        if nb > MAXFILE:
            self.report(f"inode {inum}: size {ip.size} exceeds MAXFILE ({MAXFILE} blocks)")
            nb = MAXFILE
        out: List[Optional[int]] = []
        for i in range(NDIRECT):
            b = ip.addrs[i]
            if i < nb:
                if b == 0:
                    self.report(f"inode {inum}: size {ip.size} but block {i} is missing")
                    out.append(None)
                else:
                    out.append(b if self.claim(inum, b, "data") else None)
            elif b:
                self.report(f"inode {inum}: block {b} at index {i} lies beyond size {ip.size}")
                self.claim(inum, b, "data")
        ind = ip.addrs[NDIRECT]
        if nb <= NDIRECT:
            if ind:
                self.report(f"inode {inum}: indirect block {ind} but size {ip.size} needs none")
                if self.claim(inum, ind, "indirect"):
                    self.claim_indirect(inum, ind, 0, out)
        elif ind == 0:
            self.report(f"inode {inum}: size {ip.size} but the indirect block is missing")
            out += [None] * (nb - NDIRECT)
        elif not self.claim(inum, ind, "indirect"):
            out += [None] * (nb - NDIRECT)
        else:
            self.claim_indirect(inum, ind, nb - NDIRECT, out)
        return out

    def claim_indirect(self, inum: int, ind: int, need: int, out: List[Optional[int]]) -> None:
        entries = struct.unpack_from(f"<{NINDIRECT}I", self.img, ind * BSIZE)
        for j, b in enumerate(entries):
            if j < need:
                if b == 0:
                    self.report(f"inode {inum}: size {self.inodes[inum].size} but block "
                                f"{NDIRECT + j} is missing")
                    out.append(None)
                else:
                    out.append(b if self.claim(inum, b, "data") else None)
            elif b:
                self.report(f"inode {inum}: block {b} at index {NDIRECT + j} lies beyond size "
                            f"{self.inodes[inum].size}")
                self.claim(inum, b, "data")

    # -- bitmap
    def check_bitmap(self) -> None:
        sb = self.sb
        nbitmap = _ceil_div(sb.size, BPB)
        bm = self.img[sb.bmapstart * BSIZE:(sb.bmapstart + nbitmap) * BSIZE]
        free_but_used, used_but_free = [], []
        for b in range(sb.size):
            marked = bm[b >> 3] >> (b & 7) & 1
            in_use = b < self.datastart or b in self.owner
            if in_use and not marked:
                free_but_used.append(b)
            elif marked and not in_use:
                used_but_free.append(b)
        for label, blocks in (("in use but free in the bitmap", free_but_used),
                              ("marked in use in the bitmap but not used", used_but_free)):
            for b in blocks[:MAX_REPORTS]:
                who = f" (inode {self.owner[b]})" if b in self.owner else \
                    " (metadata)" if b < self.datastart else ""
                self.report(f"block {b}{who} {label}")
            if len(blocks) > MAX_REPORTS:
                self.report(f"... and {len(blocks) - MAX_REPORTS} more blocks {label}")
        past = [b for b in range(sb.size, nbitmap * BPB) if bm[b >> 3] >> (b & 7) & 1]
        if past:
            self.report(f"bitmap marks {len(past)} blocks past the end of the image "
                        f"(first {past[0]})")

    # -- directory tree
    def read_dir(self, inum: int) -> List[Tuple[int, str, int]]:
        """(slot, name, inum) of each used entry; unusable blocks read as empty."""
        ip = self.inodes[inum]
        if ip.size % DIRENT.size:
            self.report(f"directory inode {inum}: size {ip.size} is not a multiple of "
                        f"{DIRENT.size}")
        out = []
        per_block = BSIZE // DIRENT.size
        nent = min(ip.size, len(self.blocks[inum]) * BSIZE) // DIRENT.size
        for slot in range(nent):
            b = self.blocks[inum][slot // per_block]
            if b is None:
                continue
            de = DIRENT.unpack(self.img, b * BSIZE + (slot % per_block) * DIRENT.size)
            if de.inum:
                out.append((slot, decode_name(de.name), de.inum))
        return out

    def check_tree(self) -> None:
        root = self.inodes.get(ROOTINO)
        if root is None or root.type != T_DIR:
            return
        refs: Dict[int, int] = collections.Counter()
        parent_of = {ROOTINO: ROOTINO}
        path_of = {ROOTINO: "/"}
        queue = collections.deque([ROOTINO])
        while queue:
            d = queue.popleft()
            dpath = path_of[d]
            names = set()
            dots = []
            dotdots = []
            for slot, name, child in self.read_dir(d):
                where = f"directory {dpath} (inode {d}): entry {name!r}"
                if name in names:
                    self.report(f"{where} appears twice")
                names.add(name)
                if name == "" or "/" in name:
                    self.report(f"{where} is not a valid name")
                if name == ".":
                    dots.append(child)
                    continue                # "." is never counted in nlink
                if name == "..":
                    dotdots.append(child)
                if not child < self.sb.ninodes:
                    self.report(f"{where} names inode {child}, past ninodes "
                                f"({self.sb.ninodes})")
                    continue
                if child not in self.inodes:
                    self.report(f"{where} names free inode {child}")
                    continue
                refs[child] += 1
                if name == "..":
                    continue
                if self.inodes[child].type != T_DIR:
                    path_of.setdefault(child, dpath.rstrip("/") + "/" + name)
                    continue
                if child in parent_of:
                    self.report(f"{where}: directory inode {child} already has a parent "
                                f"(inode {parent_of[child]})")
                    continue
                parent_of[child] = d
                path_of[child] = dpath.rstrip("/") + "/" + name
                queue.append(child)
            if dots != [d]:
                self.report(f"directory {dpath} (inode {d}): '.' entries {dots}, want [{d}]")
            if dotdots != [parent_of[d]]:
                self.report(f"directory {dpath} (inode {d}): '..' entries {dotdots}, want "
                            f"[{parent_of[d]}]")
        for inum, ip in sorted(self.inodes.items()):
            if inum not in path_of and ip.nlink == 0:
                # open and unlinked when the machine stopped: recovery state, like a full log
                self.report(f"orphan inode {inum} ({TYPE_NAMES[ip.type]}, nlink 0): was open "
                            "and unlinked at a crash; the kernel frees it at the next boot")
            elif inum not in path_of:
                self.report(f"inode {inum} ({TYPE_NAMES[ip.type]}, nlink {ip.nlink}) is "
                            "allocated but not reachable from /")
            elif ip.nlink != refs[inum]:
                self.report(f"inode {inum} ({path_of[inum]}): nlink {ip.nlink}, but "
                            f"{refs[inum]} directory entries name it")


def fsck(source: Union[str, os.PathLike, bytes, bytearray]) -> List[str]:
    """Check an image (a path or its bytes); returns the problems found, [] if consistent.

    If the log holds a committed transaction, that is reported ("log has N committed blocks to
    replay") and the rest of the check is made on the file system as recovery would leave it
    (see replay_log), since that is what the kernel will see."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        with open(source, "rb") as f:
            data = f.read()
    if len(data) < 2 * BSIZE:
        return [f"image of {len(data)} bytes is too small to hold a superblock"]
    sb = SUPERBLOCK.unpack(data, BSIZE)
    problems = _superblock_problems(sb, len(data))
    if problems:
        return problems
    img = bytearray(data[:sb.size * BSIZE])
    lh = LOGHEADER.unpack(img, sb.logstart * BSIZE)
    bad = _log_problems(sb, lh)
    if bad:
        problems += bad
    elif lh.n:
        problems.append(f"log has {lh.n} committed blocks to replay")
        _replay(img, sb)
    return problems + _Fsck(bytes(img), sb).run()


# ---------------------------------------------------------------------------------------------
# Command line

def _collect(args: Sequence[str]) -> List[Tuple[str, bytes]]:
    files = []
    for arg in args:
        name, sep, host = arg.partition("=")
        if not sep:
            host, name = arg, os.path.basename(os.path.normpath(arg))
        if os.path.isdir(host):
            files.append((name + "/", b""))
            for dirpath, dirnames, filenames in os.walk(host):
                dirnames.sort()
                rel = os.path.relpath(dirpath, host)
                base = name if rel == "." else name + "/" + rel.replace(os.sep, "/")
                for d in dirnames:
                    files.append((f"{base}/{d}/", b""))
                for fn in sorted(filenames):
                    with open(os.path.join(dirpath, fn), "rb") as f:
                        files.append((f"{base}/{fn}", f.read()))
        else:
            with open(host, "rb") as f:
                files.append((name, f.read()))
    return files


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rvemu.xv6fs",
                                description="Build, inspect, check and recover xv6 file-system "
                                            "images.")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("mkfs", help="build an image from host files")
    s.add_argument("image")
    s.add_argument("files", nargs="*", metavar="FILE",
                   help="host file (stored under its base name), NAME=FILE, or a directory")
    s.add_argument("--size", type=int, default=FSSIZE, help=f"blocks (default {FSSIZE})")
    s.add_argument("--ninodes", type=int, default=NINODES,
                   help=f"inodes (default {NINODES})")
    s = sub.add_parser("ls", help="list a directory (or show one file)")
    s.add_argument("image")
    s.add_argument("path", nargs="?", default="/")
    s = sub.add_parser("cat", help="write a file's contents to stdout")
    s.add_argument("image")
    s.add_argument("path")
    s = sub.add_parser("extract", help="copy a file or directory tree to the host")
    s.add_argument("image")
    s.add_argument("path")
    s.add_argument("dest")
    s = sub.add_parser("fsck", help="check consistency (exit status 1 on problems)")
    s.add_argument("image")
    s = sub.add_parser("replay", help="install a committed log transaction")
    s.add_argument("image")
    args = p.parse_args(argv)

    try:
        if args.cmd == "mkfs":
            sb = mkfs(args.image, _collect(args.files), args.size, args.ninodes)
            print(f"{args.image}: {sb.size} blocks, {sb.ninodes} inodes, "
                  f"{sb.nblocks} data blocks")
        elif args.cmd == "ls":
            img = Image(args.image)
            inum = img.lookup(args.path)
            ip = img.inode(inum)
            rows = img.listdir(args.path) if ip.type == T_DIR else \
                [(args.path.rstrip("/").rsplit("/", 1)[-1], inum, ip)]
            for name, n, cip in rows:
                print(f"{name:<{DIRSIZ}} {TYPE_NAMES.get(cip.type, '?'):<6} {n:>5} "
                      f"{cip.size:>8}")
        elif args.cmd == "cat":
            data = Image(args.image).read(args.path)
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        elif args.cmd == "extract":
            for path in Image(args.image).extract(args.path, args.dest):
                print(path)
        elif args.cmd == "fsck":
            problems = fsck(args.image)
            for line in problems:
                print(f"{args.image}: {line}")
            if problems:
                return 1
            print(f"{args.image}: clean")
        elif args.cmd == "replay":
            n = replay_log(args.image)
            print(f"{args.image}: installed {n} logged blocks")
    except (OSError, ValueError) as e:
        print(f"xv6fs: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
