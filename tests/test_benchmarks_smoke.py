"""The benchmark suite (benchmarks/) in smoke mode, so that it cannot rot unnoticed.

Smoke mode (benchmarks/conftest.py) shrinks every workload to SMOKE_ROUNDS rounds and every
benchmark to one round, skips the peers' calibration, and is implied by --benchmark-disable; the
peers that are installed run too, the others skip.  The second test times a smoke-size run to a
JSON file and turns it into the Markdown report (and the charts when matplotlib is there), and
checks that the report command explains a missing matplotlib.  Both run pytest in a subprocess
from the repository root, as a person would: `pytest benchmarks --benchmark-disable`.

The page-fault benchmarks (benchmarks/test_faults.py) build two xv6 kernels; both runs build
them into one folder of this session's pytest cache (--bench-xv6-dir), so after the first
build (about 20 s each) they are only brought up to date.  When valgrind is installed, each run
also counts host instructions of one smoke-size workload under callgrind (about 15 s).  The
xv6 benchmarks (benchmarks/test_xv6.py) boot the guest four times and type `mmaptest` or, in
smoke mode, `xv6test -q ulib` (about 3 s in all).
"""

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(importlib.util.find_spec("ziglang") is None,
                                reason="ziglang is not installed (pip install '.[test]')")
TIMEOUT = 900          # a hang's bound, not a speed check: alone a smoke run takes ~3 min


def run(args, cwd=ROOT, **kw):
    r = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                       timeout=TIMEOUT, **kw)
    return r, r.stdout + r.stderr


@pytest.fixture(scope="session")
def xv6_dir(request, tmp_path_factory):
    """Where the suite's page-fault benchmarks build their kernels: kept in the pytest cache
    when there is one, so that the next test run finds them built."""
    cache = getattr(request.config, "cache", None)
    if cache is not None:
        return cache.mkdir("bench-xv6")
    return tmp_path_factory.mktemp("bench-xv6")


def run_suite(xv6_dir, *args):
    # From a neutral directory and with --import-mode=append, so the installed rvemu (with its
    # compiled core) is imported, not the source tree's (which has none in CI).
    r, out = run(["-m", "pytest", str(ROOT / "benchmarks"), f"--rootdir={ROOT}",
                  "--import-mode=append", "-p", "no:cacheprovider", "-q", "-rs",
                  "--bench-progress=off", f"--bench-xv6-dir={xv6_dir}", *args],
                 cwd=Path(__file__).resolve().parent)
    assert r.returncode == 0, out[-4000:]
    assert re.search(r"\d+ passed", out) and not re.search(r"\d+ error", out), out[-4000:]
    return out


def test_benchmark_suite_runs_in_smoke_mode(xv6_dir):
    run_suite(xv6_dir, "--benchmark-disable")


def test_smoke_run_to_json_and_report(tmp_path, xv6_dir):
    data = tmp_path / "run.json"
    run_suite(xv6_dir, "--bench-smoke", f"--benchmark-json={data}")
    out_dir = tmp_path / "report"
    charts = importlib.util.find_spec("matplotlib") is not None
    r, out = run(["-m", "benchmarks.report", str(data), "--out", str(out_dir),
                  *([] if charts else ["--no-charts"])])
    assert r.returncode == 0, out
    md = (out_dir / "report.md").read_text()
    callgrind = shutil.which("valgrind") is not None
    rows = ["| integer |", "| memory |", "| tlb |", "| sharedpage |", "| sharedpage-aligned |",
            "## Code and data in one page", "| sharedpage / sharedpage-aligned |",
            "## Multi-hart start-up (smpboot)", "## Boot to the shell prompt",
            "## Page-fault cost in the xv6 guest", "| anon | dbit |", "| shared-store | wp |",
            "## xv6: boot and commands", "| xv6test -q ulib | boot + command |",
            "| mmaptest | command |", "| mmaptest | 3 | boot |"]
    if callgrind:
        rows += ["## Host instructions per guest instruction (callgrind)", "| integer | 1 | 1 |"]
    for row in rows:
        assert row in md, md
    assert re.search(r"^\| 3 \| 1 \| [\d,]+ \|", md, re.M), md     # smpboot on 3 harts
    if charts:
        pngs = ["mips.png", "smpboot.png", "boot.png", "faults.png"]
        for png in pngs + (["hostinsns.png"] if callgrind else []):
            assert (out_dir / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            assert f"({png})" in md

    # Without matplotlib the command says what is missing (and writes nothing).
    r, out = run(["-c", "import sys; sys.modules['matplotlib'] = None; "
                        "from benchmarks.report import main; sys.exit(main(sys.argv[1:]))",
                  str(data), "--out", str(tmp_path / "none")])
    assert r.returncode == 2 and "matplotlib" in out and "--no-charts" in out, out
    assert not (tmp_path / "none").exists()
