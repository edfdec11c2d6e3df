"""Other RISC-V emulators that run the very same benchmark ELF files, for speed ratios.

- ``qemu``: ``qemu-system-riscv64 -M spike -bios none -kernel prog.elf`` (Debian's
  qemu-system-misc).  QEMU's spike machine speaks HTIF through the ELF's sized ``tohost`` /
  ``fromhost`` symbols and exits with the program's exit code.
- ``spike``: the Spike ISA simulator binary shipped in the PyPI ``spike`` wheel (package
  ``riscv``, ``riscv/data/bin/spike``), or a ``spike`` on PATH.  It compiles its device tree
  with ``dtc`` at start-up, so it needs Debian's device-tree-compiler.
- ``unicorn``: the PyPI ``unicorn`` package (QEMU's TCG as a library), in this process.  It
  runs the start code, the Sv39 set-up and ``mret`` to U-mode, but hands exceptions to the host
  instead of trapping to ``mtvec``: the workload's final ``ecall`` arrives as a
  ``UC_HOOK_INTR`` with cause 8, which ends the run (the checksum is in a0).  The M-mode trap
  handler's few instructions that the other emulators run after that ecall are not executed
  there (under 20 of millions).  No memory hook is used: one slows every store.

Each peer's ``unavailable()`` returns why it cannot run here (the test skips with that reason)
or None.  ``run(elf)`` runs one program to its end and raises PeerError when the guest did not
exit cleanly; it returns the checksum when the peer can see it, else None.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Dict, Optional

RAM_BASE = 0x80000000
RAM_MIB = 128
TIMEOUT = 600


class PeerError(RuntimeError):
    """The peer did not run the program to a clean exit."""


class Peer:
    name = "?"

    def unavailable(self) -> Optional[str]:
        raise NotImplementedError

    def version(self) -> str:
        raise NotImplementedError

    def run(self, elf: Path) -> Optional[int]:
        raise NotImplementedError


def _subprocess(cmd, what: str) -> None:
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
    if r.returncode != 0:
        tail = (r.stdout + r.stderr).decode(errors="replace")[-800:]
        raise PeerError(f"{what} exited with status {r.returncode}: {tail}")


class Qemu(Peer):
    name = "qemu"

    def __init__(self):
        self.exe = shutil.which("qemu-system-riscv64")

    @lru_cache(maxsize=None)
    def unavailable(self) -> Optional[str]:
        if self.exe is None:
            return "qemu-system-riscv64 is not installed (Debian: qemu-system-misc)"
        r = subprocess.run([self.exe, "-machine", "help"], capture_output=True, text=True)
        if not any(line.split()[:1] == ["spike"] for line in r.stdout.splitlines()):
            return f"{self.exe} has no spike machine"
        return None

    def version(self) -> str:
        r = subprocess.run([self.exe, "--version"], capture_output=True, text=True)
        return r.stdout.splitlines()[0].strip() if r.stdout else "?"

    def command(self, elf: Path):
        return [self.exe, "-machine", "spike", "-bios", "none", "-kernel", str(elf),
                "-m", f"{RAM_MIB}M", "-smp", "1", "-nographic"]

    def run(self, elf: Path) -> Optional[int]:
        _subprocess(self.command(elf), "qemu-system-riscv64")
        return None


class Spike(Peer):
    name = "spike"

    def __init__(self):
        self.exe = self._find()

    @staticmethod
    def _find() -> Optional[str]:
        # The wheel's own binary, not its `spike` console script (which re-executes it with
        # Python extension libraries loaded).
        spec = importlib.util.find_spec("riscv")
        if spec is not None and spec.origin:
            exe = Path(spec.origin).parent / "data" / "bin" / "spike"
            if exe.is_file():
                return str(exe)
        return shutil.which("spike")

    @lru_cache(maxsize=None)
    def unavailable(self) -> Optional[str]:
        if self.exe is None:
            return "spike is not installed (pip install spike)"
        if shutil.which("dtc") is None:
            return "spike needs dtc (Debian: device-tree-compiler)"
        return None

    def version(self) -> str:
        try:
            from importlib.metadata import version
            return f"spike (PyPI) {version('spike')}"
        except Exception:
            return "spike"

    def command(self, elf: Path):
        return [self.exe, "--isa=rv64imac", f"-m{RAM_MIB}", str(elf)]

    def run(self, elf: Path) -> Optional[int]:
        _subprocess(self.command(elf), "spike")
        return None


class Unicorn(Peer):
    name = "unicorn"

    @lru_cache(maxsize=None)
    def unavailable(self) -> Optional[str]:
        if importlib.util.find_spec("unicorn") is None:
            return "unicorn is not installed (pip install unicorn)"
        return None

    def version(self) -> str:
        import unicorn
        return f"unicorn {unicorn.__version__}"

    def run(self, elf: Path) -> Optional[int]:
        from unicorn import UC_ARCH_RISCV, UC_HOOK_INTR, UC_MODE_RISCV64, Uc
        from unicorn.riscv_const import UC_RISCV_REG_A0

        from rvemu.loader import read_elf

        image = read_elf(str(elf))
        uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV64)
        uc.mem_map(RAM_BASE, RAM_MIB << 20)
        for paddr, data, _memsz in image.segments:         # .bss: mem_map gives zeroed RAM
            uc.mem_write(paddr, data)
        seen: Dict[str, int] = {}

        def on_exception(uc, cause, _user):
            seen["cause"] = cause
            seen["a0"] = uc.reg_read(UC_RISCV_REG_A0)
            uc.emu_stop()

        uc.hook_add(UC_HOOK_INTR, on_exception)
        uc.emu_start(image.entry, 0, timeout=TIMEOUT * 1_000_000)
        if seen.get("cause") != 8:
            raise PeerError(f"unicorn stopped with exception {seen.get('cause')} instead of "
                            "the U-mode ecall (8)")
        return seen["a0"]


PEERS: Dict[str, Peer] = {p.name: p for p in (Qemu(), Spike(), Unicorn())}
