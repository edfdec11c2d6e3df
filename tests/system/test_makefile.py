"""rvemu under an xv6 lab tree's Makefile and a course grader.

tests/system/labtree/Makefile has the shape of xv6-riscv's emulator targets (`make qemu`,
`make qemu-gdb`, `make print-gdbport`, QEMU's command line, `$(QEMU) -help | grep '^-gdb'`).
The tests run it with QEMU=rvemu over our kernel and file system, and drive `make qemu-gdb` the
way the MIT 6.1810 grader (gradelib.py) does: make's stdout and stderr on one pipe, stdin a pipe;
a tiny GDB-remote client that connects when a line of output appears (retrying for 2 s each
time), sends `$c#63` without qSupported and never acknowledges a reply; commands typed when
`$ ` appears; the run stopped with SIGTERM to make.  Then: rvemu ended cleanly (its message,
no process left) and the disk image holds what the guest wrote.
"""

import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import rvemu
from rvemu import bootimg, xv6fs

HERE = Path(__file__).resolve().parent
PKG_PARENT = str(Path(rvemu.__file__).resolve().parents[1])
ENV = {**os.environ, "PYTHONPATH": PKG_PARENT}

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def labtree(xv6_image, tmp_path):
    """A lab tree: the Makefile, kernel/kernel and fs.img (our kernel and file system), and
    bin/rvemu, a launcher for the rvemu these tests import (it records its pid)."""
    for name in ("Makefile", "gdbinit.in"):
        shutil.copyfile(HERE / "labtree" / name, tmp_path / name)
    (tmp_path / "kernel").mkdir()
    (tmp_path / "kernel" / "kernel").write_bytes(bootimg.read(xv6_image).kernel)
    shutil.copyfile(xv6_image, tmp_path / "fs.img")   # a bootable image is also a plain disk
    launcher = tmp_path / "bin" / "rvemu"
    launcher.parent.mkdir()
    launcher.write_text("#!/bin/sh\n"
                        f'[ "$1" = -help ] || echo $$ > "{tmp_path}/rvemu.pid"\n'
                        f'exec "{sys.executable}" -m rvemu.cli "$@"\n')
    launcher.chmod(0o755)
    return tmp_path


class GraderGdb:
    """The grader's GDB client as it behaves on the wire: connect (retrying until `timeout`
    seconds pass), send packets as $cmd#xx, never send '+', never ask qSupported."""

    def __init__(self, port, timeout=2.0):
        start = time.monotonic()
        while True:
            self.sock = socket.socket()
            try:
                self.sock.settimeout(1)
                self.sock.connect(("localhost", port))
                break
            except OSError:
                self.sock.close()
                if time.monotonic() >= start + timeout:
                    raise
        self.buf = b""
        self.packets = []

    def send(self, cmd):
        self.sock.sendall(b"$%s#%02x" % (cmd.encode(), sum(cmd.encode()) % 256))

    def cont(self):
        self.send("c")

    def read(self):
        """Take what the stub sent (never acknowledged)."""
        try:
            data = self.sock.recv(4096)
        except OSError:
            data = b""
        if not data:
            self.sock.close()
            self.sock = None
            return
        self.buf += data
        while True:
            m = re.search(rb"\$([^#]*)#[0-9a-fA-F]{2}", self.buf)
            if not m:
                break
            self.packets.append(m.group(1).decode())
            self.buf = self.buf[m.end():]

    def close(self):
        if self.sock is not None:
            self.sock.close()


class Make:
    """`make -s --no-print-directory TARGET` with output (stdout + stderr) and input on pipes,
    as the grader starts it."""

    def __init__(self, tree, target, *make_args, new_session=False, qemu=None):
        self.tree = tree
        self.proc = subprocess.Popen(
            ["make", "-s", "--no-print-directory", target, f"QEMU={qemu or tree / 'bin/rvemu'}",
             *make_args], cwd=tree, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, env=ENV, start_new_session=new_session)
        self.output = b""
        self.gdb = None

    def react(self, until, timeout, on_line=None):
        """Read output (and the gdb socket) until until(self) holds; fail after timeout s."""
        deadline = time.monotonic() + timeout
        while not until(self):
            left = deadline - time.monotonic()
            assert left > 0, f"timed out; output:\n{self.output.decode(errors='replace')}"
            fds = [self.proc.stdout] + ([self.gdb.sock] if self.gdb and self.gdb.sock else [])
            r, _, _ = select.select(fds, [], [], min(left, 0.5))
            if self.proc.stdout in r:
                data = os.read(self.proc.stdout.fileno(), 4096)
                assert data, f"make ended early:\n{self.output.decode(errors='replace')}"
                self.output += data
                if on_line and b"\n" in data:
                    on_line(self)
            if self.gdb and self.gdb.sock in r:
                self.gdb.read()

    def type(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def expect(self, pattern, timeout=60):
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        start = len(self.output)
        self.react(lambda s: rx.search(s.output, max(0, start - 200)), timeout)

    def rvemu_pid(self):
        return int((self.tree / "rvemu.pid").read_text())

    def emulator_pid(self):
        """make's child: the emulator (make runs a command without shell syntax directly,
        and the rvemu launcher execs)."""
        pid = self.proc.pid
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = f.read().split()
        assert len(children) == 1, children
        return int(children[0])

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self.proc.stdin.close()


def gone(pid, timeout=5.0):
    """Whether process pid has ended (no process, or a zombie nobody reaped yet)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(") ", 1)[1].startswith("Z"):
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def shell_round_trip(make):
    """Write a file from the guest's shell and read it back."""
    make.expect(r"\$ $")
    make.type("echo graded-by-make > graded\n")
    make.expect(r"\$ $")
    make.type("cat graded\n")
    make.expect(rb"(?m)^(\$ )?graded-by-make\r?\n\$ $")


@needs_make
def test_print_gdbport_and_help_probe(labtree):
    r = subprocess.run(["make", "-s", "--no-print-directory", "print-gdbport"], cwd=labtree,
                       capture_output=True, env=ENV, timeout=30)
    assert r.returncode == 0 and r.stdout.strip().isdigit()
    # the Makefile asks the emulator which gdb option it takes, and gets -gdb
    r = subprocess.run(["make", "-n", f"QEMU={labtree}/bin/rvemu", "GDBPORT=4321", "qemu-gdb"],
                       cwd=labtree, capture_output=True, env=ENV, timeout=60)
    assert r.returncode == 0, r.stderr
    assert b"-S -gdb tcp::4321" in r.stdout, r.stdout


@needs_make
@pytest.mark.parametrize("emulator", ["rvemu", "qemu-system-riscv64"])
def test_make_qemu_gdb_with_a_grader_client_then_sigterm(labtree, emulator):
    """The grader's run; with QEMU itself too (the client and the Makefile are QEMU's)."""
    qemu = None
    if emulator != "rvemu":
        qemu = shutil.which(emulator)
        if qemu is None:
            pytest.skip(f"{emulator} is not installed")
    port = free_port()
    make = Make(labtree, "qemu-gdb", f"GDBPORT={port}", qemu=qemu)
    try:
        def connect(m):
            if m.gdb is None:
                try:
                    m.gdb = GraderGdb(port, timeout=2)
                except ConnectionRefusedError:
                    pass
        make.react(lambda m: m.gdb is not None, 90, on_line=connect)
        # -S: nothing runs before the client continues
        time.sleep(0.5)
        make.react(lambda m: True, 1)
        assert b"xv6 kernel is booting" not in make.output
        make.gdb.cont()
        shell_round_trip(make)
        # the stub sent nothing the client would have had to acknowledge or answer
        make.react(lambda m: True, 1)
        assert make.gdb.packets == [], make.gdb.packets
        pid = make.emulator_pid()
        make.proc.terminate()                    # the grader's way to stop the run
        make.proc.wait(30)
        make.react(lambda m: b"terminating on signal 15" in m.output, 10)
        assert gone(pid), "the emulator is still running after make ended"
    finally:
        if make.gdb:
            make.gdb.close()
        make.kill()
    out = make.output.decode(errors="replace")
    if emulator == "rvemu":
        assert "rvemu: terminating on signal 15 (SIGTERM)" in out, out
    assert "Traceback" not in out, out
    assert xv6fs.Image(str(labtree / "fs.img")).read("/graded") == b"graded-by-make\n"


@needs_make
@pytest.mark.parametrize("emulator", ["rvemu", "qemu-system-riscv64"])
def test_make_qemu_then_poweroff(labtree, emulator):
    """`make qemu` boots the tree; with QEMU itself too (the fixture is QEMU's command line)."""
    qemu = f"{labtree}/bin/rvemu"
    if emulator != "rvemu":
        qemu = shutil.which(emulator)
        if qemu is None:
            pytest.skip(f"{emulator} is not installed")
    make = Make(labtree, "qemu", qemu=qemu)
    try:
        shell_round_trip(make)
        make.type("poweroff\n")
        assert make.proc.wait(60) == 0
    finally:
        make.kill()
    assert xv6fs.Image(str(labtree / "fs.img")).read("/graded") == b"graded-by-make\n"


@needs_make
def test_make_qemu_interrupted_from_the_terminal(labtree):
    """Ctrl-C at a shell whose make runs rvemu with a piped stdin: SIGINT to the group."""
    make = Make(labtree, "qemu", new_session=True)
    try:
        shell_round_trip(make)
        pid = make.rvemu_pid()
        os.killpg(make.proc.pid, signal.SIGINT)
        make.proc.wait(30)
        assert gone(pid)
        make.react(lambda m: b"terminating on signal 2" in m.output, 10)
    finally:
        make.kill()
    assert "Traceback" not in make.output.decode(errors="replace")
    assert xv6fs.Image(str(labtree / "fs.img")).read("/graded") == b"graded-by-make\n"


# ---- rvemu itself: signals, -gdb without -S, gdb-multiarch ------------------------------------

def rvemu_popen(tree, *args, **kw):
    cmd = [sys.executable, "-m", "rvemu.cli", "-machine", "virt", "-bios", "none",
           "-kernel", "kernel/kernel", "-m", "128M", "-smp", "3", "-nographic",
           "-global", "virtio-mmio.force-legacy=false",
           "-drive", "file=fs.img,if=none,format=raw,id=x0",
           "-device", "virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0", *args]
    return subprocess.Popen(cmd, cwd=tree, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=ENV, **kw)


def read_until(proc, pattern, timeout=60):
    """stdout of proc until pattern matches (bytes so far)."""
    out, rx = b"", re.compile(pattern)
    deadline = time.monotonic() + timeout
    while not rx.search(out):
        left = deadline - time.monotonic()
        assert left > 0, out
        r, _, _ = select.select([proc.stdout], [], [], left)
        if r:
            data = os.read(proc.stdout.fileno(), 4096)
            assert data, out
            out += data
    return out


def rvemu_after_writing(tree, name, text):
    """rvemu booted to the shell in tree, which has then written text to file name (to look for
    on the disk after rvemu is gone)."""
    p = rvemu_popen(tree)
    read_until(p, rb"\$ $")
    p.stdin.write(f"echo {text} > {name}\n".encode())
    p.stdin.flush()
    read_until(p, rb"\$ $")
    return p


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_signal_ends_rvemu_with_128_plus_signum(labtree, sig):
    p = rvemu_after_writing(labtree, "sigfile", "signalled")
    try:
        p.send_signal(sig)
        assert p.wait(20) == 128 + sig
        err = p.stderr.read().decode()
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()
    assert err.strip().splitlines()[-1] == \
        f"rvemu: terminating on signal {int(sig)} ({signal.Signals(sig).name})", err
    assert "Traceback" not in err
    assert xv6fs.Image(str(labtree / "fs.img")).read("/sigfile") == b"signalled\n"


def test_closed_output_pipe_ends_rvemu_like_sigpipe(labtree):
    """`rvemu ... | head`: once the reader of its output is gone, the next guest output ends the
    run as SIGPIPE would, cleanly: status 128 + SIGPIPE, one line on stderr, no traceback, and
    what the guest wrote before is on the disk."""
    p = rvemu_after_writing(labtree, "pipefile", "piped")
    try:
        p.stdout.close()                          # the reader leaves
        p.stdin.write(b"ls\n")                    # output with nowhere to go
        p.stdin.flush()
        assert p.wait(20) == 128 + signal.SIGPIPE
        err = p.stderr.read().decode()
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()
    assert err.strip().splitlines()[-1] == "rvemu: terminating on signal 13 (SIGPIPE)", err
    assert "Traceback" not in err
    assert xv6fs.Image(str(labtree / "fs.img")).read("/pipefile") == b"piped\n"


def test_sigterm_restores_the_terminal(labtree):
    """rvemu on a pty (raw console), killed: the shell after it finds echo and icanon back."""
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn("/bin/sh", cwd=str(labtree), timeout=60, encoding="utf-8",
                          env={**ENV, "PS1": "sh> "})
    try:
        child.sendline(f"sh -c 'echo $$ > rvemu.pid; exec {sys.executable} -m rvemu.cli "
                       "-kernel kernel/kernel -drive file=fs.img,if=none,format=raw,id=x0 "
                       "-device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0 -smp 3'; "
                       "echo STATUS=$?; stty -a | tr ' ' '\\n' | "
                       "grep -x -e echo -e -echo -e icanon -e -icanon | tr '\\n' ' '; "
                       "echo STTY-END")
        child.expect(r"init: starting sh\s+\$ ")        # the guest's shell: rvemu is raw
        os.kill(int((labtree / "rvemu.pid").read_text()), signal.SIGTERM)
        child.expect(r"rvemu: terminating on signal 15 \(SIGTERM\)")
        child.expect(r"STATUS=(\d+)")
        assert child.match.group(1) == "143"
        child.expect(r"((?:-?\w+ )+)STTY-END")
        assert sorted(child.match.group(1).split()) == ["echo", "icanon"]
        child.sendline("exit")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)


def test_gdb_without_S_runs_until_a_debugger_connects(labtree):
    """QEMU's -gdb alone: the guest boots at once; a client that connects stops it (the stub
    answers ? with a stop), c lets it run on, and after the client leaves another can come."""
    port = free_port()
    p = rvemu_popen(labtree, "-gdb", f"tcp::{port}")
    try:
        read_until(p, rb"\$ $")                     # booted with nobody attached
        for round in range(2):
            g = GraderGdb(port, timeout=10)
            g.send("?")
            deadline = time.monotonic() + 20
            while not g.packets:
                assert time.monotonic() < deadline
                g.read()
            assert g.packets[0].startswith("T05"), g.packets
            g.cont()
            p.stdin.write(f"echo attached-{round}\n".encode())
            p.stdin.flush()
            read_until(p, f"attached-{round}\n".encode())
            g.close()
        p.stdin.write(b"poweroff\n")
        p.stdin.flush()
        assert p.wait(30) == 0
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()


@needs_make
@pytest.mark.skipif(shutil.which("gdb-multiarch") is None, reason="gdb-multiarch not installed")
def test_gdb_multiarch_with_the_lab_gdbinit(labtree):
    """make qemu-gdb, then gdb-multiarch with the tree's .gdbinit: a breakpoint in the kernel,
    info registers, x/i $pc, stepi; when gdb leaves, xv6 boots on."""
    port = free_port()
    make = Make(labtree, "qemu-gdb", f"GDBPORT={port}")
    try:
        make.react(lambda m: b"waiting for gdb" in m.output, 90)
        assert (labtree / ".gdbinit").read_text().count(f"127.0.0.1:{port}") == 1
        r = subprocess.run(["gdb-multiarch", "-nx", "-batch", "-x", ".gdbinit",
                            "-ex", "break main", "-ex", "continue",
                            "-ex", "info registers pc", "-ex", "x/i $pc",
                            "-ex", "stepi", "-ex", "info registers", "-ex", "detach"],
                           cwd=labtree, capture_output=True, text=True, timeout=120)
        out = r.stdout + r.stderr
        bp = re.search(r"Breakpoint 1 at (0x8[0-9a-f]+)", out)
        assert bp, out
        addr = int(bp.group(1), 16)
        assert re.search(rf"hit Breakpoint 1, 0x0*{addr:x} in main \(\)", out), out
        assert re.search(rf"^pc\s+0x{addr:x}\s+0x{addr:x} <main\+\d+>", out, re.M), out
        assert re.search(rf"^=> 0x{addr:x} <main\+\d+>:\s+\w+", out, re.M), out   # x/i $pc
        # stepi moved on, and info registers shows the hart's registers
        pcs = [int(v, 16) for v in re.findall(r"^pc\s+(0x[0-9a-f]+)", out, re.M)]
        assert len(pcs) == 2 and pcs[0] == addr and pcs[1] != addr, out
        assert re.search(r"^ra\s+0x8[0-9a-f]+", out, re.M), out
        assert re.search(r"^sp\s+0x8[0-9a-f]+", out, re.M), out
        assert "detached" in out, out
        make.expect(r"init: starting sh\n\$ ")
        make.proc.terminate()
        make.proc.wait(30)
    finally:
        make.kill()


def kernel_symbol(path, name):
    from elftools.elf.elffile import ELFFile
    with open(path, "rb") as f:
        sym = ELFFile(f).get_section_by_name(".symtab").get_symbol_by_name(name)
    return sym[0]["st_value"]


def test_grader_breakpoint_then_sigterm_while_stopped(labtree):
    """The grader's stop_breakpoint: Z1 and c sent back to back, T05 when the kernel gets
    there; SIGTERM while the guest sits stopped under the client still ends rvemu at once."""
    port = free_port()
    p = rvemu_popen(labtree, "-S", "-gdb", f"tcp::{port}")
    try:
        g = GraderGdb(port, timeout=30)
        g.send("Z1,%x,1" % kernel_symbol(labtree / "kernel" / "kernel", "main"))
        g.cont()
        deadline = time.monotonic() + 60
        while len(g.packets) < 2:
            assert time.monotonic() < deadline, g.packets
            g.read()
        assert g.packets[0] == "OK" and g.packets[1].startswith("T05"), g.packets
        p.send_signal(signal.SIGTERM)
        assert p.wait(20) == 143
        err = p.stderr.read().decode()
        assert "rvemu: terminating on signal 15 (SIGTERM)" in err and "Traceback" not in err
        g.close()
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()
