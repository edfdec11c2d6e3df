"""Build (and optionally run on QEMU) the bare-metal RISC-V test programs.

Each program is one source file in this folder, ``<name>.S`` (assembly through the C
preprocessor, using the macros of ``test_macros.h``) or ``<name>.c``, linked with the shared
start-up/trap code ``runtime.S`` and the linker script ``link.ld`` into ``<outdir>/<name>.elf``
(load address and entry 0x80000000).  Programs report through HTIF ``tohost``: exit code 0 on
success, else the number of the failing test case.

The toolchain is the PyPI ``ziglang`` package (clang for compiling/assembling, ld.lld for
linking).  A source file may carry options in comment lines of the form ``// @key: value``:

  ``// @isa: rv64ima``     build without the C extension (default ``rv64imac``)
  ``// @qemu: virt``       validate on QEMU's virt machine (a build with ``-DQEMU_VIRT`` that
                           exits through the SiFive test device) instead of the spike machine
  ``// @qemu: skip ...``   do not run on QEMU (the rest of the line says why)
  ``// @expect-console: a|b``  the console output must contain the lines a, b, ...
  ``// @expect-exit: N``   the program must end with exit code N (default 0: pass)

The programs check what the RISC-V specs say.  Where QEMU 7.2 (the reference used to validate
them) is known to deviate, the test case is wrapped in ``#ifndef SKIP_KNOWN_QEMU_BUGS`` with a
comment saying how QEMU differs; the QEMU builds define that macro, the normal build does not.

Build targets: ``htif`` (the normal build, run by rvemu), ``qemu`` (the same for QEMU's spike
machine, known QEMU deviations left out) and ``virt`` (for QEMU's virt machine: console on the
16550 UART, exit through the SiFive test device; for programs that need the time CSR, which
QEMU's spike machine does not provide).

Usage::

    python tests/baremetal/build.py OUTDIR [NAME...]          # build
    python tests/baremetal/build.py --qemu OUTDIR [NAME...]   # build and run on QEMU
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from rvemu import toolchain

HERE = Path(__file__).resolve().parent
LINK_SCRIPT = HERE / "link.ld"
HEADER = HERE / "test_macros.h"
RUNTIME = HERE / "runtime.S"
SHARED_INPUTS = (LINK_SCRIPT, HEADER, RUNTIME, Path(__file__).resolve())

ISAS = {"rv64imac": toolchain.CPU_RV64IMAC, "rv64ima": toolchain.CPU_RV64IMA}

TARGETS = {
    "htif": [],
    "qemu": ["-DSKIP_KNOWN_QEMU_BUGS"],
    "virt": ["-DSKIP_KNOWN_QEMU_BUGS", "-DQEMU_VIRT"],
}

_OPTION_RE = re.compile(r"^\s*//\s*@([\w-]+)\s*:\s*(.*?)\s*$")


class BuildError(RuntimeError):
    pass


def toolchain_available() -> bool:
    """True when the ziglang package (the compiler and linker) is importable."""
    return toolchain.available()


def _source(name: str) -> Path:
    for ext in (".S", ".c"):
        path = HERE / f"{name}{ext}"
        if path.exists():
            return path
    raise BuildError(f"no test program named {name!r} in {HERE}")


def list_programs() -> List[str]:
    """Names of all test programs (sources in this folder other than the runtime)."""
    names = set()
    for path in HERE.iterdir():
        if path.suffix in (".S", ".c") and path != RUNTIME:
            names.add(path.stem)
    return sorted(names)


def program_options(name: str) -> Dict[str, str]:
    """The ``// @key: value`` options of a program's source."""
    options = {}
    for line in _source(name).read_text().splitlines():
        match = _OPTION_RE.match(line)
        if match:
            options[match.group(1)] = match.group(2)
    return options


def qemu_machine(name: str) -> Optional[str]:
    """The QEMU machine a program is validated on ('spike' or 'virt'), None to skip it."""
    value = program_options(name).get("qemu", "spike")
    if value.startswith("skip"):
        return None
    if value not in ("spike", "virt"):
        raise BuildError(f"{name}: bad @qemu option {value!r}")
    return value


def expected_console(name: str) -> List[str]:
    """Lines the program must print on the console (``@expect-console``), maybe none."""
    value = program_options(name).get("expect-console", "")
    return [line for line in value.split("|") if line]


def expected_exit(name: str) -> int:
    """The exit code the program must end with (``@expect-exit``, default 0 = pass)."""
    return int(program_options(name).get("expect-exit", "0"))


def build(name: str, outdir: Path, target: str = "htif") -> Path:
    """Build program `name` into ``outdir`` and return the ELF's path.

    ``target`` is one of TARGETS: 'htif' (the normal build), 'qemu' or 'virt' (the builds
    for validating on QEMU's spike / virt machines).  Skips the work when the ELF is newer
    than all of its inputs.
    """
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}")
    outdir = Path(outdir).resolve()
    source = _source(name)
    suffix = "" if target == "htif" else f".{target}"
    elf = outdir / f"{name}{suffix}.elf"
    isa = program_options(name).get("isa", "rv64imac")
    if isa not in ISAS:
        raise BuildError(f"{name}: unknown @isa {isa!r}")
    try:
        return toolchain.build_program([RUNTIME, source], LINK_SCRIPT, elf,
                                       cache=outdir / ".zig-cache", cpu=ISAS[isa],
                                       include=[HERE], deps=SHARED_INPUTS,
                                       flags=TARGETS[target])
    except toolchain.ToolchainError as e:
        raise BuildError(f"{name}: {e}") from None


def build_all(outdir: Path, names: Optional[List[str]] = None, target: str = "htif",
              jobs: int = 4) -> Dict[str, Path]:
    """Build several programs (default: all) in parallel; returns name -> ELF path."""
    names = list_programs() if names is None else list(names)
    Path(outdir).mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        paths = list(pool.map(lambda n: build(n, outdir, target), names))
    return dict(zip(names, paths))


# ----------------------------------------------------------------------------------- QEMU --

# The hart rvemu models: RV64IMAC + Zicsr/Zifencei, S and U modes, Sstc; QEMU's default
# rv64 CPU also has H, F, D and the bit-manipulation extensions, which change what some CSRs
# read (mideleg, mie, misa), so they are switched off.
QEMU_CPU = ("rv64,h=false,f=false,d=false,v=false,zba=false,zbb=false,zbc=false,zbs=false,"
            "svpbmt=false,svnapot=false,svinval=false,sstc=true")


def qemu_binary() -> Optional[str]:
    return shutil.which("qemu-system-riscv64")


def run_qemu(elf: Path, machine: str = "spike", timeout: float = 20) -> Tuple[int, str]:
    """Run an ELF on QEMU; returns (exit code, console output).

    On the spike machine QEMU's HTIF device exits with the program's code (only its low 8
    bits: the test numbers stay below 255).  On virt the SiFive test device does the same.
    A timeout gives exit code -1.
    """
    cmd = [qemu_binary() or "qemu-system-riscv64", "-M", machine, "-cpu", QEMU_CPU,
           "-smp", "1", "-m", "128M",
           "-bios", "none", "-nographic", "-monitor", "none", "-serial", "stdio",
           "-kernel", str(elf)]
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or b""
        return -1, out.decode("latin-1")
    return proc.returncode, proc.stdout.decode("latin-1")


def _main(argv: List[str]) -> int:
    qemu = "--qemu" in argv
    args = [a for a in argv if a != "--qemu"]
    if not args:
        print(__doc__)
        return 2
    outdir = Path(args[0])
    names = args[1:] or list_programs()
    elfs = build_all(outdir, names)
    status = 0
    for name in names:
        line = f"{name:16s} {elfs[name]}"
        if qemu:
            machine = qemu_machine(name)
            if machine is None:
                line += "  qemu: skipped"
            else:
                elf = build(name, outdir, "qemu" if machine == "spike" else "virt")
                code, out = run_qemu(elf, machine)
                missing = [text for text in expected_console(name) if text not in out]
                ok = code == expected_exit(name) and not missing
                if missing:
                    out += f"\nmissing console output: {missing}"
                line += f"  qemu-{machine}: {'PASS' if ok else f'FAIL ({code})'}"
                if not ok:
                    status = 1
                    line += "\n" + out.strip()
        print(line)
    return status


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
