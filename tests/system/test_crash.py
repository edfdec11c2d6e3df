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


def run_and_kill(image, cwd, delay, command=b"fsstress 400\n", start=b"fsstress: start"):
    """Start command (fsstress) in the guest, SIGKILL rvemu `delay` seconds after it prints
    `start`.  Returns the whole lines it printed."""
    p = subprocess.Popen([sys.executable, "-m", "rvemu.cli", image], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=cwd)
    lines, started = [], threading.Event()

    def reader():
        for line in p.stdout:
            lines.append(line)
            if start in line:
                started.set()
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    p.stdin.write(command)
    p.stdin.flush()
    assert started.wait(60), b"".join(lines)[-500:]
    time.sleep(delay)
    p.send_signal(signal.SIGKILL)
    p.wait(30)
    t.join(10)
    # a line the kill cut short ("synced f1" of "synced f12\n") does not count
    return [line for line in lines if line.endswith(b"\n")]


def synced_files(lines):
    return [int(line.split(b"synced f")[1]) for line in lines if b"synced f" in line]


def recovered(image, tmp_path, trial):
    """The killed run's image is consistent as the kernel will see it after recovery (log
    replay, and freeing inodes that were open and unlinked), and a copy with the log replayed
    is clean: that copy, opened."""
    problems = [p for p in xv6fs.fsck(image)
                if "to replay" not in p and not p.startswith("orphan inode")]
    assert problems == [], (trial, problems)
    copy = tmp_path / "replayed.img"
    shutil.copyfile(image, copy)
    xv6fs.replay_log(str(copy))
    assert xv6fs.fsck(str(copy)) == []
    return xv6fs.Image(str(copy))


def test_kill_during_writes_then_recover(fresh_image, tmp_path):
    rng = random.Random(20261126)
    for trial in range(3):
        synced = synced_files(run_and_kill(fresh_image, tmp_path, rng.uniform(0.05, 1.5)))
        img = recovered(fresh_image, tmp_path, trial)
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


# ---- mmap writeback (xv6/user/mapstress.c) --------------------------------------------------

BLK, PG, NPAGES = 1024, 4096, 16


def block(r, b):
    """Block b of a file as round r of mapstress stores it."""
    return (r.to_bytes(4, "little") + b.to_bytes(4, "little")
            + bytes([(r * 13 + b) & 0xFF]) * (BLK - 8))


def csize(r):
    return (1 + (r * 7) % NPAGES) * PG - (0 if r % 2 else 700)


def last_round(lines, word):
    """The last round mapstress announced for word ("msync", ...): (round, rest of the line)."""
    rounds = [line.split()[1:] for line in lines if line.startswith(word + b" ")]
    return (int(rounds[-1][1]), rounds[-1][2:]) if rounds else (None, None)


def check_rounds(data, r, name):
    """Every block of data is round r's or the next one's (a writeback the kill cut short);
    every page msync, munmap or fsync returned for is on disk."""
    assert len(data) == NPAGES * PG, (name, len(data))
    for b in range(len(data) // BLK):
        got = data[b * BLK:(b + 1) * BLK]
        assert got in (block(r, b), block(r + 1, b)), (name, r, b, got[:12])


def check_truncated(data, r):
    """m/c after round r: its size is round r's, the next's, or (ftruncate grows a file by
    writing zeros, a transaction per chunk) between the two; each block holds the next round's
    bytes, or round r's where it lay within round r's size and zeros past it."""
    lo, hi = sorted((csize(r), csize(r + 1)))
    assert len(data) in (lo, hi) or (csize(r) < len(data) < csize(r + 1)), ("m/c", r, len(data))
    for b in range((len(data) + BLK - 1) // BLK):
        got = data[b * BLK:(b + 1) * BLK]
        n = len(got)
        old = max(0, min(n, csize(r) - b * BLK))       # bytes of it within round r's size
        choices = (block(r + 1, b)[:n], block(r, b)[:old] + bytes(n - old))
        assert got in choices, ("m/c", r, b, len(data), got[:12])


def test_kill_during_mmap_writeback_then_recover(fresh_image, tmp_path):
    """Kill rvemu while mapstress writes mapped pages back with msync, munmap, fsync and
    across ftruncate: fsck is clean (with and without the log replayed) and every page whose
    writeback the guest saw return holds that round's bytes (or the next round's)."""
    rng = random.Random(20261207)
    checked = 0
    for trial in range(4):
        lines = run_and_kill(fresh_image, tmp_path, rng.uniform(0.2, 3.0),
                             b"mapstress 1000\n", b"mapstress: start")
        assert not any(b"FAIL" in line for line in lines), lines[-5:]
        img = recovered(fresh_image, tmp_path, trial)
        for word, name in ((b"msync", "a"), (b"munmap", "b"), (b"fsync", "d")):
            r, _ = last_round(lines, word)
            if r is not None:
                check_rounds(img.read(f"/m/{name}"), r, name)
                checked += 1
        r, rest = last_round(lines, b"trunc")
        if r is not None:
            assert int(rest[0]) == csize(r)
            check_truncated(img.read("/m/c"), r)
            checked += 1
    assert checked >= 8, "the kills came too early to check much"
