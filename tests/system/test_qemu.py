"""The same bootable image on QEMU's virt board (the reference machine), when installed."""

import shutil
import subprocess

import pytest

from rvemu import bootimg

QEMU = shutil.which("qemu-system-riscv64")
pytestmark = pytest.mark.skipif(QEMU is None, reason="qemu-system-riscv64 is not installed")


def test_image_boots_and_passes_quick_suite_on_qemu(fresh_image, tmp_path):
    kernel = tmp_path / "kernel.elf"
    kernel.write_bytes(bootimg.read(fresh_image).kernel)
    cmd = [QEMU, "-machine", "virt", "-bios", "none", "-kernel", str(kernel), "-m", "128M",
           "-smp", "3", "-nographic", "-global", "virtio-mmio.force-legacy=false",
           "-drive", f"file={fresh_image},if=none,format=raw,id=x0",
           "-device", "virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0"]
    r = subprocess.run(cmd, input=b"ls\nxv6test -q\npoweroff\n", capture_output=True,
                       timeout=600)
    out = r.stdout.decode(errors="replace")
    assert "README" in out and "ALL TESTS PASSED" in out, out[-3000:]
    assert r.returncode == 0
