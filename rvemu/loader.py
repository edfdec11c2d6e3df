"""ELF64 loading: validate a RISC-V executable and place its segments in guest RAM.

Owns: the checks a file must pass before it reaches guest memory (ELF magic, 64-bit, little
endian, EM_RISCV, an executable with loadable segments inside RAM) and the symbols the host
needs (HTIF ``tohost``/``fromhost``).  The float-ABI bits of e_flags are ignored on purpose:
xv6 and riscv-tests say rv64gc/lp64d in their headers while containing no FP instructions.
Parsing uses pyelftools; every failure becomes an :class:`ElfError` with one clear line.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

EM_RISCV = 243
PT_LOAD = "PT_LOAD"


class ElfError(Exception):
    """The file is not a loadable RISC-V ELF64 executable for this machine."""


@dataclass
class ElfImage:
    path: str
    entry: int
    # (physical address, file bytes, memory size): bytes beyond the file size are zero (.bss)
    segments: List[Tuple[int, bytes, int]]
    symbols: Dict[str, int] = field(default_factory=dict)


def read_elf(path: str, data: Optional[bytes] = None) -> ElfImage:
    """Parse and validate the ELF file at path (or the bytes data, path naming it in errors).
    Raises ElfError with the reason."""
    if data is None:
        if not os.path.exists(path):
            raise ElfError(f"{path}: no such file")
        if os.path.isdir(path):
            raise ElfError(f"{path}: is a directory")
        with open(path, "rb") as f:
            data = f.read()
    try:
        with io.BytesIO(data) as f:
            if f.read(4) != b"\x7fELF":
                raise ElfError(f"{path}: not an ELF file")
            f.seek(0)
            elf = ELFFile(f)
            if elf.elfclass != 64:
                raise ElfError(f"{path}: ELF{elf.elfclass}, need a 64-bit (ELF64) RISC-V file")
            if not elf.little_endian:
                raise ElfError(f"{path}: big-endian ELF, RISC-V is little-endian")
            if elf["e_machine"] not in ("EM_RISCV", EM_RISCV):
                raise ElfError(f"{path}: machine is {elf['e_machine']}, not RISC-V")
            if elf["e_type"] not in ("ET_EXEC", "ET_DYN"):
                raise ElfError(f"{path}: ELF type {elf['e_type']} is not an executable")
            segments = []
            size = len(data)
            for seg in elf.iter_segments():
                if seg["p_type"] != PT_LOAD or seg["p_memsz"] == 0:
                    continue
                if seg["p_filesz"] > seg["p_memsz"]:
                    raise ElfError(f"{path}: segment at {seg['p_paddr']:#x} has filesz > memsz")
                if seg["p_offset"] + seg["p_filesz"] > size:
                    raise ElfError(f"{path}: segment at {seg['p_paddr']:#x} runs past the end "
                                   "of the file (truncated?)")
                segments.append((seg["p_paddr"], seg.data(), seg["p_memsz"]))
            if not segments:
                raise ElfError(f"{path}: no loadable segments")
            symbols = {}
            for sec in elf.iter_sections():
                if isinstance(sec, SymbolTableSection):
                    for sym in sec.iter_symbols():
                        if sym.name in ("tohost", "fromhost"):
                            symbols[sym.name] = sym["st_value"]
            return ElfImage(path, elf["e_entry"], segments, symbols)
    except ElfError:
        raise
    except (ELFError, ValueError, KeyError, OSError, AssertionError) as e:
        raise ElfError(f"{path}: malformed ELF ({e})") from None
    except Exception as e:  # pyelftools raises assorted errors on corrupt structures
        raise ElfError(f"{path}: malformed ELF ({type(e).__name__}: {e})") from None


def place(image: ElfImage, ram_base: int, ram_size: int) -> None:
    """Check that every segment lies in RAM [ram_base, ram_base + ram_size)."""
    for paddr, _data, memsz in image.segments:
        if paddr < ram_base or paddr + memsz > ram_base + ram_size:
            raise ElfError(f"{image.path}: segment {paddr:#x}..{paddr + memsz:#x} lies outside "
                           f"RAM {ram_base:#x}..{ram_base + ram_size:#x}")
