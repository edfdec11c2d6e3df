"""Board devices, in Python.  Each one sees only (offset, size) reads and writes, interrupt
lines (rvemu.devices.base.IrqLine) and, for DMA, a port onto guest RAM (DmaPort): never the CPU."""
