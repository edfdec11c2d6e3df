"""The host side of the serial console: a raw terminal, or a script on stdin.

Owns: putting the terminal in raw mode and restoring it on every exit path (normal return,
exception, a signal), the escape key (Ctrl-A X quits, Ctrl-A H helps, Ctrl-A Ctrl-A sends
Ctrl-A), non-blocking reads of host input, and the signals that end a run.

Signals: from catch_signals() to release_signals() (or while the console is entered, ``with
console:``, if nobody called catch_signals()), SIGTERM, SIGINT and SIGHUP restore
the terminal and raise Terminated(signum) -- a BaseException, so no ``except Exception`` on the
way (the gdb stub's, a device's) swallows it -- and the caller ends the run cleanly (the CLI
flushes the disk and exits with 128 + signum).  The first signal wins; later ones are ignored
while the run unwinds.  In case the exception is lost (raised inside a callback whose caller
cannot propagate it), ``check_signal()`` raises it again; run loops call it between slices.
In a terminal the console is raw, so Ctrl-C reaches the guest as a byte, not as SIGINT.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import threading
from typing import Optional

CTRL_A = 0x01
HELP = (b"\r\nrvemu console: C-a x  quit    C-a h  this help    C-a C-a  send C-a\r\n")


SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class QuitRequest(Exception):
    """The user typed Ctrl-A X."""


class Terminated(BaseException):
    """A signal asked rvemu to stop (signum: which)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


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
        self._handlers = {}
        self._own_handlers = False
        self.eof = False
        self.signal: Optional[int] = None       # the signal that ended the run, if one did

    # ---- terminal state ---------------------------------------------------------------------
    def __enter__(self):
        """Raw mode at a terminal (and the signals caught, if catch_signals() has not)."""
        if not self._handlers:
            self.catch_signals()
            self._own_handlers = True
        if self.interactive:
            import termios
            import tty
            self._saved = termios.tcgetattr(self.fd)
            tty.setraw(self.fd)
        return self

    def __exit__(self, *exc):
        self.restore()
        if self._own_handlers:
            self.release_signals()
        return False

    def catch_signals(self) -> None:
        """From now on SIGTERM, SIGINT and SIGHUP raise Terminated (main thread only)."""
        if threading.current_thread() is threading.main_thread() and not self._handlers:
            for sig in SIGNALS:
                self._handlers[sig] = signal.signal(sig, self._on_signal)

    def release_signals(self) -> None:
        """The handlers that were there before catch_signals()."""
        for sig, handler in self._handlers.items():
            signal.signal(sig, handler)
        self._handlers = {}
        self._own_handlers = False

    def restore(self) -> None:
        if self._saved is not None:
            import termios
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
            self._saved = None

    def _on_signal(self, signum, frame):
        if self.signal is not None:
            return                              # already ending
        self.signal = signum
        self.restore()
        raise Terminated(signum)

    def check_signal(self) -> None:
        """Raise Terminated if a signal arrived (see the module's notes)."""
        if self.signal is not None:
            raise Terminated(self.signal)

    # ---- data -------------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        """Guest output to stdout.  If its reader has gone (`rvemu | head`), the run ends as
        SIGPIPE ends a filter, but through the same clean exit as the signals above: disk
        flushed, terminal restored, status 128 + SIGPIPE, one line on stderr."""
        if self.interactive:
            data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        try:
            os.write(self.out_fd, data)
        except BrokenPipeError:
            if self.signal is None:
                self.signal = signal.SIGPIPE
                self.restore()
            raise Terminated(signal.SIGPIPE) from None

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
