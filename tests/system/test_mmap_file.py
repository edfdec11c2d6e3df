"""File-backed and shared mmap, the unified page cache, copy-on-write fork, writeback, fault
counters and pagemap: run user/mapfiletest in the guest, power off, then check the disk image
it leaves behind -- fsck-clean, and every file the tests wrote holds exactly the bytes that
mapfiletest.c's rules give (recomputed here; the two files must change together).

Runs on the default kernel (dirty tracking by the PTE D bit) on 1 and 3 harts, and on a kernel
built with --dirty wp (write-fault dirty tracking), which is built here into the pytest cache.
Every subtest is an item of its own (test_mapfiletest[HARTS-NAME], test_mapfiletest_wp[3-NAME])
that checks its result line and its own files on the disk."""

import importlib.util
import sys
from pathlib import Path

import pytest
from guest import Run, cases, whole

from rvemu import toolchain, xv6fs
from rvemu.board import Board
from rvemu.machine import StopReason

ROOT = Path(__file__).resolve().parents[2]
PG = 4096


# ---- the file contents mapfiletest.c writes ------------------------------------------------

def fbytes(seed, start, n):
    """Bytes start..start+n-1 of a file made with this seed (fbyte() in mapfiletest.c)."""
    return bytes((o + (o >> 8) * 7 + (o >> 12) * 31 + seed * 101) & 0xff
                 for o in range(start, start + n))


def with_marks(data, marks):
    """data with each mark (off, n, tag) applied: byte off+j becomes (tag + 5*j) & 0xff."""
    out = bytearray(data)
    for off, n, tag in marks:
        out[off:off + n] = bytes((tag + 5 * j) & 0xff for j in range(n))
    return bytes(out)


def patterned(seed, size, marks=()):
    return with_marks(fbytes(seed, 0, size), marks)


def sysbuf_files():
    a = fbytes(18, 0, 3 * PG)
    b = bytearray(fbytes(19, 0, 2 * PG))
    b[50:50 + PG] = a[:PG]
    return {
        "mf_sb_a": a[2 * PG:] + a[PG:2 * PG] + a[PG:2 * PG],   # page 0 := 2, then 2 := 1
        "mf_sb_b": bytes(b),
        "mf_sb_c": fbytes(18, 100, 2 * PG) + bytes(PG),
    }


def samefile_file():
    f = fbytes(30, 0, 4 * PG)
    return f[2 * PG:3 * PG] + f[PG:3 * PG] + f[PG:2 * PG]     # page 0 := 2, then 3 := 1


def conc_file(nconc=4, pages=8, rounds=6):
    """Child c stores byte o (o % 8 == c) in every round; the last round's value stays."""
    base = fbytes(24, 0, pages * PG)
    last = rounds - 1
    return bytes(((o * 3 + (o % 8) * 50 + last * 17 + 1) & 0xff) if o % 8 < nconc else base[o]
                 for o in range(pages * PG))


BIGPAGES = 67      # MAXFILE: 268 blocks of 1 KiB

# test name -> {file: expected contents}
EXPECTED = {
    "errors": lambda: {"mf_err": patterned(1, 2 * PG)},
    "lazy": lambda: {"mf_lazy": patterned(2, 4 * PG)},
    "shared": lambda: {"mf_shared": patterned(3, 3 * PG, [
        (10, 10, 0x41), (30, 5, 0x42), (40, 5, 0x46), (PG + 10, 10, 0x43),
        (2 * PG + 7, 20, 0x44), (50, 10, 0x45)])},
    "private": lambda: {"mf_priv": patterned(5, 3 * PG)},
    "coherent": lambda: {"mf_coh": patterned(6, 3 * PG, [(0, 100, 0x61), (PG + 5, 50, 0x62)])},
    "eof": lambda: {"mf_eof": patterned(7, PG + 1000, [(PG + 900, 100, 0x71)])},
    "writeback": lambda: {"mf_wb": patterned(8, 8 * PG, [
        (PG + 100, 50, 0x81), (4 * PG + 400, 50, 0x84), (6 * PG + 600, 50, 0x86),
        (0, 50, 0x80), (2 * PG + 200, 50, 0x82), (7 * PG + 700, 50, 0x87),
        (PG + 150, 20, 0x88), (3 * PG + 300, 50, 0x83)])},
    "msync": lambda: {"mf_inval": patterned(9, 2 * PG, [(0, 50, 0x91), (PG + 8, 8, 0x92)])},
    "syncpoints": lambda: {
        "mf_sp_unmap": patterned(10, 2 * PG, [(10, 20, 0xa1), (PG + 10, 20, 0xa2)]),
        "mf_sp_exit": patterned(11, 2 * PG, [(20, 20, 0xa3), (PG + 20, 20, 0xa4)]),
        "mf_sp_fsync": patterned(12, 2 * PG, [(30, 20, 0xa5)]),
        "mf_sp_sync": patterned(13, 2 * PG, [(PG + 40, 20, 0xa6)]),
    },
    "cowfork": lambda: {"mf_cowf": patterned(27, 2 * PG)},
    "shanon": lambda: {},
    "shfork": lambda: {"mf_shfork": patterned(14, 2 * PG, [(100, 10, 0xc1),
                                                           (PG + 100, 10, 0xc2)])},
    "punch": lambda: {"mf_punch": patterned(15, 5 * PG, [(20, 10, 0xd0),
                                                         (4 * PG + 10, 30, 0xd1)])},
    "mprotect": lambda: {"mf_mprot": patterned(16, 2 * PG, [(PG, 1, 1), (8, 4, 0xe1)])},
    "fixed": lambda: {"mf_fixed": patterned(17, 3 * PG, [(PG + 64, 32, 0xf1)])},
    "sysbuf": sysbuf_files,
    "populate": lambda: {"mf_pop": patterned(20, 4 * PG), "mf_popnb": patterned(21, 4 * PG),
                         "mf_popc": patterned(22, 8 * PG)},
    "many": lambda: {"mf_many": patterned(23, 4 * PG)},
    "conc": lambda: {"mf_conc": conc_file()},
    "trunc": lambda: {"mf_trunc": with_marks(bytes(100), [(0, 100, 0x19)])},
    "bigfile": lambda: {"mf_big": patterned(26, BIGPAGES * PG, [
        (k * PG + (k * 37) % 3000, 64, k + 1) for k in range(BIGPAGES)])},
    "unlink": lambda: {"mf_unl": None},            # None: must not exist
    "exec": lambda: {"mf_exec": patterned(29, 2 * PG, [(PG + 3, 9, 0x2b)])},
    "samefile": lambda: {"mf_same": samefile_file()},
}


# ---- running the guest ---------------------------------------------------------------------

def run_mapfiletest(image, harts, args=""):
    """Boot, run `mapfiletest args`, power off; what the program printed."""
    b = Board(ram_mib=128, harts=harts)
    b.boot_image(image)
    b.expect(r"\$ ", timeout_instructions=200_000_000)
    start = len(b.output)
    b.send(f"mapfiletest {args}".rstrip() + "\n")
    m = b.expect(r"\n\$ ", timeout_instructions=10_000_000_000, start=start)
    out = bytes(b.output[start:m.start()]).decode(errors="replace")
    b.send("poweroff\n")
    assert b.run(max_instructions=200_000_000) is StopReason.EXIT, out[-3000:]
    b.poweroff()
    return out


def first_difference(got, want):
    n = min(len(got), len(want))
    i = next((i for i in range(n) if got[i] != want[i]), n)
    g = f"{got[i]:#04x}" if i < len(got) else "end"
    w = f"{want[i]:#04x}" if i < len(want) else "end"
    return f"size {len(got)} (expected {len(want)}), first difference at {i}: {g}, expected {w}"


def disk_problems(image, tests):
    """fsck's complaints and every file of `tests` that does not hold its expected bytes."""
    problems = [f"fsck: {p}" for p in xv6fs.fsck(image)]
    img = xv6fs.Image(image)
    for test in tests:
        for name, want in EXPECTED[test]().items():
            try:
                got = img.read("/" + name)
            except FileNotFoundError:
                if want is not None:
                    problems.append(f"{name} ({test}): missing")
                continue
            if want is None:
                problems.append(f"{name} ({test}): still exists")
            elif got != want:
                problems.append(f"{name} ({test}): {first_difference(got, want)}")
    return problems


def check(image, harts, tests, repeat=1):
    """Run the named tests `repeat` times; assert the guest and disk are right."""
    out = run_mapfiletest(image, harts, " ".join(tests * repeat))
    lines = out.splitlines()
    fails = [line for line in lines if "FAIL" in line]
    problems = disk_problems(image, tests)
    ran = [line[3:] for line in lines if line.startswith("ok ")]
    assert ran == tests * repeat, f"tests passed: {ran}\n{out[-3000:]}"
    assert not fails and not problems and "mapfiletest: ALL OK" in lines, \
        "\n".join(["guest:"] + fails + ["disk:"] + problems + ["output tail:", out[-1500:]])


# ---- the tests -----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def wp_image(request, tmp_path_factory):
    """An image whose kernel tracks dirty shared pages by write faults (build.py --dirty wp),
    built (incrementally) into the pytest cache."""
    if not toolchain.available() or not (ROOT / "xv6" / "build.py").exists():
        pytest.skip("no toolchain to build the --dirty wp kernel")
    cache = getattr(request.config, "cache", None)
    out = Path(cache.mkdir("xv6-wp")) if cache is not None else tmp_path_factory.mktemp("xv6-wp")
    sys.path.insert(0, str(ROOT))
    spec = importlib.util.spec_from_file_location("_xv6_build_wp", ROOT / "xv6" / "build.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return str(mod.build(out, dirty="wp"))


@pytest.fixture
def fresh_wp_image(wp_image, tmp_path):
    dst = tmp_path / "xv6-wp.img"
    dst.write_bytes(Path(wp_image).read_bytes())
    return str(dst)


def test_expected_contents_match_the_rules():
    """The host-side model is self-consistent (the guest recomputes the same values)."""
    assert fbytes(3, 4096, 2) == bytes([(4096 + 16 * 7 + 31 + 303) & 0xff,
                                        (4097 + 16 * 7 + 31 + 303) & 0xff])
    assert with_marks(bytes(4), [(1, 2, 250)]) == bytes([0, 250, 255, 0])
    assert len(EXPECTED["bigfile"]()["mf_big"]) == xv6fs.MAXFILE * xv6fs.BSIZE


RUNS = [Run("mapfiletest", harts, timeout=10_000_000_000) for harts in (1, 3)]
WP = Run("mapfiletest", 3, image="wp_image", timeout=10_000_000_000)


def check_subtest(guest_runs, case, request):
    guest_runs.check(case, request)
    image = guest_runs.outcome(case.run, request).image
    problems = disk_problems(image, [case.name])
    assert not problems, "\n".join(["disk:"] + problems)


@pytest.mark.parametrize("case", [c for run in RUNS for c in cases(run)])
def test_mapfiletest(guest_runs, case, request):
    check_subtest(guest_runs, case, request)


@pytest.mark.parametrize("case", cases(WP))
def test_mapfiletest_wp(guest_runs, case, request):
    check_subtest(guest_runs, case, request)


@pytest.mark.parametrize("case", [whole(run) for run in RUNS] + [whole(WP, "wp")])
def test_mapfiletest_whole_run(guest_runs, case, request):
    """Every subtest passed, the guest powered off and fsck finds the disk clean."""
    guest_runs.check_whole(case, request)


@pytest.mark.parametrize("image", ["dbit", "wp"])
def test_concurrent_writers_repeated(fresh_image, request, image):
    """Four children store disjoint stripes of one shared file at once, on 3 harts, 10 times."""
    path = fresh_image if image == "dbit" else request.getfixturevalue("fresh_wp_image")
    check(path, 3, ["conc"], repeat=10)
