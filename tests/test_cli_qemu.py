"""QEMU's command line accepted by rvemu (rvemu.qemuopts + cli.parse_args): each option's
meaning, and one stderr line with exit status 2 for anything rvemu cannot give."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import rvemu
from rvemu import cli, qemuopts

XV6_LINE = ("-machine virt -bios none -kernel kernel/kernel -m 128M -smp 3 -nographic "
            "-global virtio-mmio.force-legacy=false -drive file=fs.img,if=none,format=raw,id=x0 "
            "-device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0").split()
PKG_PARENT = str(Path(rvemu.__file__).resolve().parents[1])


def parse(*argv):
    return cli.parse_args(list(argv))


def parse_error(capsys, *argv):
    """The one stderr line of a refused command line (exit status 2)."""
    with pytest.raises(SystemExit) as e:
        parse(*argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


def test_xv6_command_line():
    a = parse(*XV6_LINE)
    assert (a.kernel, a.memory, a.smp, a.drive, a.drive_slot, a.readonly) == \
        ("kernel/kernel", 128, 3, "fs.img", 0, False)
    assert a.gdb is None and not a.gdb_hold


def test_xv6_qemu_gdb_line():
    a = parse(*XV6_LINE, "-S", "-gdb", "tcp::25000")
    assert (a.gdb, a.gdb_hold) == (25000, True)
    a = parse(*XV6_LINE, "-gdb", "tcp::25000")          # QEMU: the guest runs until gdb comes
    assert (a.gdb, a.gdb_hold) == (25000, False)
    a = parse(*XV6_LINE, "-s", "-S")
    assert (a.gdb, a.gdb_hold) == (1234, True)
    for dev in ("tcp:localhost:4000", "tcp:127.0.0.1:4000"):
        assert parse("-gdb", dev).gdb == 4000
    a = parse("--gdb", "0", "--kernel", "k")             # rvemu's own: waits for gdb
    assert (a.gdb, a.gdb_hold) == (0, True)


@pytest.mark.parametrize("text, mib", [
    ("128", 128), ("128M", 128), ("128m", 128), ("1G", 1024), ("1g", 1024), ("1.5G", 1536),
    ("131072K", 128), ("134217728B", 128), ("size=64M", 64), ("16384", 16384)])
def test_memory_sizes(text, mib):
    assert parse("-m", text).memory == mib


def test_memory_rvemu_option_takes_sizes_too():
    assert parse("--memory", "256M").memory == 256
    assert parse("--memory", "64").memory == 64
    assert parse().memory == 128


@pytest.mark.parametrize("text, harts", [("3", 3), ("cpus=2", 2), ("4,maxcpus=4", 4),
                                         ("cpus=1", 1)])
def test_smp(text, harts):
    assert parse("-smp", text).smp == harts


def test_machine_bios_nographic_display_serial_accepted():
    for argv in (["-machine", "virt"], ["-M", "virt"], ["-machine", "type=virt"],
                 ["-bios", "none"], ["-nographic"], ["-display", "none"],
                 ["-serial", "mon:stdio"], ["-serial", "stdio"],
                 ["-global", "virtio-mmio.force-legacy=off"],
                 ["-global", "virtio-mmio.force-legacy=no"]):
        a = parse(*argv)
        assert (a.kernel, a.memory, a.smp, a.drive, a.gdb) == (None, 128, 3, None, None)


def test_drive_bound_by_device():
    a = parse("-kernel", "k", "-drive", "file=d.img,if=none,format=raw,id=x0,readonly=on",
              "-device", "virtio-blk-device,drive=x0,bus=virtio-mmio-bus.3")
    assert (a.drive, a.drive_slot, a.readonly) == ("d.img", 3, True)
    # no bus: the highest free transport, as QEMU's virt board (checked with QEMU's info qtree)
    a = parse("-kernel", "k", "-drive", "file=d.img,if=none,id=x0",
              "-device", "virtio-blk-device,drive=x0")
    assert (a.drive, a.drive_slot, a.readonly) == ("d.img", 7, False)
    # ",," is a comma inside a value
    a = parse("-kernel", "k", "-drive", "file=a,,b.img,if=none,id=d",
              "-device", "virtio-blk-device,drive=d,bus=virtio-mmio-bus.0")
    assert a.drive == "a,b.img"


def test_drive_without_device_is_no_disk():
    a = parse("-kernel", "k", "-drive", "file=d.img,if=none,format=raw,id=x0")
    assert a.drive is None


@pytest.mark.parametrize("argv, needle", [
    (["-machine", "sifive_u"], "-machine sifive_u"),
    (["-M", "virt,aia=aplic"], "aia=aplic"),
    (["-bios", "default"], "-bios default"),
    (["-m", "1.5M"], "-m 1.5M"),
    (["-m", "lots"], "-m lots"),
    (["-m", "0"], "-m 0"),
    (["-m", "32G"], "-m 32G"),
    (["-m", "128M,slots=2"], "slots=2"),
    (["-smp", "3,cores=3"], "cores=3"),
    (["-smp", "0"], "cpus=0"),
    (["-smp", "65"], "cpus=65"),
    (["-smp", "2,maxcpus=4"], "maxcpus"),
    (["-global", "virtio-mmio.force-legacy=true"], "force-legacy=true"),
    (["-global", "virtio-mmio.force-legacy=maybe"], "force-legacy=maybe"),
    (["-global", "virtio-blk-device.num-queues=2"], "virtio-blk-device.num-queues"),
    (["-drive", "file=d.img,format=raw"], "if=virtio"),
    (["-drive", "file=d.img,if=virtio"], "if=virtio"),
    (["-drive", "file=d.img,if=none,format=qcow2,id=x"], "format=qcow2"),
    (["-drive", "file=d.img,if=none,id=x,cache=none"], "cache=none"),
    (["-drive", "file=d.img,if=none"], "id="),
    (["-drive", "if=none,id=x"], "file="),
    (["-device", "virtio-net-device"], "virtio-net-device"),
    (["-device", "virtio-blk-pci,drive=x"], "virtio-blk-pci"),
    (["-device", "virtio-blk-device,drive=nope"], "drive=nope"),
    (["-drive", "file=d,if=none,id=x", "-device", "virtio-blk-device,drive=x,bus=pci.0"],
     "bus=pci.0"),
    (["-drive", "file=d,if=none,id=x",
      "-device", "virtio-blk-device,drive=x,bus=virtio-mmio-bus.8"], "virtio-mmio-bus.8"),
    (["-drive", "file=d,if=none,id=x", "-device", "virtio-blk-device,drive=x",
      "-device", "virtio-blk-device,drive=x"], "drive=x"),
    (["-S"], "-S"),
    (["-gdb", "tcp:0.0.0.0:1234"], "tcp:0.0.0.0:1234"),
    (["-gdb", "unix:/tmp/s"], "unix:/tmp/s"),
    (["-gdb", "tcp::70000"], "tcp::70000"),
    (["-s", "-gdb", "tcp::1"], "-gdb"),
    (["-netdev", "user,id=n"], "-netdev"),
    (["-append", "console=ttyS0"], "-append"),
    (["-cpu", "rv64"], "-cpu"),
    (["-p", "25000"], "-p"),
    (["-kernel"], "-kernel: needs a value"),
    (["--kernel", "a", "-kernel", "b"], "-kernel"),
    (["-m", "64", "--memory", "64"], "-m"),
    (["--gdb", "1", "-s"], "-gdb"),
    (["--smp", "2", "-smp", "2"], "-smp"),
    (["--drive", "d.img"], "--drive"),
    (["--bogus"], "--bogus"),
])
def test_refused_with_one_line(capsys, argv, needle):
    err = parse_error(capsys, *argv)
    assert err.startswith("rvemu: ") and needle in err, err


def test_drive_needs_a_kernel(capsys):
    err = parse_error(capsys, "-drive", "file=d,if=none,id=x",
                      "-device", "virtio-blk-device,drive=x")
    assert "-drive" in err and "kernel" in err


def test_props_parser():
    assert qemuopts.props("3,maxcpus=3", "cpus") == [("cpus", "3"), ("maxcpus", "3")]
    assert qemuopts.props("file=a,,b,id=x") == [("file", "a,b"), ("id", "x")]
    with pytest.raises(qemuopts.QemuOptionError):
        qemuopts.props("file=a,junk")


# ---- the command ------------------------------------------------------------------------------

def rvemu_cmd(*args, **kw):
    """The worktree's (or installed) rvemu, whichever these tests imported."""
    env = dict(kw.pop("env", None) or {}, PYTHONPATH=PKG_PARENT)
    return subprocess.run([sys.executable, "-m", "rvemu.cli", *args], capture_output=True,
                          timeout=60, env={**os.environ, **env}, **kw)


def test_help_lists_gdb_at_line_start_for_xv6s_makefile(tmp_path):
    for flag in ("-help", "--help", "-h"):
        r = rvemu_cmd(flag, cwd=tmp_path)
        assert r.returncode == 0 and r.stderr == b""
        lines = r.stdout.decode().splitlines()
        assert any(line.startswith("-gdb ") for line in lines), r.stdout
        assert any(line.startswith("-machine virt") for line in lines)
    # what the Makefile runs: the help through a pipe into grep -q
    r = subprocess.run(f"{sys.executable} -m rvemu.cli -help | grep -q '^-gdb'", shell=True,
                       cwd=tmp_path, env={**os.environ, "PYTHONPATH": PKG_PARENT},
                       capture_output=True, timeout=60)
    assert r.returncode == 0 and r.stderr == b""


def test_unsupported_option_exit_status_and_one_line(tmp_path):
    r = rvemu_cmd("-machine", "virt", "-netdev", "user,id=n0", cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == b""
    assert r.stderr.count(b"\n") == 1 and b"-netdev" in r.stderr, r.stderr
    r = rvemu_cmd("-global", "virtio-mmio.force-legacy=true", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count(b"\n") == 1 and b"legacy" in r.stderr


def test_version(tmp_path):
    r = rvemu_cmd("-version", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.decode().strip() == f"rvemu {rvemu.__version__}"


def test_board_drive_slot(tmp_path):
    """attach_drive's slot is QEMU's virtio-mmio-bus.N: the transport at memmap.VIRTIO[N]."""
    from rvemu import memmap
    from rvemu.board import Board
    from rvemu.devices.virtio_empty import VirtioMmioEmpty
    from rvemu.devices.virtio_mmio import VirtioMmio
    disk = tmp_path / "d.img"
    disk.write_bytes(bytes(4096))
    b = Board(ram_mib=8)
    b.attach_drive(str(disk), slot=7)
    kinds = [type(b.bus.find(r.base)[1]) for r in memmap.VIRTIO]
    assert kinds == [VirtioMmioEmpty] * 7 + [VirtioMmio]
    assert b.virtio.device is not None and b.disk is not None
    b.attach_drive(str(disk), slot=2)                    # one disk: it moves
    kinds = [type(b.bus.find(r.base)[1]) for r in memmap.VIRTIO]
    assert kinds == [VirtioMmioEmpty] * 2 + [VirtioMmio] + [VirtioMmioEmpty] * 5
    with pytest.raises(ValueError, match="slot"):
        b.attach_drive(str(disk), slot=8)
    b.poweroff()
