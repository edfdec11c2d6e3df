"""Argument checks of the public Python API (Machine, Hart, Board, the debug calls).

Owns: the rule that a bad argument gets a TypeError (wrong kind of value) or a ValueError (a
value out of range) naming the call and the argument, before it reaches the compiled core, where
it could otherwise hang a run (a zero slice), overflow a C conversion, or be silently truncated.
bool is not accepted where a number is meant.
"""

from __future__ import annotations

import os
from typing import Optional

MASK64 = (1 << 64) - 1


def integer(where: str, name: str, value, lo: Optional[int] = None,
            hi: Optional[int] = None) -> int:
    """value as an int in [lo, hi] (either bound may be open)."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{where}: {name} must be an integer, not {type(value).__name__}")
    value = value.__index__()
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        if hi is None:
            wanted = f">= {lo}"
        elif lo is None:
            wanted = f"<= {hi:#x}" if hi > 1 << 32 else f"<= {hi}"
        else:
            wanted = f"in {lo}..{hi:#x}" if hi > 1 << 32 else f"in {lo}..{hi}"
        raise ValueError(f"{where}: {name} must be {wanted}, not {value}")
    return value


def optional_integer(where: str, name: str, value, lo: Optional[int] = None,
                     hi: Optional[int] = None) -> Optional[int]:
    return None if value is None else integer(where, name, value, lo, hi)


def word(where: str, name: str, value) -> int:
    """A 64-bit register value: any integer, as its low 64 bits (two's complement), the way a
    register holds it; only a value that is not an integer is refused."""
    return integer(where, name, value) & MASK64


def flag(where: str, name: str, value) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{where}: {name} must be True or False, not {type(value).__name__}")
    return value


def path(where: str, name: str, value) -> str:
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{where}: {name} must be a path, not {type(value).__name__}")
    return os.fspath(value)


def callable_or_none(where: str, name: str, value):
    if value is not None and not callable(value):
        raise TypeError(f"{where}: {name} must be callable or None, not {type(value).__name__}")
    return value


def data(where: str, name: str, value) -> bytes:
    if isinstance(value, str) or not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{where}: {name} must be bytes-like, not {type(value).__name__}")
    return bytes(value)


def choice(where: str, name: str, value, options) -> str:
    if value not in options:
        raise ValueError(f"{where}: {name} must be one of {', '.join(map(repr, options))}, "
                         f"not {value!r}")
    return value
