"""Build RISC-V guest code with the PyPI ``ziglang`` package (clang + lld, no system toolchain).

Owns: the one set of target and code-generation flags guest code is compiled with
(shared/docs/toolchain.md explains each), the zig cache location, and incremental rebuilds
(an output is rebuilt only when it is older than one of its inputs).  Used by the bare-metal
tests, the benchmarks and the xv6 build.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterable, List, Optional, Sequence

# RV64IMAC with Zicsr/Zifencei.  zig reads -mcpu, not -march; baseline_rv64 would bring D.
CPU_RV64IMAC = "generic_rv64+m+a+c+zicsr+zifencei"
CPU_RV64IMA = "generic_rv64+m+a+zicsr+zifencei"

CFLAGS = [
    "-mcmodel=medany", "-mno-relax", "-ffreestanding", "-fno-builtin", "-nostdlib",
    "-fno-common", "-fno-stack-protector", "-fno-pie", "-fno-asynchronous-unwind-tables",
    "-fno-unwind-tables", "-fno-sanitize=undefined", "-O2", "-g0",
]


class ToolchainError(RuntimeError):
    """The compiler or linker failed; the message carries its output."""


def available() -> bool:
    try:
        import ziglang  # noqa: F401
    except ImportError:
        return False
    return True


def _env(cache: Path) -> dict:
    env = dict(os.environ)
    env["ZIG_GLOBAL_CACHE_DIR"] = str(cache)
    env["ZIG_LOCAL_CACHE_DIR"] = str(cache)
    return env


def _run(args: Sequence[str], cache: Path) -> None:
    cmd = [sys.executable, "-m", "ziglang", *args]
    r = subprocess.run(cmd, env=_env(cache), capture_output=True, text=True)
    if r.returncode != 0:
        raise ToolchainError(f"{' '.join(args[:1])} failed:\n{r.stdout}{r.stderr}")


def stale(output: Path, inputs: Iterable[Path]) -> bool:
    if not output.exists():
        return True
    t = output.stat().st_mtime
    return any(Path(i).stat().st_mtime > t for i in inputs)


def compile(src: Path, obj: Path, cache: Path, cpu: str = CPU_RV64IMAC,
            extra: Sequence[str] = (), deps: Sequence[Path] = ()) -> Path:
    """Compile or assemble (.c / .S) src into obj unless obj is up to date."""
    obj.parent.mkdir(parents=True, exist_ok=True)
    if stale(obj, [src, *deps]):
        _run(["cc", "-target", "riscv64-freestanding-none", f"-mcpu={cpu}", *CFLAGS, *extra,
              "-c", str(src), "-o", str(obj)], cache)
    return obj


def link(objs: Sequence[Path], script: Path, out: Path, cache: Path,
         extra: Sequence[str] = ()) -> Path:
    """Link with ld.lld directly (it honours the script's ENTRY)."""
    if stale(out, [*objs, script]):
        _run(["ld.lld", "-T", str(script), "--no-relax", *extra, "-o", str(out),
              *map(str, objs)], cache)
    return out


def build_program(sources: Sequence[Path], script: Path, out: Path,
                  cache: Optional[Path] = None, cpu: str = CPU_RV64IMAC,
                  include: Sequence[Path] = (), deps: Sequence[Path] = (),
                  flags: Sequence[str] = ()) -> Path:
    """Compile every source (with extra compiler flags, e.g. -D) and link them into the ELF
    out.  Objects go to out's folder, in <out stem>.obj/."""
    out = Path(out)
    cache = Path(cache) if cache else out.parent / ".zig-cache"
    objdir = out.parent / (out.stem + ".obj")
    extra: List[str] = [f"-I{p}" for p in include] + list(flags)
    objs = [compile(Path(s), objdir / (Path(s).name + ".o"), cache, cpu, extra, deps)
            for s in sources]
    return link(objs, script, out, cache)
