"""rvemu: a RISC-V RV64 full-system emulator for Python with a Cython core.

Public API::

    from rvemu import Machine, StopReason        # harts + RAM (+ HTIF for bare-metal programs)
    from rvemu.board import Board                # the QEMU-virt-compatible board with devices
    m = Machine(ram_mib=128, harts=1)
    m.load_elf("program.elf")
    reason = m.run(max_instructions=None)

The compiled core is imported on first use, so the pure-Python parts (opcodes, toolchain,
xv6fs, bootimg) work before the extension is built (the build itself uses them).
"""

from ._version import __version__

_LAZY = {
    "Machine": "machine", "Hart": "machine", "StopReason": "machine",
    "ElfError": "loader", "HtifError": "htif",
}

__all__ = ["Machine", "Hart", "StopReason", "ElfError", "HtifError", "__version__"]


def __getattr__(name):
    if name in _LAZY:
        import importlib
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'rvemu' has no attribute {name!r}")
