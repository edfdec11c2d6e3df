"""Bare-metal benchmark programs: U-mode workloads under Sv39, built with rvemu.toolchain."""

from pathlib import Path

from rvemu import toolchain

HERE = Path(__file__).resolve().parent
WORKLOADS = ("integer", "memory", "tlb")


def build(name: str, outdir: Path) -> Path:
    """Build workload `name` into outdir/<name>.elf (incrementally)."""
    return toolchain.build_program(
        [HERE / "start.S", HERE / "setup.c", HERE / f"{name}.c"],
        HERE / "link.ld", Path(outdir) / f"{name}.elf")
