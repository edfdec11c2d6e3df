"""rvemu.xv6fs: the xv6 file-system format, mkfs, the reader, fsck, log replay and the CLI.

Part 1 parses xv6/kernel/fs.h, param.h and stat.h (their #defines and struct field lists) and
compares them with the Python definition, so the two cannot drift apart.  The rest builds small
images (a few hundred KiB; one full FSSIZE image), reads them back, damages them on purpose and
checks that fsck names the damage.
"""

from __future__ import annotations

import os
import random
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from rvemu import bootimg, xv6fs
from rvemu.xv6fs import (BPB, BSIZE, DINODE, DIRENT, DIRSIZ, IPB, LOGHEADER, LOGSIZE, MAXFILE,
                         NDIRECT, ROOTINO, SUPERBLOCK, T_DEVICE, T_DIR, T_FILE)

ROOT = Path(__file__).resolve().parent.parent
KERNEL = ROOT / "xv6" / "kernel"

SMALL = 600          # blocks: enough for MAXFILE-sized files, quick to build and check

# ---------------------------------------------------------------------------------------------
# 1. The Python definition against the C headers.

C_SIZEOF = {"char": 1, "short": 2, "ushort": 2, "int": 4, "uint": 4}


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def c_defines(text: str):
    """{name: (params or None, body)} for every #define with a body."""
    out = {}
    for line in strip_comments(text).splitlines():
        m = re.match(r"\s*#\s*define\s+(\w+)(\(([^)]*)\))?\s*(.*?)\s*$", line)
        if m and m.group(4):
            params = [p.strip() for p in m.group(3).split(",")] if m.group(2) else None
            out[m.group(1)] = (params, m.group(4))
    return out


def c_structs(text: str):
    """{name: [(ctype, field, count expression or None)]} for every struct definition."""
    out = {}
    for m in re.finditer(r"struct\s+(\w+)\s*\{(.*?)\}\s*;", strip_comments(text), flags=re.S):
        fields = []
        for decl in m.group(2).split(";"):
            if not decl.strip():
                continue
            f = re.fullmatch(r"\s*(\w+)\s+(\w+)\s*(?:\[([^\]]+)\])?\s*", decl)
            assert f, f"struct {m.group(1)}: cannot parse field {decl.strip()!r}"
            fields.append((f.group(1), f.group(2), f.group(3)))
        out[m.group(1)] = fields
    return out


class Scope(dict):
    """The values of a header's object-like macros and struct sizes, each computed on first use
    (so definition order does not matter), on top of ``base`` (another header's macros)."""

    def __init__(self, defines: dict, structs: dict, base: dict = None):
        super().__init__()
        self.defines = {k: body for k, (params, body) in defines.items() if params is None}
        self.structs = structs
        self.base = base or {}

    def __missing__(self, name):
        if name in self.defines:
            self[name] = c_eval(self.defines[name], self)
            return self[name]
        if name in self.base:
            return self.base[name]
        raise KeyError(name)

    def values(self):
        return {name: self[name] for name in self.defines}

    def layout(self, sname):
        """[(ctype, name, count)] with counts evaluated, and the struct's C size (padding
        included)."""
        out, offset, align = [], 0, 1
        for ctype, name, count in self.structs[sname]:
            n = 1 if count is None else c_eval(count, self)
            width = C_SIZEOF[ctype]
            offset = -(-offset // width) * width + width * n
            align = max(align, width)
            out.append((ctype, name, n))
        return out, -(-offset // align) * align


def c_eval(expr: str, scope: Scope) -> int:
    """Value of a C integer constant expression."""
    expr = re.sub(r"sizeof\s*\(\s*struct\s+(\w+)\s*\)",
                  lambda m: str(scope.layout(m.group(1))[1]), expr)
    expr = re.sub(r"sizeof\s*\(\s*(\w+)\s*\)", lambda m: str(C_SIZEOF[m.group(1)]), expr)
    expr = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]+\b", r"\1", expr)
    return eval(expr.replace("/", "//"), {"__builtins__": {}}, scope)


def header_mismatches(fs_h: str, param_h: str, stat_h: str) -> list:
    """Every way the given header texts differ from rvemu.xv6fs ([] if none)."""
    bad = []
    param = Scope(c_defines(param_h), {}).values()
    for name in ("MAXOPBLOCKS", "LOGSIZE", "FSSIZE", "NDEV"):
        if param.get(name) != getattr(xv6fs, name):
            bad.append(f"param.h {name} = {param.get(name)}, Python {getattr(xv6fs, name)}")
    stat = Scope(c_defines(stat_h), {}).values()
    for name in ("T_DIR", "T_FILE", "T_DEVICE"):
        if stat.get(name) != getattr(xv6fs, name):
            bad.append(f"stat.h {name} = {stat.get(name)}, Python {getattr(xv6fs, name)}")

    defines = c_defines(fs_h)
    structs = c_structs(fs_h)
    env = Scope(defines, structs, param)
    if set(structs) != set(xv6fs.STRUCTS):
        bad.append(f"structs: fs.h {sorted(structs)}, Python {sorted(xv6fs.STRUCTS)}")
    for sname in set(structs) & set(xv6fs.STRUCTS):
        fields, csize = env.layout(sname)
        py = xv6fs.STRUCTS[sname]
        if list(py.fields) != fields:
            bad.append(f"struct {sname}: fs.h {fields}, Python {list(py.fields)}")
        if py.size != csize:
            bad.append(f"struct {sname}: C size {csize}, Python size {py.size}")

    for name, (params, body) in defines.items():
        if params is None:
            if getattr(xv6fs, name, None) != env[name]:
                bad.append(f"fs.h {name} = {env[name]}, Python {getattr(xv6fs, name, None)}")
            continue
        # Function-like macro: translate to Python and compare with xv6fs's function of the
        # same name on sample arguments.
        pyexpr = re.sub(r"\((\w+)\)\.(\w+)", r"\1.\2", body).replace("/", "//")
        fn = getattr(xv6fs, name, None)
        if fn is None:
            bad.append(f"fs.h macro {name} has no Python counterpart")
            continue
        sb = xv6fs.layout()
        for x in (0, 1, 15, 16, 17, 200, 8191, 8192, 19999):
            scope = {**env.values(), params[0]: x, params[1]: sb}
            want = eval(pyexpr, {"__builtins__": {}}, scope)
            if fn(x, sb) != want:
                bad.append(f"fs.h {name}({x}) = {want}, Python {fn(x, sb)}")
                break
    return bad


def headers():
    return [(KERNEL / n).read_text() for n in ("fs.h", "param.h", "stat.h")]


def test_python_format_matches_kernel_headers():
    assert header_mismatches(*headers()) == []


def test_header_check_is_not_vacuous():
    fs_h, param_h, stat_h = headers()
    assert c_structs(fs_h).keys() == {"superblock", "dinode", "dirent", "logheader"}
    assert {"ROOTINO", "BSIZE", "FSMAGIC", "NDIRECT", "NINDIRECT", "MAXFILE", "IPB", "BPB",
            "DIRSIZ", "IBLOCK", "BBLOCK"} <= c_defines(fs_h).keys()
    mutations = [
        (fs_h.replace("#define BSIZE     1024", "#define BSIZE     512"), param_h, stat_h),
        (fs_h.replace("short nlink;", "int nlink;"), param_h, stat_h),
        (fs_h.replace("uint addrs[NDIRECT + 1];", "uint addrs[NDIRECT + 2];"), param_h, stat_h),
        (fs_h.replace("uint bmapstart;", "uint bmapstart;\n  uint extra;"), param_h, stat_h),
        (fs_h.replace("(i) / IPB + (sb).inodestart", "(i) / IPB + (sb).bmapstart"), param_h,
         stat_h),
        (fs_h + "\nstruct newone { int x; };\n", param_h, stat_h),
        (fs_h, param_h.replace("(MAXOPBLOCKS * 3)  // max data", "(MAXOPBLOCKS * 4)  // m"),
         stat_h),
        (fs_h, param_h, stat_h.replace("T_DEVICE  3", "T_DEVICE  4")),
    ]
    for i, texts in enumerate(mutations):
        assert texts != (fs_h, param_h, stat_h), f"mutation {i} did not apply"
        assert header_mismatches(*texts), f"mutation {i} went unnoticed"


def test_derived_sizes():
    assert (SUPERBLOCK.size, DINODE.size, DIRENT.size) == (32, 64, 16)
    assert IPB == 16 and BPB == 8192 and MAXFILE == 268 and LOGSIZE == 30
    assert LOGHEADER.size <= BSIZE
    sb = xv6fs.layout()
    assert sb == (xv6fs.FSMAGIC, 20000, 20000 - 49, 200, 31, 2, 33, 46)


# ---------------------------------------------------------------------------------------------
# Helpers: an image in memory with raw field access, for building and damaging test cases.

class Raw:
    def __init__(self, data: bytes):
        self.b = bytearray(data)
        self.sb = SUPERBLOCK.unpack(self.b, BSIZE)

    def img(self):
        return xv6fs.Image(bytes(self.b))

    def inode_off(self, inum):
        return xv6fs.IBLOCK(inum, self.sb) * BSIZE + (inum % IPB) * DINODE.size

    def inode(self, inum):
        return DINODE.unpack(self.b, self.inode_off(inum))

    def set_inode(self, inum, **changes):
        off = self.inode_off(inum)
        self.b[off:off + DINODE.size] = DINODE.pack(*self.inode(inum)._replace(**changes))

    def set_addr(self, inum, i, block):
        addrs = list(self.inode(inum).addrs)
        addrs[i] = block
        self.set_inode(inum, addrs=tuple(addrs))

    def bit(self, b):
        return self.b[self.sb.bmapstart * BSIZE + b // 8] >> (b % 8) & 1

    def set_bit(self, b, value):
        off = self.sb.bmapstart * BSIZE + b // 8
        self.b[off] = self.b[off] & ~(1 << (b % 8)) | (value << (b % 8))

    def dirent_off(self, dinum, slot):
        ip = self.inode(dinum)
        return ip.addrs[slot // (BSIZE // DIRENT.size)] * BSIZE + \
            (slot % (BSIZE // DIRENT.size)) * DIRENT.size

    def set_dirent(self, dinum, slot, inum, name):
        """Write entry ``slot`` of directory ``dinum`` (in its first blocks), growing its size
        if the slot is past the end."""
        off = self.dirent_off(dinum, slot)
        self.b[off:off + DIRENT.size] = DIRENT.pack(inum, xv6fs.encode_name(name))
        ip = self.inode(dinum)
        if (slot + 1) * DIRENT.size > ip.size:
            self.set_inode(dinum, size=(slot + 1) * DIRENT.size)

    def free_data_block(self):
        for b in range(self.sb.size - self.sb.nblocks, self.sb.size):
            if not self.bit(b):
                return b
        raise AssertionError("full")


def build(files=(), size=SMALL, ninodes=200):
    return xv6fs.mkfs_bytes(files, size=size, ninodes=ninodes)


def sample_files():
    return [("README", b"xv6 readme\n"), ("cat", bytes(range(256)) * 40),
            ("bin/ls", b"ls binary"), ("bin/sub/deep", b"deep"), ("empty/", b""),
            ("zero", b"")]


# ---------------------------------------------------------------------------------------------
# 2. mkfs and the reader.

def test_layout_and_metadata():
    data = build(sample_files())
    assert len(data) == SMALL * BSIZE
    assert data[:BSIZE] == bytes(BSIZE)                 # block 0: free for the boot header
    sb = SUPERBLOCK.unpack(data, BSIZE)
    assert sb == xv6fs.layout(SMALL, 200)
    assert sb.size - sb.nblocks == sb.bmapstart + 1
    lh = LOGHEADER.unpack(data, sb.logstart * BSIZE)
    assert lh.n == 0
    img = xv6fs.Image(data)
    assert img.sb == sb
    root = img.inode(ROOTINO)
    assert root.type == T_DIR
    ents = img.dirents(ROOTINO)
    assert ents[0] == ("." , ROOTINO) and ents[1] == ("..", ROOTINO)
    assert [e.name for e in ents[2:]] == ["README", "cat", "bin", "empty", "zero"]
    assert xv6fs.fsck(data) == []


def test_nlink_rule():
    img = xv6fs.Image(build(sample_files()))
    # root: its own ".." + the ".." of bin and empty
    assert img.stat("/").nlink == 3
    assert img.stat("bin").nlink == 2                  # name in / + sub's ".."
    assert img.stat("bin/sub").nlink == 1
    assert img.stat("empty").nlink == 1
    assert img.stat("README").nlink == 1
    assert img.dirents(img.lookup("bin/sub"))[1] == ("..", img.lookup("bin"))


@pytest.mark.parametrize("nbytes", [0, 1, BSIZE - 1, BSIZE, NDIRECT * BSIZE,
                                    NDIRECT * BSIZE + 1, 100 * BSIZE + 7, MAXFILE * BSIZE])
def test_file_round_trip(nbytes):
    content = bytes((i * 7 + i // 251) & 0xFF for i in range(nbytes))
    data = build([("f", content), ("after", b"tail")])
    img = xv6fs.Image(data)
    assert img.read("f") == content
    assert img.read("/after") == b"tail"
    ip = img.stat("f")
    assert ip.size == nbytes and ip.type == T_FILE and ip.nlink == 1
    nb = -(-nbytes // BSIZE)
    assert (ip.addrs[NDIRECT] != 0) == (nb > NDIRECT)
    assert len(img.bmap(ip)) == nb
    assert xv6fs.fsck(data) == []


def test_two_max_files_and_indirect_block_contents():
    a = os.urandom(MAXFILE * BSIZE)
    b = os.urandom(MAXFILE * BSIZE - 5)
    data = build([("a", a), ("b", b)])
    img = xv6fs.Image(data)
    assert img.read("a") == a and img.read("b") == b
    ip = img.stat("a")
    entries = struct.unpack_from(f"<{MAXFILE - NDIRECT}I", img.block(ip.addrs[NDIRECT]))
    assert len(set(entries)) == MAXFILE - NDIRECT and 0 not in entries
    assert xv6fs.fsck(data) == []


def test_mkfs_rejects_bad_input():
    with pytest.raises(ValueError, match="MAXFILE"):
        build([("f", bytes(MAXFILE * BSIZE + 1))])
    with pytest.raises(ValueError, match="DIRSIZ"):
        build([("a" * (DIRSIZ + 1), b"")])
    build([("a" * DIRSIZ, b"")])                        # exactly DIRSIZ bytes is allowed
    with pytest.raises(ValueError, match="twice"):
        build([("x", b"1"), ("x", b"2")])
    with pytest.raises(ValueError, match="not a directory"):
        build([("x", b"1"), ("x/y", b"2")])
    with pytest.raises(ValueError):
        build([("../x", b"1")])
    with pytest.raises(ValueError, match="inodes"):
        build([(f"f{i}", b"") for i in range(20)], ninodes=16)
    with pytest.raises(ValueError, match="full"):
        build([("f", bytes(MAXFILE * BSIZE))], size=200)


def test_mkfs_device_nodes():
    """Device(major, minor) contents make a T_DEVICE inode (xv6/build.py makes /console so that
    a read-only disk boots); fsck finds the image clean."""
    data = build([("README", b"r"), ("console", xv6fs.Device(1)),
                  ("dev/null", xv6fs.Device(2, 7))])
    img = xv6fs.Image(data)
    con, null = img.stat("console"), img.stat("dev/null")
    assert (con.type, con.major, con.minor, con.nlink, con.size) == (T_DEVICE, 1, 0, 1, 0)
    assert (null.type, null.major, null.minor) == (T_DEVICE, 2, 7)
    assert img.stat("README").type == xv6fs.T_FILE
    assert xv6fs.fsck(data) == []
    with pytest.raises(ValueError, match="short"):
        build([("bad", xv6fs.Device(40000))])


def test_reader_paths_walk_and_errors():
    img = xv6fs.Image(build(sample_files()))
    assert img.read("bin/sub/deep") == b"deep"
    assert img.read("/bin//ls") == b"ls binary"
    assert img.read("zero") == b""
    assert [p for p, _, _ in img.walk()] == ["/", "/README", "/cat", "/bin", "/bin/ls",
                                              "/bin/sub", "/bin/sub/deep", "/empty", "/zero"]
    names = [n for n, _, _ in img.listdir("bin")]
    assert names == [".", "..", "ls", "sub"]
    with pytest.raises(FileNotFoundError):
        img.lookup("nope")
    with pytest.raises(NotADirectoryError):
        img.lookup("README/x")
    with pytest.raises(IsADirectoryError):
        img.read("bin")
    with pytest.raises(xv6fs.FsError):
        xv6fs.Image(bytes(4 * BSIZE))


def test_extract(tmp_path):
    img = xv6fs.Image(build(sample_files()))
    img.extract("/", tmp_path / "out")
    assert (tmp_path / "out" / "cat").read_bytes() == bytes(range(256)) * 40
    assert (tmp_path / "out" / "bin" / "sub" / "deep").read_bytes() == b"deep"
    assert (tmp_path / "out" / "empty").is_dir()
    img.extract("README", tmp_path / "r")
    assert (tmp_path / "r").read_bytes() == b"xv6 readme\n"


def test_full_size_image_and_boot_image(tmp_path):
    path = tmp_path / "fs.img"
    sb = xv6fs.mkfs(str(path), [("README", b"hi\n")])
    assert sb.size == xv6fs.FSSIZE and path.stat().st_size == xv6fs.FSSIZE * BSIZE
    assert xv6fs.fsck(str(path)) == []
    # rvemu.bootimg accepts it (block 0 empty); the bootable image still reads and checks.
    boot = bootimg.pack(path.read_bytes(), b"\x7fELF" + bytes(100))
    assert xv6fs.Image(boot).read("README") == b"hi\n"
    assert xv6fs.fsck(boot) == []


# ---------------------------------------------------------------------------------------------
# 3. fsck on damaged images.

def damaged(files=None):
    return Raw(build(sample_files() if files is None else files))


def problems(raw):
    return xv6fs.fsck(bytes(raw.b))


def has(found, *fragments):
    return any(all(f in p for f in fragments) for p in found)


def test_fsck_double_allocated_block():
    r = damaged()
    img = r.img()
    a, b = img.lookup("README"), img.lookup("bin/ls")
    r.set_addr(b, 0, img.inode(a).addrs[0])
    found = problems(r)
    assert has(found, f"block {img.inode(a).addrs[0]} used twice", f"inode {a}", f"inode {b}")
    # ls's old block is still marked in use, now by nobody
    assert has(found, f"block {img.inode(b).addrs[0]}", "not used")


def test_fsck_bitmap_bits():
    r = damaged()
    used = r.img().stat("README").addrs[0]
    r.set_bit(used, 0)
    assert problems(r) == [f"block {used} (inode 2) in use but free in the bitmap"]
    r = damaged()
    free = r.free_data_block()
    r.set_bit(free, 1)
    assert problems(r) == [f"block {free} marked in use in the bitmap but not used"]
    r = damaged()
    r.set_bit(r.sb.bmapstart, 0)                        # a metadata block
    assert has(problems(r), f"block {r.sb.bmapstart} (metadata) in use but free")
    r = damaged()
    r.set_bit(r.sb.size + 3, 1)
    assert has(problems(r), "past the end of the image")
    r = damaged()
    for b in range(r.sb.size - r.sb.nblocks, r.sb.size):
        r.set_bit(b, 1)
    found = problems(r)
    assert len(found) == xv6fs.MAX_REPORTS + 1 and has(found, "... and")


def test_fsck_link_counts():
    r = damaged()
    inum = r.img().lookup("README")
    r.set_inode(inum, nlink=2)
    assert problems(r) == [f"inode {inum} (/README): nlink 2, but 1 directory entries name it"]
    r = damaged()
    inum = r.img().lookup("bin")
    r.set_inode(inum, nlink=1)                          # forgot sub's ".."
    assert problems(r) == [f"inode {inum} (/bin): nlink 1, but 2 directory entries name it"]
    r = damaged()
    r.set_inode(ROOTINO, nlink=1)
    assert has(problems(r), "inode 1 (/): nlink 1, but 3")


def test_fsck_hard_link_and_device_are_consistent():
    r = damaged()
    img = r.img()
    readme = img.lookup("README")
    nroot = len(img.dirents(ROOTINO))
    r.set_dirent(ROOTINO, nroot, readme, "again")      # a second name: link()
    assert has(problems(r), "nlink 1, but 2")
    r.set_inode(readme, nlink=2)
    assert problems(r) == []
    dev = 150                                           # mknod("console", 1, 0)
    r.set_inode(dev, type=T_DEVICE, major=1, minor=0, nlink=1, size=0)
    r.set_dirent(ROOTINO, nroot + 1, dev, "console")
    assert problems(r) == []
    assert r.img().read("again") == b"xv6 readme\n"
    # any number mknod accepts (fs.h MAXMAJOR/MAXMINOR) is a valid node, driver or not
    r.set_inode(dev, major=xv6fs.NDEV, minor=7)
    assert problems(r) == []
    r.set_inode(dev, major=xv6fs.MAXMAJOR, minor=xv6fs.MAXMINOR)
    assert problems(r) == []
    r.set_inode(dev, major=-1)                          # 0xffff in the short field
    assert has(problems(r), "device major -1 outside 0..32767")
    r.set_inode(dev, major=1, minor=-2)
    assert has(problems(r), "device minor -2 outside 0..32767")


def test_fsck_dangling_and_bad_entries():
    r = damaged()
    n = len(r.img().dirents(ROOTINO))
    r.set_dirent(ROOTINO, n, 150, "ghost")
    assert problems(r) == ["directory / (inode 1): entry 'ghost' names free inode 150"]
    r = damaged()
    r.set_dirent(ROOTINO, n, 60000, "far")
    assert has(problems(r), "'far' names inode 60000, past ninodes")
    r = damaged()
    r.set_dirent(ROOTINO, n, r.img().lookup("zero"), "README")
    assert has(problems(r), "'README' appears twice")


def test_fsck_unreachable_inode():
    r = damaged()
    img = r.img()
    inum = img.lookup("zero")
    slot = [e.name for e in img.dirents(ROOTINO)].index("zero")
    r.set_dirent(ROOTINO, slot, 0, "")
    assert problems(r) == [f"inode {inum} (file, nlink 1) is allocated but not reachable from /"]


def test_fsck_names_crash_orphans():
    """A file unlinked while open when the machine stopped: nlink 0, unreachable, still
    allocated.  That is recovery state (the kernel frees it at boot), reported as an orphan."""
    r = damaged()
    img = r.img()
    inum = img.lookup("zero")
    slot = [e.name for e in img.dirents(ROOTINO)].index("zero")
    r.set_dirent(ROOTINO, slot, 0, "")
    r.set_inode(inum, nlink=0)
    found = problems(r)
    assert len(found) == 1 and found[0].startswith(f"orphan inode {inum} (file, nlink 0)")


def test_fsck_dot_entries():
    r = damaged()
    img = r.img()
    sub, binn = img.lookup("bin/sub"), img.lookup("bin")
    r.set_dirent(sub, 1, ROOTINO, "..")
    found = problems(r)
    assert has(found, f"(inode {sub}): '..' entries [1], want [{binn}]")
    r = damaged()
    r.set_dirent(sub, 0, binn, ".")
    assert has(problems(r), f"'.' entries [{binn}], want [{sub}]")
    r = damaged()
    r.set_dirent(sub, 0, 0, "")
    assert has(problems(r), "'.' entries [], want")
    r = damaged()                                       # a directory with two parents
    n = len(img.dirents(ROOTINO))
    r.set_dirent(ROOTINO, n, sub, "alias")
    assert has(problems(r), f"directory inode {sub} already has a parent")


def test_fsck_blocks_and_sizes():
    r = damaged()
    inum = r.img().lookup("README")
    r.set_addr(inum, 0, r.sb.inodestart)
    assert has(problems(r), f"inode {inum}: data block {r.sb.inodestart} outside the data area")
    r = damaged()
    r.set_addr(inum, 0, r.sb.size + 10)
    assert has(problems(r), "outside the data area")
    r = damaged()
    r.set_inode(inum, size=BSIZE + 1)                   # size says 2 blocks, 1 allocated
    assert has(problems(r), f"inode {inum}: size {BSIZE + 1} but block 1 is missing")
    r = damaged()
    r.set_inode(inum, size=0)                           # block kept beyond size
    assert has(problems(r), "lies beyond size 0")
    r = damaged()
    r.set_inode(inum, size=MAXFILE * BSIZE + 1)
    assert has(problems(r), "exceeds MAXFILE")
    r = damaged([("big", bytes(20 * BSIZE))])
    big = r.img().lookup("big")
    ind = r.inode(big).addrs[NDIRECT]
    free = r.free_data_block()
    struct.pack_into("<I", r.b, ind * BSIZE + 4 * 8, free)   # entry 8: file block 20 of 20
    found = problems(r)
    assert has(found, f"inode {big}: block {free} at index {NDIRECT + 8} lies beyond size")
    assert has(found, f"block {free} (inode {big}) in use but free in the bitmap")
    struct.pack_into("<I", r.b, ind * BSIZE + 4 * 7, 0)      # hole inside the file
    assert has(problems(r), f"inode {big}: size {20 * BSIZE} but block {NDIRECT + 7} is missing")
    r = damaged([("big", bytes(20 * BSIZE))])
    r.set_inode(big, size=NDIRECT * BSIZE)              # indirect block no longer needed
    assert has(problems(r), f"inode {big}: indirect block {ind} but size")
    r = damaged()
    d = r.img().lookup("empty")
    r.set_inode(d, size=DIRENT.size * 2 + 3)
    assert has(problems(r), "not a multiple of 16")
    r.set_inode(ROOTINO, size=2 ** 31)                  # must not crash the directory walk
    assert has(problems(r), "inode 1: size 2147483648 exceeds MAXFILE")


def test_fsck_inode_types():
    r = damaged()
    r.set_inode(r.img().lookup("README"), type=9)
    assert has(problems(r), "bad type 9")
    r = damaged()
    r.set_inode(ROOTINO, type=T_FILE)
    assert has(problems(r), "root inode 1 is a file")
    r = damaged()
    r.set_inode(0, type=T_FILE)
    assert has(problems(r), "inode 0 is allocated")


@pytest.mark.parametrize("field,value,message", [
    ("magic", 0x1234, "bad magic 0x1234"),
    ("size", SMALL + 1, "but the image has only"),
    ("nblocks", 10, "nblocks 10"),
    ("nlog", 3, "nlog 3"),
    ("inodestart", 10, "inodestart 10 overlaps the log"),
    ("bmapstart", 34, "bmapstart 34 leaves too few inode blocks"),
    ("ninodes", 1, "ninodes 1"),
    ("logstart", 1, "logstart 1"),
])
def test_fsck_bad_superblock(field, value, message):
    r = damaged()
    sb = r.sb._replace(**{field: value})
    r.b[BSIZE:BSIZE + SUPERBLOCK.size] = SUPERBLOCK.pack(*sb)
    found = problems(r)
    assert found and has(found, "superblock", message)


def test_fsck_truncated_image():
    assert has(xv6fs.fsck(b"\0" * 100), "too small")
    data = build(sample_files())
    assert has(xv6fs.fsck(data[:-BSIZE]), "but the image has only")


def test_fsck_never_crashes_on_random_damage():
    """Random byte changes in the superblock, log header, inodes, bitmap and directory blocks:
    fsck must always answer with a list, never raise."""
    base = build(sample_files() + [("big", bytes(range(256)) * 80)])
    sb = SUPERBLOCK.unpack(base, BSIZE)
    data0 = sb.size - sb.nblocks
    regions = [(BSIZE, BSIZE + SUPERBLOCK.size),
               (sb.logstart * BSIZE, sb.logstart * BSIZE + LOGHEADER.size),
               (sb.inodestart * BSIZE, (sb.inodestart + 1) * BSIZE),
               (sb.bmapstart * BSIZE, sb.bmapstart * BSIZE + 100),
               (data0 * BSIZE, (data0 + 30) * BSIZE)]
    rng = random.Random(6)
    for _ in range(300):
        b = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(*rng.choice(regions))] = rng.randrange(256)
        assert isinstance(xv6fs.fsck(bytes(b)), list)


# ---------------------------------------------------------------------------------------------
# 4. The log: a committed transaction that was not installed, then recovery.

def logged_create(data: bytes, name: str, content: bytes):
    """A Raw image whose log holds the committed (not installed) transaction of creating
    /name with ``content`` (< BSIZE) the way the kernel would: the file's data block, its
    inode block, the bitmap block and the root directory block."""
    home = Raw(data)
    img = home.img()
    inum = next(i for i in range(2, home.sb.ninodes) if home.inode(i).type == 0)
    blk = home.free_data_block()
    new = Raw(data)                                     # the state after the transaction
    new.b[blk * BSIZE:blk * BSIZE + len(content)] = content
    new.set_inode(inum, type=T_FILE, nlink=1, size=len(content),
                  addrs=(blk,) + (0,) * NDIRECT)
    new.set_bit(blk, 1)
    new.set_dirent(ROOTINO, len(img.dirents(ROOTINO)), inum, name)
    root_block = home.inode(ROOTINO).addrs[0]
    changed = [blk, xv6fs.IBLOCK(inum, home.sb), xv6fs.BBLOCK(blk, home.sb), root_block]
    assert len(set(changed)) == 4
    for i, b in enumerate(changed):                     # log data blocks, then the header
        dst = (home.sb.logstart + 1 + i) * BSIZE
        home.b[dst:dst + BSIZE] = new.b[b * BSIZE:(b + 1) * BSIZE]
    # the root directory's inode (size) lives in inode block 0 with inode 1; log that too if
    # it differs from the new file's inode block
    extra = []
    if xv6fs.IBLOCK(ROOTINO, home.sb) not in changed:
        extra = [xv6fs.IBLOCK(ROOTINO, home.sb)]
        dst = (home.sb.logstart + 1 + 4) * BSIZE
        home.b[dst:dst + BSIZE] = new.b[extra[0] * BSIZE:(extra[0] + 1) * BSIZE]
    blocks = changed + extra
    lh = LOGHEADER.pack(len(blocks), blocks + [0] * (LOGSIZE - len(blocks)))
    home.b[home.sb.logstart * BSIZE:home.sb.logstart * BSIZE + len(lh)] = lh
    return home, new, len(blocks)


def test_fsck_reports_committed_log_and_replay_installs_it(tmp_path):
    data = build(sample_files())
    raw, new, n = logged_create(data, "made", b"made by a transaction\n")
    assert problems(raw) == [f"log has {n} committed blocks to replay"]
    path = tmp_path / "fs.img"
    path.write_bytes(raw.b)
    assert xv6fs.replay_log(str(path)) == n
    assert xv6fs.fsck(str(path)) == []
    img = xv6fs.Image(str(path))
    assert img.read("made") == b"made by a transaction\n"
    after = path.read_bytes()
    sb = img.sb
    assert LOGHEADER.unpack(after, sb.logstart * BSIZE).n == 0
    # everything outside the log region equals the intended post-transaction state
    lo, hi = sb.logstart * BSIZE, (sb.logstart + sb.nlog) * BSIZE
    assert after[:lo] == bytes(new.b[:lo]) and after[hi:] == bytes(new.b[hi:])
    assert xv6fs.replay_log(str(path)) == 0             # idempotent


def test_fsck_checks_the_state_after_replay():
    data = build(sample_files())
    raw, _new, n = logged_create(data, "made", b"x")
    # damage a logged copy: the bitmap block in the log loses the new block's bit
    bm_slot = (raw.sb.logstart + 1 + 2) * BSIZE
    blk = LOGHEADER.unpack(raw.b, raw.sb.logstart * BSIZE).block[0]
    raw.b[bm_slot + blk // 8] &= ~(1 << (blk % 8))
    found = problems(raw)
    assert found[0] == f"log has {n} committed blocks to replay"
    assert has(found, f"block {blk}", "in use but free in the bitmap")


def test_corrupt_log_header(tmp_path):
    r = damaged()
    lh = LOGHEADER.pack(LOGSIZE + 1, [0] * LOGSIZE)
    r.b[r.sb.logstart * BSIZE:r.sb.logstart * BSIZE + len(lh)] = lh
    assert has(problems(r), "log header corrupt: n = 31")
    path = tmp_path / "bad.img"
    path.write_bytes(r.b)
    with pytest.raises(xv6fs.FsError, match="log header corrupt"):
        xv6fs.replay_log(str(path))
    r = damaged()
    lh = LOGHEADER.pack(1, [1] + [0] * (LOGSIZE - 1))    # would overwrite the superblock
    r.b[r.sb.logstart * BSIZE:r.sb.logstart * BSIZE + len(lh)] = lh
    assert has(problems(r), "entry 0 targets block 1")


# ---------------------------------------------------------------------------------------------
# 5. Command line.

def cli(capsys, *args):
    rc = xv6fs.main([str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli(tmp_path, capsys):
    (tmp_path / "hello.txt").write_bytes(b"hello\n")
    (tmp_path / "_prog").write_bytes(b"\x7fELF...")
    tree = tmp_path / "tree"
    (tree / "inner").mkdir(parents=True)
    (tree / "inner" / "f").write_bytes(b"inner f")
    img = tmp_path / "fs.img"
    rc, out, _ = cli(capsys, "mkfs", img, tmp_path / "hello.txt", f"prog={tmp_path / '_prog'}",
                     tree, "--size", 400)
    assert rc == 0 and "400 blocks" in out
    rc, out, _ = cli(capsys, "ls", img)
    assert rc == 0
    rows = [line.split() for line in out.splitlines()]
    assert [r[0] for r in rows] == [".", "..", "hello.txt", "prog", "tree"]
    assert rows[2] == ["hello.txt", "file", "2", "6"] and rows[4][1] == "dir"
    rc, out, _ = cli(capsys, "ls", img, "tree/inner/f")
    assert out.split() == ["f", "file", "6", "7"]
    rc, out, _ = cli(capsys, "fsck", img)
    assert rc == 0 and "clean" in out
    rc, _, _ = cli(capsys, "extract", img, "/tree", tmp_path / "x")
    assert rc == 0 and (tmp_path / "x" / "inner" / "f").read_bytes() == b"inner f"
    rc, out, err = cli(capsys, "cat", img, "missing")
    assert rc == 2 and "no such file" in err
    rc, out, _ = cli(capsys, "replay", img)
    assert rc == 0 and "installed 0" in out

    raw = Raw(img.read_bytes())
    raw.set_inode(2, nlink=5)
    img.write_bytes(raw.b)
    rc, out, _ = cli(capsys, "fsck", img)
    assert rc == 1 and "nlink 5" in out


def test_cli_subprocess(tmp_path):
    """``python -m rvemu.xv6fs`` end to end, including binary-safe cat and log replay."""
    payload = bytes(range(256)) * 5
    (tmp_path / "bin").write_bytes(payload)
    img = tmp_path / "fs.img"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))

    def run(*args):
        return subprocess.run([sys.executable, "-m", "rvemu.xv6fs", *map(str, args)],
                              capture_output=True, env=env, cwd=tmp_path, timeout=60)

    assert run("mkfs", img, tmp_path / "bin", "--size", 300).returncode == 0
    p = run("cat", img, "bin")
    assert p.returncode == 0 and p.stdout == payload
    raw, _new, n = logged_create(img.read_bytes(), "new", b"new\n")
    img.write_bytes(raw.b)
    p = run("fsck", img)
    assert p.returncode == 1 and f"log has {n} committed blocks to replay".encode() in p.stdout
    p = run("replay", img)
    assert p.returncode == 0 and f"installed {n}".encode() in p.stdout
    p = run("fsck", img)
    assert p.returncode == 0, p.stdout
    assert run("cat", img, "new").stdout == b"new\n"
