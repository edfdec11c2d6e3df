"""Bare-metal benchmark programs, built with rvemu.toolchain.

The workloads of test_interp and the peers (WORKLOADS) run in U-mode under Sv39 (start.S,
setup.c); ``smpboot`` runs in M-mode on any number of harts (smpboot.S).  ``sharedpage`` and
``sharedpage-aligned`` are the same objects linked with two layouts (SAME_INSTRUCTIONS).

Every program keeps its size in ``volatile uint64_t rounds`` (initialised data, so it is in the
ELF file) and leaves its checksum in ``result``.  ``with_rounds`` writes a copy of an ELF with
``rounds`` changed (``with_values`` any such variables, e.g. smpboot's ``harts``): the smoke run
uses tiny ones, the peers bigger ones, and ``rounds = 0`` is the empty program (start-up, page
tables, exit) whose time the measurements subtract.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Tuple

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from rvemu import toolchain

HERE = Path(__file__).resolve().parent
SMOKE_ROUNDS = 1                 # rounds in smoke mode (benchmarks disabled / RVEMU_BENCH_SMOKE)

_USER = ("start.S", "setup.c")   # M-mode start, Sv39 tables, U-mode call of user_main
# name: (sources, link script)
PROGRAMS: Dict[str, Tuple[Tuple[str, ...], str]] = {
    "integer": (_USER + ("integer.c",), "link.ld"),
    "memory": (_USER + ("memory.c",), "link.ld"),
    "tlb": (_USER + ("tlb.c",), "link.ld"),
    "sharedpage": (_USER + ("sharedpage.c",), "sharedpage.ld"),
    "sharedpage-aligned": (_USER + ("sharedpage.c",), "sharedpage-aligned.ld"),
    "smpboot": (("smpboot.S", "smpboot.c"), "link.ld"),
}
# The one-hart U-mode workloads of test_interp.py and test_peers.py.
WORKLOADS = ("integer", "memory", "tlb", "sharedpage", "sharedpage-aligned")
# Programs that run exactly the instructions of another (same objects, another layout): their
# instruction counts and checksums are the other's.  Value: the twin whose data has a page of
# its own; key: the program whose data shares the code's page.
SAME_INSTRUCTIONS = {"sharedpage": "sharedpage-aligned"}


def build(name: str, outdir: Path) -> Path:
    """Build program `name` (a key of PROGRAMS) into outdir/<name>.elf (incrementally)."""
    sources, script = PROGRAMS[name]
    return toolchain.build_program([HERE / s for s in sources], HERE / script,
                                   Path(outdir) / f"{name}.elf", deps=[HERE / "htif.h"])


@dataclass(frozen=True)
class Symbol:
    address: int                 # virtual (= physical: the programs are linked at RAM)
    offset: int                  # file offset of its bytes, or -1 when they are not in the file
    size: int = 8                # bytes (0 for labels without a size)


def symbols(elf: Path) -> Dict[str, Symbol]:
    """The ELF's named data and function symbols with their addresses and file offsets."""
    out: Dict[str, Symbol] = {}
    with open(elf, "rb") as f:
        e = ELFFile(f)
        segs: Tuple = tuple((s["p_vaddr"], s["p_filesz"], s["p_offset"])
                            for s in e.iter_segments() if s["p_type"] == "PT_LOAD")
        for sec in e.iter_sections():
            if not isinstance(sec, SymbolTableSection):
                continue
            for sym in sec.iter_symbols():
                if not sym.name or sym["st_info"]["type"] not in ("STT_OBJECT", "STT_NOTYPE",
                                                                   "STT_FUNC"):
                    continue
                addr = sym["st_value"]
                off = next((o + addr - v for v, n, o in segs if v <= addr < v + n), -1)
                out[sym.name] = Symbol(addr, off, sym["st_size"])
    return out


def default_rounds(elf: Path) -> int:
    """The `rounds` value the workload was compiled with."""
    sym = symbols(elf)["rounds"]
    with open(elf, "rb") as f:
        f.seek(sym.offset)
        return int.from_bytes(f.read(8), "little")


def same_page(elf: Path, a: str, b: str) -> bool:
    """Whether symbols a and b of elf lie in one 4 KiB page."""
    syms = symbols(elf)
    return syms[a].address >> 12 == syms[b].address >> 12


def with_rounds(elf: Path, rounds: int) -> Path:
    """A copy of elf (beside it, named <stem>-r<rounds>.elf) whose `rounds` is patched; the
    copy is rewritten only when elf is newer."""
    return with_values(elf, rounds=rounds)


def with_values(elf: Path, **values: int) -> Path:
    """A copy of elf with initialised 64-bit variables patched, e.g. with_values(elf, rounds=2,
    harts=3) -> <stem>-r2-harts3.elf beside elf (`rounds` is "-r<n>", any other "-<name><n>");
    the copy is rewritten only when elf is newer."""
    elf = Path(elf)
    tag = "".join(f"-r{v}" if k == "rounds" else f"-{k}{v}" for k, v in values.items())
    out = elf.with_name(f"{elf.stem}{tag}.elf")
    if out.exists() and out.stat().st_mtime >= elf.stat().st_mtime:
        return out
    syms = symbols(elf)
    data = bytearray(elf.read_bytes())
    for name, value in values.items():
        sym = syms.get(name)
        if sym is None or sym.offset < 0 or sym.size != 8:
            raise ValueError(f"{elf}: no initialised 64-bit `{name}` variable to patch")
        data[sym.offset:sym.offset + 8] = value.to_bytes(8, "little")
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(bytes(data))
    tmp.replace(out)
    return out
