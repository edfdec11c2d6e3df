"""The host side of the serial console: a raw terminal, or a script on stdin.

Owns: putting the terminal in raw mode and restoring it on every exit path (normal return,
exception, SIGTERM/SIGHUP), the escape key (Ctrl-A X quits, Ctrl-A H helps, Ctrl-A Ctrl-A sends
Ctrl-A), and non-blocking reads of host input.
"""

from __future__ import annotations

import os
import select
import signal
import sys
from typing import Optional

CTRL_A = 0x01
HELP = (b"\r\nrvemu console: C-a x  quit    C-a h  this help    C-a C-a  send C-a\r\n")


class QuitRequest(Exception):
    """The user typed Ctrl-A X."""


class Console:
    """Reads host input for the guest's UART; writes guest output to stdout."""

    def __init__(self, stdin=None, stdout=None):
        self.stdin = stdin if stdin is not None else sys.stdin
        self.stdout = stdout if stdout is not None else sys.stdout
        self.fd = self.stdin.fileno()
        self.out_fd = self.stdout.fileno()
        self.interactive = os.isatty(self.fd)
        self._saved = None
        self._escape = False
        self.eof = False

    # ---- terminal state ---------------------------------------------------------------------
    def __enter__(self):
        if self.interactive:
            import termios
            import tty
            self._saved = termios.tcgetattr(self.fd)
            tty.setraw(self.fd)
            for sig in (signal.SIGTERM, signal.SIGHUP):
                signal.signal(sig, self._on_signal)
        return self

    def __exit__(self, *exc):
        self.restore()
        return False

    def restore(self) -> None:
        if self._saved is not None:
            import termios
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
            self._saved = None

    def _on_signal(self, signum, frame):
        self.restore()
        raise SystemExit(128 + signum)

    # ---- data -------------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        if self.interactive:
            data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        os.write(self.out_fd, data)

    def poll(self, timeout: float = 0.0) -> bytes:
        """Host input available now (waiting up to timeout seconds).  Raises QuitRequest."""
        if self.eof:
            return b""
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return b""
        data = os.read(self.fd, 4096)
        if not data:
            self.eof = True
            return b""
        return self._filter(data) if self.interactive else data

    def _filter(self, data: bytes) -> bytes:
        out = bytearray()
        for b in data:
            if self._escape:
                self._escape = False
                if b in (ord("x"), ord("X")):
                    raise QuitRequest()
                if b in (ord("h"), ord("H"), ord("?")):
                    os.write(self.out_fd, HELP)
                elif b == CTRL_A:
                    out.append(CTRL_A)
                continue
            if b == CTRL_A:
                self._escape = True
                continue
            out.append(b)
        return bytes(out)
