"""Driving the xv6 guest from system tests: boot a board to the shell, type a command."""

from rvemu.board import Board


def boot(image, harts, ram_mib=128):
    """A board with `harts` harts booted from image to the shell prompt."""
    b = Board(ram_mib=ram_mib, harts=harts)
    b.boot_image(image)
    b.expect(r"\$ ", timeout_instructions=200_000_000)
    return b


def sh(b, line, timeout):
    """Type a command; what it printed before the next prompt."""
    start = len(b.output)
    b.send(line + "\n")
    m = b.expect(r"\n\$ ", timeout_instructions=timeout, start=start)
    return bytes(b.output[start:m.start()]).decode(errors="replace")
