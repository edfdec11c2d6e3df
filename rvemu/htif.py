"""HTIF: the host-target interface of Spike and riscv-tests, through tohost/fromhost.

Owns: the meaning of a 64-bit word the guest stores into ``tohost``: device (bits 63:56),
command (55:48), payload (47:0).  Device 0 command 0 with payload bit 0 set ends the run with exit
code payload >> 1 (0 = pass); with bit 0 clear the payload points at a "magic memory" syscall
block [which, arg0, arg1, arg2] whose write (64) prints and exit (93) ends.  Device 1 command 1
prints a character.  The host clears tohost after reading it and answers in fromhost, as Spike
does.
"""

from __future__ import annotations

import struct

SYS_WRITE = 64
SYS_EXIT = 93


class HtifError(Exception):
    """The guest sent an HTIF request this host does not understand."""


class Htif:
    def __init__(self, core, tohost: int, fromhost: int | None):
        self.core = core
        self.tohost = tohost
        self.fromhost = fromhost
        self.output = bytearray()
        self.exit_code: int | None = None
        core.watch(tohost, tohost + 8)

    def _read64(self, addr):
        return struct.unpack("<Q", self.core.read_phys(addr, 8))[0]

    def _write64(self, addr, value):
        self.core.write_phys(addr, struct.pack("<Q", value))

    def poll(self) -> bool:
        """Handle a pending request.  Returns True when the guest asked to exit."""
        value = self._read64(self.tohost)
        if value == 0:
            return False
        self._write64(self.tohost, 0)
        dev, cmd, payload = value >> 56, (value >> 48) & 0xFF, value & ((1 << 48) - 1)
        if dev == 0 and cmd == 0:
            if payload & 1:
                self.exit_code = payload >> 1
                return True
            return self._syscall(payload)
        if dev == 1 and cmd == 1:
            self.output.append(payload & 0xFF)
            self._respond((1 << 56) | (1 << 48))
            return False
        if dev == 1 and cmd == 0:
            return False          # console read: no input is ever offered
        raise HtifError(f"unknown HTIF request {value:#018x} (device {dev}, command {cmd})")

    def _syscall(self, addr) -> bool:
        try:
            which, a0, a1, a2 = struct.unpack("<4Q", self.core.read_phys(addr, 32))
        except ValueError:
            raise HtifError(f"HTIF syscall block at {addr:#x} is outside RAM") from None
        if which == SYS_EXIT:
            self.exit_code = a0
            return True
        if which == SYS_WRITE:
            try:
                self.output += self.core.read_phys(a1, a2)
            except ValueError:
                raise HtifError(f"HTIF write of {a2} bytes at {a1:#x} is outside RAM") from None
            self._write64(addr, a2)
            self._respond(1)
            return False
        raise HtifError(f"unsupported HTIF syscall {which}")

    def _respond(self, value):
        if self.fromhost is not None:
            self._write64(self.fromhost, value)
