"""The console UART: a National/TI PC16550D ("16550A") at UART0, as QEMU's `virt` board has one.

Owns: the eight byte-wide registers of the PC16550D datasheet (section 8, "Registers"), the
receiver FIFO and a host-side input backlog, the interrupt identification logic and the level of
the UART's interrupt wire (`irq`, normally PLIC source 10).  It never sees the CPU: output bytes
go to the `output` callback, input arrives through `feed()`.

Register map (datasheet Table II), offsets relative to the UART's base, one byte each:

    0  RBR (read) / THR (write)        DLL when LCR.DLAB = 1
    1  IER                             DLM when LCR.DLAB = 1
    2  IIR (read) / FCR (write)
    3  LCR          4  MCR          5  LSR          6  MSR          7  SCR

How this model follows the datasheet, and where it deliberately simplifies:

* Access width.  The registers are 8 bits wide.  An access of any size (1, 2, 4 or 8 bytes) at
  offset 0..7 reaches the one register at that offset: a read returns its byte zero-extended, a
  write uses the low byte of the value.  As on QEMU, only those 8 bytes of the 0x100 slot answer
  (`accepts`): an access at offset 8 or above is an access fault (rvemu.bus).
* Transmitter (datasheet 8.6, 8.9).  Transmission is instantaneous: a THR write hands the byte to
  `output` at once, so the transmitter FIFO never holds anything and LSR.THRE and LSR.TEMT always
  read 1.  In loopback mode (MCR bit 4, datasheet 8.7) the byte goes to our own receiver instead.
* Receiver (datasheet 8.4, 8.5).  The receive FIFO holds 16 bytes when FIFOs are enabled (FCR
  bit 0) and 1 byte (the RBR holding register) otherwise.  Host input from `feed()` first goes to
  an unbounded backlog and moves into the FIFO whenever there is room (the host behaves as if it
  had hardware flow control), so pasted input is never lost.  A byte arriving at a full receiver
  only happens in loopback mode; it sets LSR.OE and, per datasheet 8.6 LSR bit 1, is discarded in
  FIFO mode and overwrites RBR in 16450 mode.  While loopback is on, the serial input is
  disconnected (datasheet 8.7), so the backlog waits.  No parity, framing or break conditions are
  ever produced, so LSR bits 2, 3, 4 and 7 read 0.
* Divisor latches, LCR word format and SCR are stored and read back but change nothing.
* Interrupts (datasheet 8.10, Table IV), highest priority first, as reported in IIR bits 3:0:
    0x6  receiver line status: LSR.OE set and IER.ELSI (bit 2); cleared by reading LSR.
    0x4  received data available: IER.ERBFI (bit 0) and, with FIFOs, at least the FCR trigger
         level (1/4/8/14 bytes for FCR bits 7:6) in the FIFO, else any byte in RBR.
    0xC  character timeout (FIFO mode only): IER.ERBFI and the FIFO holds data below the trigger
         level.  Simplification: the datasheet raises it only after four character times with
         no FIFO activity; with no wire timing to model we raise it whenever data sits below the
         trigger level, so the guest is never left waiting for input it cannot see.
    0x2  THR empty: IER.ETBEI (bit 1) and the THRE latch.  Datasheet Table IV: set when the
         THR becomes empty, reset by reading IIR (if THRE is the source it reports) or by writing
         THR.  A THR write resets it and, the byte leaving at once, sets it again.  As in QEMU
         (hw/char/serial.c), a write to IER that turns ETBEI on sets the latch (the THR is always
         empty) and one that turns ETBEI off resets it; rewriting IER unchanged does nothing.
    0x0  modem status: IER.EDSSI (bit 3) and any MSR delta bit (3:0) set; cleared by reading MSR.
  IIR bit 0 is 1 when nothing is pending; bits 7:6 read 11 when FIFOs are enabled.
* The interrupt wire.  On a PC the INTR pin is gated by MCR.OUT2; QEMU's `virt` UART is not, and
  xv6 never sets OUT2, so here `irq` is high exactly when IIR reports a pending interrupt,
  whatever OUT2 says.  OUT2 is stored and, in loopback mode, shows up as MSR.DCD.  The wire is
  re-evaluated (`irq.set`, which the PLIC takes as a new request while it is high) where QEMU
  re-evaluates it: input arriving, RBR reads, THR writes, IER writes that change IER, FCR and MCR
  writes, and reads of IIR, LSR and MSR that clear the condition they report.  A guest that
  never reads IIR therefore gets one request per THR write, not an interrupt storm.
* Modem lines.  Outside loopback the "cable" has CTS, DSR and DCD asserted and RI deasserted
  (MSR = 0xB0 after reset).  In loopback, MSR bits 7:4 follow MCR bits OUT2, OUT1, DTR, RTS
  (datasheet 8.7) and the delta bits record changes (TERI on RI going from 1 to 0).
* LSR and MSR writes are ignored (the datasheet reserves them for factory test).

Nothing a guest writes can make this device raise a Python exception.
"""

from __future__ import annotations

from collections import deque
from typing import Callable

from .base import IrqLine

# Register offsets (datasheet Table II).
RBR = THR = DLL = 0
IER = DLM = 1
IIR = FCR = 2
LCR = 3
MCR = 4
LSR = 5
MSR = 6
SCR = 7

# IER bits.
IER_ERBFI = 0x01  # received data available
IER_ETBEI = 0x02  # transmitter holding register empty
IER_ELSI = 0x04   # receiver line status
IER_EDSSI = 0x08  # modem status

# IIR interrupt identification codes (bits 3:0).
IIR_NONE = 0x01
IIR_RLS = 0x06
IIR_RDA = 0x04
IIR_CTI = 0x0C
IIR_THRE = 0x02
IIR_MSI = 0x00
IIR_FIFOS = 0xC0

# FCR bits.
FCR_ENABLE = 0x01
FCR_RX_RESET = 0x02
FCR_TX_RESET = 0x04
FCR_DMA = 0x08
TRIGGER_LEVELS = (1, 4, 8, 14)  # FCR bits 7:6

LCR_DLAB = 0x80

# MCR bits.
MCR_DTR = 0x01
MCR_RTS = 0x02
MCR_OUT1 = 0x04
MCR_OUT2 = 0x08
MCR_LOOP = 0x10

# LSR bits.
LSR_DR = 0x01
LSR_OE = 0x02
LSR_THRE = 0x20
LSR_TEMT = 0x40

# MSR bits.
MSR_DCTS = 0x01
MSR_DDSR = 0x02
MSR_TERI = 0x04
MSR_DDCD = 0x08
MSR_CTS = 0x10
MSR_DSR = 0x20
MSR_RI = 0x40
MSR_DCD = 0x80

# The modem inputs when not in loopback: a terminal with CTS, DSR and DCD asserted.
MSR_CABLE = MSR_CTS | MSR_DSR | MSR_DCD

FIFO_DEPTH = 16

NREGS = 8  # the bytes of the slot that answer


class Uart16550:
    """A PC16550D with instant transmit; `irq` is its interrupt wire, `output` gets sent bytes."""

    def __init__(self, irq: IrqLine, output: Callable[[bytes], None]):
        self.irq = irq
        self.output = output
        self._backlog: deque = deque()
        self._rx: deque = deque()
        self.reset()

    # ---- host side ------------------------------------------------------------------------

    def reset(self) -> None:
        """Master reset (datasheet Table III): registers to their reset values, FIFOs empty.

        Host input not yet in the receiver (the backlog) is kept: it is still "on the wire"."""
        self.ier = 0
        self.lcr = 0
        self.mcr = 0
        self.scr = 0
        self.dll = 0
        self.dlm = 0
        self.fifo_enabled = False
        self.fcr_bits = 0          # FCR bits 7:6 and 3 as last programmed
        self.trigger = 1
        self.overrun = False       # LSR.OE
        self.thre_pending = False  # the THRE interrupt latch
        self.msr_deltas = 0        # MSR bits 3:0
        self._clear_rx()
        self._fill()
        self._update()

    def feed(self, data: bytes) -> None:
        """Queue bytes typed on the host; they reach the receiver as the guest makes room."""
        if data:
            self._backlog.extend(bytes(data))
            self._fill()
            self._update()

    def rx_space(self) -> int:
        """Free room in the guest-visible receiver (FIFO, or the 1-byte RBR in 16450 mode)."""
        return max(0, self._capacity() - len(self._rx))

    def pending_input(self) -> int:
        """Input bytes the guest has not read yet: the host backlog plus the receiver's bytes.

        (In loopback mode the receiver may also hold bytes the guest sent to itself.)"""
        return len(self._backlog) + len(self._rx)

    def backlog(self) -> int:
        """Host bytes fed but not yet moved into the receiver."""
        return len(self._backlog)

    def rx_count(self) -> int:
        """Bytes in the guest-visible receiver, waiting to be read from RBR."""
        return len(self._rx)

    # ---- internals ------------------------------------------------------------------------

    def _capacity(self) -> int:
        return FIFO_DEPTH if self.fifo_enabled else 1

    def _clear_rx(self) -> None:
        """Empty the receiver.  Bytes that came from the host go back to the front of the
        backlog, so input typed (or piped) before the driver initialised the UART is delivered,
        not lost.  A real 16550 would drop it; no driver depends on that."""
        if not (self.mcr & MCR_LOOP):
            self._backlog.extendleft(reversed(self._rx))
        self._rx.clear()

    def _fill(self) -> None:
        """Move backlog bytes into the receiver while it has room and the wire is connected."""
        if self.mcr & MCR_LOOP:
            return
        cap = self._capacity()
        rx = self._rx
        backlog = self._backlog
        while backlog and len(rx) < cap:
            rx.append(backlog.popleft())

    def _receive_wire(self, byte: int) -> None:
        """A byte completed in the receiver shift register with no flow control (loopback)."""
        if len(self._rx) < self._capacity():
            self._rx.append(byte)
            return
        self.overrun = True
        if not self.fifo_enabled:
            # 16450 mode: the new character overwrites the one in RBR.
            self._rx[-1] = byte
        # FIFO mode: the character in the shift register is lost, the FIFO is untouched.

    def _modem_inputs(self) -> int:
        """MSR bits 7:4 as the modem input pins currently show them."""
        if self.mcr & MCR_LOOP:
            m = self.mcr
            return ((MSR_CTS if m & MCR_RTS else 0) | (MSR_DSR if m & MCR_DTR else 0)
                    | (MSR_RI if m & MCR_OUT1 else 0) | (MSR_DCD if m & MCR_OUT2 else 0))
        return MSR_CABLE

    def _note_modem_change(self, before: int, after: int) -> None:
        changed = before ^ after
        if changed & MSR_CTS:
            self.msr_deltas |= MSR_DCTS
        if changed & MSR_DSR:
            self.msr_deltas |= MSR_DDSR
        if changed & MSR_DCD:
            self.msr_deltas |= MSR_DDCD
        if (before & MSR_RI) and not (after & MSR_RI):
            self.msr_deltas |= MSR_TERI

    def _source(self) -> int:
        """The interrupt IIR reports now, by the datasheet's priority order (Table IV)."""
        ier = self.ier
        if ier & IER_ELSI and self.overrun:
            return IIR_RLS
        if ier & IER_ERBFI and self._rx:
            if not self.fifo_enabled or len(self._rx) >= self.trigger:
                return IIR_RDA
            return IIR_CTI
        if ier & IER_ETBEI and self.thre_pending:
            return IIR_THRE
        if ier & IER_EDSSI and self.msr_deltas:
            return IIR_MSI
        return IIR_NONE

    def _update(self) -> None:
        self.irq.set(self._source() != IIR_NONE)

    def _lsr(self) -> int:
        v = LSR_THRE | LSR_TEMT
        if self._rx:
            v |= LSR_DR
        if self.overrun:
            v |= LSR_OE
        return v

    # ---- guest side -----------------------------------------------------------------------

    def accepts(self, offset: int, size: int) -> bool:
        return offset < NREGS

    def read(self, offset: int, size: int) -> int:
        if offset == RBR:
            if self.lcr & LCR_DLAB:
                return self.dll
            b = 0
            if self._rx:
                b = self._rx.popleft()
                self._fill()
            self._update()
            return b
        if offset == IER:
            return self.dlm if self.lcr & LCR_DLAB else self.ier
        if offset == IIR:
            src = self._source()
            if src == IIR_THRE:
                self.thre_pending = False
                self._update()
            return src | (IIR_FIFOS if self.fifo_enabled else 0)
        if offset == LCR:
            return self.lcr
        if offset == MCR:
            return self.mcr
        if offset == LSR:
            v = self._lsr()
            if self.overrun:
                self.overrun = False
                self._update()
            return v
        if offset == MSR:
            v = self._modem_inputs() | self.msr_deltas
            if self.msr_deltas:
                self.msr_deltas = 0
                self._update()
            return v
        if offset == SCR:
            return self.scr
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        value &= 0xFF
        if offset == THR:
            if self.lcr & LCR_DLAB:
                self.dll = value
                return
            if self.mcr & MCR_LOOP:
                self._receive_wire(value)
            else:
                self.output(bytes((value,)))
            # The write resets the THRE latch; the byte leaves at once, so the THR is empty
            # again and the latch is set.
            self.thre_pending = True
            self._update()
        elif offset == IER:
            if self.lcr & LCR_DLAB:
                self.dlm = value
                return
            changed = self.ier ^ (value & 0x0F)
            self.ier = value & 0x0F
            if changed & IER_ETBEI:
                self.thre_pending = bool(self.ier & IER_ETBEI)
            if changed:
                self._update()
        elif offset == FCR:
            self._write_fcr(value)
        elif offset == LCR:
            self.lcr = value
        elif offset == MCR:
            before = self._modem_inputs()
            self.mcr = value & 0x1F
            self._note_modem_change(before, self._modem_inputs())
            self._fill()  # leaving loopback reconnects the serial input
            self._update()
        elif offset == SCR:
            self.scr = value
        # LSR, MSR (factory test only): ignored.

    def _write_fcr(self, value: int) -> None:
        enable = bool(value & FCR_ENABLE)
        if enable != self.fifo_enabled:
            # Changing between FIFO and 16450 mode empties the FIFOs (datasheet 8.4, FCR0).
            self.fifo_enabled = enable
            self._clear_rx()
        if enable:
            # The other FCR bits are only programmed while bit 0 is written as 1.
            if value & FCR_RX_RESET:
                self._clear_rx()
            # FCR_TX_RESET: the transmitter FIFO is always empty.
            self.fcr_bits = value & 0xC8
            self.trigger = TRIGGER_LEVELS[(value >> 6) & 3]
        else:
            self.fcr_bits = 0
            self.trigger = 1
        self._fill()
        self._update()
