"""rvemu: a RISC-V RV64 full-system emulator for Python with a Cython core.

Public API::

    from rvemu import Machine, StopReason
    m = Machine(ram_mib=128, harts=1)
    m.load_elf("program.elf")
    reason = m.run(max_instructions=None)

See rvemu.machine for the details, rvemu.opcodes for the instruction table.
"""

__version__ = "0.1.0"

from .loader import ElfError
from .machine import Hart, Machine, StopReason
from .htif import HtifError

__all__ = ["Machine", "Hart", "StopReason", "ElfError", "HtifError", "__version__"]
