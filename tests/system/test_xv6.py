"""Boot our xv6 and run programs in it, on 1 and 3 harts.  Every subtest of user/xv6test.c is
an item of its own: test_xv6test_quick[HARTS-NAME] (`xv6test -q`, the default suite) and
test_xv6test_full[HARTS-NAME] (`xv6test`, -m slow)."""

import pytest
from guest import Run, cases, whole

from rvemu import xv6fs
from rvemu.board import Board
from rvemu.machine import StopReason

PROMPT = r"\$ $"


def boot(image, harts):
    b = Board(ram_mib=128, harts=harts)
    b.boot_image(image)
    b.expect(r"\$ ", timeout_instructions=200_000_000)
    return b


def sh(b, line, timeout=2_000_000_000):
    """Type a command; return what it printed before the next prompt (without the echo of the
    command line itself)."""
    start = len(b.output)
    b.send(line + "\n")
    m = b.expect(r"\n\$ ", timeout_instructions=timeout, start=start)
    text = bytes(b.output[start:m.start()]).decode(errors="replace")
    echo, _, rest = text.partition("\n")
    assert echo == line, (echo, line)
    return rest


@pytest.mark.parametrize("harts", [1, 3])
def test_boot_to_shell_and_basic_commands(fresh_image, harts):
    b = boot(fresh_image, harts)
    listing = sh(b, "ls")
    names = [row.split()[0] for row in listing.splitlines() if row.strip()]
    for name in ("README", "cat", "sh", "xv6test", "console", ".", ".."):
        assert name in names
    assert "teaching kernel" in sh(b, "cat README")
    sh(b, "echo hello rvemu > greeting")
    assert sh(b, "cat greeting").endswith("hello rvemu")
    assert sh(b, "wc greeting").split()[:3] == ["1", "2", "12"]
    assert "hello" in sh(b, "cat greeting | grep hel")
    b.send("poweroff 5\n")
    assert b.run(max_instructions=100_000_000) is StopReason.EXIT and b.exit_code == 5
    b.poweroff()
    img = xv6fs.Image(fresh_image)
    assert img.read("/greeting") == b"hello rvemu\n"
    assert xv6fs.fsck(fresh_image) == []


QUICK = [Run("xv6test", harts, quick=True, timeout=20_000_000_000) for harts in (1, 3)]
FULL = [Run("xv6test", harts, timeout=100_000_000_000) for harts in (1, 3)]


@pytest.mark.parametrize("case", [c for run in QUICK for c in cases(run)])
def test_xv6test_quick(guest_runs, case, request):
    guest_runs.check(case, request)


@pytest.mark.parametrize("case", [whole(run) for run in QUICK])
def test_xv6test_quick_whole_run(guest_runs, case, request):
    """`xv6test -q` ends with the line xv6's graders look for, and leaves a clean disk."""
    out = guest_runs.check_whole(case, request)
    assert "ALL TESTS PASSED" in out.lines(), out.output[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize("case", [c for run in FULL for c in cases(run)])
def test_xv6test_full(guest_runs, case, request):
    guest_runs.check(case, request)


def test_kernel_sizes_itself_to_the_ram(fresh_image):
    """The kernel measures RAM at boot: with -m 48 it manages 48 MiB, and running out of memory
    still ends with an error for the process, not a panic."""
    b = Board(ram_mib=48, harts=1)
    b.boot_image(fresh_image)
    b.expect(r"\$ ", timeout_instructions=200_000_000)
    assert b"booting (48 MiB of RAM)" in bytes(b.output)
    out = sh(b, "xv6test -q oom", timeout=20_000_000_000)
    assert "ALL TESTS PASSED" in out, out[-2000:]


def test_device_numbers_kernel_and_fsck_agree(fresh_image):
    """mknod's range and fsck's are one definition (fs.h MAXMAJOR/MAXMINOR, rvemu.xv6fs): the
    largest numbers the kernel accepts make an image fsck finds clean; one more is EINVAL."""
    b = boot(fresh_image, 1)
    assert sh(b, "mknod dev.max 32767 32767") == ""
    assert sh(b, "mknod dev.nodrv 10 0") == ""
    assert sh(b, "mknod dev.big 32768 0") == "mknod dev.big: invalid argument"
    assert "no such device" in sh(b, "cat dev.max")     # a valid node without a driver
    b.send("poweroff\n")
    assert b.run(max_instructions=100_000_000) is StopReason.EXIT
    b.poweroff()
    assert xv6fs.fsck(fresh_image) == []
    img = xv6fs.Image(fresh_image)
    ip = img.inode(img.lookup("dev.max"))
    assert (ip.type, ip.major, ip.minor) == (xv6fs.T_DEVICE, 32767, 32767)
