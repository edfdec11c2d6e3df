"""Crash consistency: kill rvemu (SIGKILL) at random moments while xv6 writes files, then check
the disk image: consistent once the log is replayed, every file announced as written intact,
and the kernel itself recovers and boots."""

import random
import shutil
import signal
import subprocess
import sys
import threading
import time

from rvemu import xv6fs
from rvemu.board import Board
from rvemu.machine import StopReason


def expected(i):
    n = 1024 + (i * 1361) % 7168
    return bytes(ord("a") + (i * 7 + k) % 26 for k in range(n))


def run_and_kill(image, cwd, delay):
    """Start fsstress in the guest, SIGKILL rvemu `delay` seconds after it starts writing.
    Returns the numbers of the files the guest reported as written."""
    p = subprocess.Popen([sys.executable, "-m", "rvemu.cli", image], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=cwd)
    lines, started = [], threading.Event()

    def reader():
        for line in p.stdout:
            lines.append(line)
            if b"fsstress: start" in line:
                started.set()
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    p.stdin.write(b"fsstress 400\n")
    p.stdin.flush()
    assert started.wait(60), b"".join(lines)[-500:]
    time.sleep(delay)
    p.send_signal(signal.SIGKILL)
    p.wait(30)
    t.join(10)
    # a line the kill cut short ("synced f1" of "synced f12\n") does not count
    return [int(line.split(b"synced f")[1]) for line in lines
            if b"synced f" in line and line.endswith(b"\n")]


def test_kill_during_writes_then_recover(fresh_image, tmp_path):
    rng = random.Random(20261126)
    for trial in range(3):
        synced = run_and_kill(fresh_image, tmp_path, rng.uniform(0.05, 1.5))
        # the image is consistent as the kernel will see it after recovery (log replay, and
        # freeing inodes that were open and unlinked)
        problems = [p for p in xv6fs.fsck(fresh_image)
                    if "to replay" not in p and not p.startswith("orphan inode")]
        assert problems == [], (trial, problems)
        copy = tmp_path / "replayed.img"
        shutil.copyfile(fresh_image, copy)
        xv6fs.replay_log(str(copy))
        assert xv6fs.fsck(str(copy)) == []
        img = xv6fs.Image(str(copy))
        for i in synced:
            assert img.read(f"/d/f{i}") == expected(i), (trial, i)
    # and the kernel recovers by itself: boot, read the last synced file, power off cleanly
    b = Board(ram_mib=128)
    b.boot_image(fresh_image)
    b.expect(r"\$ ", timeout_instructions=500_000_000)
    b.send("ls d\npoweroff\n")
    assert b.run(max_instructions=2_000_000_000) is StopReason.EXIT
    b.poweroff()
    assert xv6fs.fsck(fresh_image) == []
    assert b"f0" in bytes(b.output)
