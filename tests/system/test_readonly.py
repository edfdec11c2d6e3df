"""A disk attached read-only (Board.boot_image(readonly=True), rvemu --readonly): the device
offers VIRTIO_BLK_F_RO, the kernel mounts the file system read-only, every writing system call
fails with EROFS, and the image file is not changed by a single byte.  user/rotest's subtests
are items of their own too (test_rotest[1-NAME])."""

import hashlib

import pytest

from rvemu import xv6fs
from rvemu.board import Board
from rvemu.devices.virtio_mmio import F_VERSION_1
from rvemu.devices.virtio_blk import VIRTIO_BLK_F_RO
from rvemu.machine import StopReason

from guest import Run, cases, sh


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def boot_ro(image):
    b = Board(ram_mib=128, harts=1)
    b.boot_image(image, readonly=True)
    b.expect(r"\$ ", timeout_instructions=200_000_000)
    return b


def test_read_only_disk_boots_to_the_shell_and_refuses_writes(fresh_image):
    before = digest(fresh_image)
    b = boot_ro(fresh_image)
    assert b"virtio disk: read-only" in bytes(b.output)
    assert b.virtio.features & VIRTIO_BLK_F_RO and b.virtio.features & F_VERSION_1
    names = [row.split()[0] for row in sh(b, "ls", 200_000_000).splitlines()[1:] if row.strip()]
    assert {"README", "console", "sh", "rotest"} <= set(names)
    assert "read-only file system" in sh(b, "echo x > f", 200_000_000)
    assert "read-only file system" in sh(b, "mkdir d", 200_000_000)
    assert "read-only file system" in sh(b, "rm README", 200_000_000)
    assert "teaching kernel" in sh(b, "cat README", 200_000_000)
    out = sh(b, "rotest", 500_000_000)
    assert "rotest: 3 passed, 0 failed" in out and "rotest: ALL OK" in out, out
    b.send("poweroff 3\n")
    assert b.run(max_instructions=100_000_000) is StopReason.EXIT and b.exit_code == 3
    blk = b.virtio.device
    assert blk.stats["writes"] == 0 and blk.stats["ioerr"] == 0     # nothing was even tried
    b.poweroff()
    assert digest(fresh_image) == before


@pytest.mark.parametrize("case", cases(Run("rotest", readonly=True, timeout=500_000_000)))
def test_rotest(guest_runs, case, request):
    guest_runs.check(case, request)


def test_log_needing_recovery_is_refused_on_a_read_only_disk(fresh_image):
    """A committed but uninstalled transaction cannot be replayed without writing: the kernel
    refuses to mount (panics with the reason) and the image stays as it was."""
    with open(fresh_image, "r+b") as f:
        data = bytearray(f.read())
        sb = xv6fs.SUPERBLOCK.unpack(data, xv6fs.BSIZE)
        home = sb.inodestart                    # log a copy of the first inode block: harmless
        bs = xv6fs.BSIZE
        data[(sb.logstart + 1) * bs:(sb.logstart + 2) * bs] = data[home * bs:(home + 1) * bs]
        header = bytearray(bs)
        header[:8] = (1).to_bytes(4, "little") + home.to_bytes(4, "little")
        data[sb.logstart * bs:(sb.logstart + 1) * bs] = header
        f.seek(0)
        f.write(data)
    before = digest(fresh_image)
    b = Board(ram_mib=128, harts=1)
    b.boot_image(fresh_image, readonly=True)
    b.expect(r"initlog: log needs recovery on a read-only disk", timeout_instructions=200_000_000)
    assert b"rvemu.xv6fs replay" in bytes(b.output)
    b.poweroff()
    assert digest(fresh_image) == before
    assert xv6fs.replay_log(fresh_image) == 1           # the way out the message names
