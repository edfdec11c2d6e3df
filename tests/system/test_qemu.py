"""The same bootable image on QEMU's virt board (the reference machine), when installed."""

import shutil
import subprocess

import pytest
from guest import subtests

from rvemu import bootimg

QEMU = shutil.which("qemu-system-riscv64")
pytestmark = pytest.mark.skipif(QEMU is None, reason="qemu-system-riscv64 is not installed")


def run_qemu(image, tmp_path, script):
    """Boot image on QEMU virt with 3 harts, type script; (console output, exit status)."""
    kernel = tmp_path / "kernel.elf"
    kernel.write_bytes(bootimg.read(image).kernel)
    cmd = [QEMU, "-machine", "virt", "-bios", "none", "-kernel", str(kernel), "-m", "128M",
           "-smp", "3", "-nographic", "-global", "virtio-mmio.force-legacy=false",
           "-drive", f"file={image},if=none,format=raw,id=x0",
           "-device", "virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0"]
    r = subprocess.run(cmd, input=script, capture_output=True, timeout=600)
    return r.stdout.decode(errors="replace"), r.returncode


def test_image_boots_and_passes_quick_suite_on_qemu(fresh_image, tmp_path):
    out, status = run_qemu(fresh_image, tmp_path, b"ls\nxv6test -q\npoweroff\n")
    assert "README" in out and "ALL TESTS PASSED" in out, out[-3000:]
    assert status == 0


def test_mmap_suites_pass_on_qemu(fresh_image, tmp_path):
    """The memory system on the reference machine: its own A/D updates, TLBs, megapages and
    inter-hart interrupts (threadtest: shootdowns between the threads of one process)."""
    out, status = run_qemu(fresh_image, tmp_path,
                           b"mmaptest\nmmap2test\nmapfiletest\nthreadtest\nheaptest\npoweroff\n")
    for prog in ("mmaptest", "mmap2test", "mapfiletest", "threadtest", "heaptest"):
        assert f"{prog}: ALL OK" in out, out[-3000:]
        # every subtest of the program's table ran
        assert f"{prog}: {len(subtests(prog))} passed, 0 failed" in out, out[-3000:]
    assert "FAIL" not in out, out[-3000:]
    assert status == 0
