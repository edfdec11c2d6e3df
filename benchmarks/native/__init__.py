"""The page-fault scenarios of xv6/user/faultbench.c on the host's own kernel, for scale.

``faults.c`` (next to this file) makes the same accesses with Linux's mmap, msync, fork and
read, and prints the host nanoseconds per page of each kind with the fault counts Linux
reported (getrusage).  ``build`` compiles it with the host's C compiler (cc, gcc or clang on
PATH, else ziglang's ``python -m ziglang cc``); ``measure`` runs it.  Linux only (MAP_POPULATE,
posix_fadvise); elsewhere ``build`` raises Unavailable.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Optional

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "faults.c"
TIMEOUT = 300


class Unavailable(Exception):
    """No native measurement here (not Linux, or no C compiler); the message says why."""


def compiler() -> Optional[List[str]]:
    """The command that runs the host's C compiler, or None."""
    for name in ("cc", "gcc", "clang"):
        found = shutil.which(name)
        if found:
            return [found]
    if importlib.util.find_spec("ziglang") is not None:
        return [sys.executable, "-m", "ziglang", "cc"]
    return None


def build(out_dir: Path) -> Path:
    """Compile faults.c into out_dir/faults (again only when the source is newer)."""
    if not sys.platform.startswith("linux"):
        raise Unavailable(f"the native comparison needs Linux, not {sys.platform}")
    cc = compiler()
    if cc is None:
        raise Unavailable("no host C compiler (cc, gcc, clang, or the ziglang package)")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    exe = out_dir / "faults"
    if exe.exists() and exe.stat().st_mtime >= SOURCE.stat().st_mtime:
        return exe
    r = subprocess.run([*cc, "-O2", "-Wall", "-pthread", "-o", str(exe), str(SOURCE)],
                       capture_output=True, text=True, timeout=TIMEOUT)
    if r.returncode != 0:
        raise Unavailable(f"{' '.join(cc)} failed on {SOURCE.name}: {r.stderr.strip()[-2000:]}")
    return exe


def measure(exe: Path, workdir: Path, pages: int, mapped: int, reps: int,
            dirty: Iterable[int]) -> Dict[str, dict]:
    """Run the native program: {kind: {"pages", "ns", "minflt", "majflt"}}, ns being the
    median host nanoseconds per page (per written page for msync-K and munmap-K)."""
    Path(workdir).mkdir(parents=True, exist_ok=True)
    args = [str(exe), str(workdir), str(pages), str(mapped), str(reps), *map(str, dirty)]
    r = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({r.returncode}): {r.stderr.strip()}")
    out: Dict[str, dict] = {}
    for line in r.stdout.splitlines():
        fields = dict(f.split("=", 1) for f in line.split())
        kind = fields.pop("kind")
        out[kind] = {k: (float(v) if k == "ns" else int(v)) for k, v in fields.items()}
    return out


def fs_type(path: Path) -> str:
    """The file-system type holding path (from /proc/self/mounts), or "?"."""
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return "?"
    target = os.path.realpath(path)
    best, kind = "", "?"
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, parts[2]
    return kind
