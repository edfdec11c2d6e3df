"""Bare-metal benchmark programs: U-mode workloads under Sv39, built with rvemu.toolchain.

Every workload keeps its size in ``volatile uint64_t rounds`` (initialised data, so it is in the
ELF file) and leaves its checksum in ``result``.  ``with_rounds`` writes a copy of an ELF with
``rounds`` changed: the smoke run uses tiny ones, the peers bigger ones, and ``rounds = 0`` is the
empty program (start-up, page tables, exit) whose time the peers' measurements subtract.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Tuple

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from rvemu import toolchain

HERE = Path(__file__).resolve().parent
WORKLOADS = ("integer", "memory", "tlb")
SMOKE_ROUNDS = 1                 # rounds in smoke mode (benchmarks disabled / RVEMU_BENCH_SMOKE)


def build(name: str, outdir: Path) -> Path:
    """Build workload `name` into outdir/<name>.elf (incrementally)."""
    return toolchain.build_program(
        [HERE / "start.S", HERE / "setup.c", HERE / f"{name}.c"],
        HERE / "link.ld", Path(outdir) / f"{name}.elf")


@dataclass(frozen=True)
class Symbol:
    address: int                 # virtual (= physical: the programs are linked at RAM)
    offset: int                  # file offset of its bytes, or -1 when they are not in the file


def symbols(elf: Path) -> Dict[str, Symbol]:
    """The ELF's global data symbols with their addresses and file offsets."""
    out: Dict[str, Symbol] = {}
    with open(elf, "rb") as f:
        e = ELFFile(f)
        segs: Tuple = tuple((s["p_vaddr"], s["p_filesz"], s["p_offset"])
                            for s in e.iter_segments() if s["p_type"] == "PT_LOAD")
        for sec in e.iter_sections():
            if not isinstance(sec, SymbolTableSection):
                continue
            for sym in sec.iter_symbols():
                if not sym.name or sym["st_info"]["type"] not in ("STT_OBJECT", "STT_NOTYPE"):
                    continue
                addr = sym["st_value"]
                off = next((o + addr - v for v, n, o in segs if v <= addr < v + n), -1)
                out[sym.name] = Symbol(addr, off)
    return out


def default_rounds(elf: Path) -> int:
    """The `rounds` value the workload was compiled with."""
    sym = symbols(elf)["rounds"]
    with open(elf, "rb") as f:
        f.seek(sym.offset)
        return int.from_bytes(f.read(8), "little")


def with_rounds(elf: Path, rounds: int) -> Path:
    """A copy of elf (beside it, named <stem>-r<rounds>.elf) whose `rounds` is patched; the
    copy is rewritten only when elf is newer."""
    elf = Path(elf)
    out = elf.with_name(f"{elf.stem}-r{rounds}.elf")
    if out.exists() and out.stat().st_mtime >= elf.stat().st_mtime:
        return out
    sym = symbols(elf).get("rounds")
    if sym is None or sym.offset < 0:
        raise ValueError(f"{elf}: no initialised `rounds` variable to patch")
    data = bytearray(elf.read_bytes())
    data[sym.offset:sym.offset + 8] = rounds.to_bytes(8, "little")
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(bytes(data))
    tmp.replace(out)
    return out
