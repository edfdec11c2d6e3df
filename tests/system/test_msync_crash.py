"""msync(MS_SYNC) and fsync write back every dirty page of the file, also pages another process
stored to through its own MAP_SHARED mapping: after the guest says it synced, rvemu is killed
(SIGKILL, nothing else reaches the disk) and the image must hold the other process's bytes."""

import shutil
import signal
import subprocess
import sys
import threading

import pytest

from rvemu import xv6fs


def run_and_kill(image, cwd, line, marker):
    """Boot image in a separate rvemu, type line, SIGKILL it once `marker` is printed."""
    p = subprocess.Popen([sys.executable, "-m", "rvemu.cli", image], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=cwd)
    lines, seen = [], threading.Event()

    def reader():
        for out in p.stdout:
            lines.append(out)
            if marker in out or b"FAIL" in out or b"fault" in out:
                seen.set()
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    p.stdin.write(line + b"\n")
    p.stdin.flush()
    ok = seen.wait(60)
    p.send_signal(signal.SIGKILL)
    p.wait(30)
    t.join(10)
    text = b"".join(lines)
    assert ok and marker in text, text[-2000:]


@pytest.mark.parametrize("how", ["msync", "fsync"])
def test_sync_writes_pages_another_process_dirtied(fresh_image, tmp_path, how):
    run_and_kill(fresh_image, tmp_path, f"synctest {how}".encode(), b"synctest: synced")
    copy = tmp_path / "replayed.img"
    shutil.copyfile(fresh_image, copy)
    xv6fs.replay_log(str(copy))
    data = xv6fs.Image(str(copy)).read("/synctest.f")
    assert data == b"C" * 4096 + b"D" * 4096, (data[:16], data[4096:4112])
