"""Fixtures and options of the benchmark suite (see benchmarks/README.md).

Options:
  --bench-progress=auto|on|off   a progress bar line per test (auto: on when the output is a
                                 terminal)
  --bench-smoke                  smoke size: tiny workloads, one round, no peer calibration
  --bench-xv6-dir=DIR            where test_faults.py builds its two xv6 kernels (default: the
                                 pytest cache, .pytest_cache/d/bench-xv6; a temporary folder
                                 when the cache is off)
Smoke size is also on with --benchmark-disable (nothing is timed, so the runs only need to
work) and with the environment variable RVEMU_BENCH_SMOKE=1.
"""

import contextlib
import os
import shutil
import sys
from pathlib import Path
from typing import Optional

import pytest

ROOT = Path(__file__).resolve().parent.parent
# after site-packages: `pytest benchmarks` imports the installed rvemu (with its compiled core)
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

from benchmarks import which_rvemu  # noqa: E402

# `python -m pytest benchmarks` from a checkout puts the checkout first: its rvemu serves when
# its core is built in place, else an installed rvemu does, else the run stops saying what to do.
if "rvemu" in sys.modules:                      # imported already: too late to choose
    FIRST = Path(sys.modules["rvemu"].__file__).parent
    RVEMU = FIRST if which_rvemu.has_core(FIRST) else None
else:
    FIRST = which_rvemu.first(sys.path, os.getcwd())
    sys.path[:], RVEMU = which_rvemu.choose(sys.path, os.getcwd())

if RVEMU is None:
    def pytest_configure(config):
        pytest.exit(which_rvemu.HOW_TO.format(tree=FIRST), returncode=pytest.ExitCode.USAGE_ERROR)
else:
    from benchmarks.harness import Progress, smoke_mode, xv6_build  # noqa: E402
    from rvemu import toolchain  # noqa: E402


def pytest_report_header(config):
    import rvemu
    line = f"rvemu {rvemu.__version__}: {RVEMU}"
    if RVEMU != FIRST:
        line += f" ({FIRST} has no compiled core)"
    return line


def pytest_addoption(parser):
    g = parser.getgroup("rvemu benchmarks")
    g.addoption("--bench-progress", choices=("auto", "on", "off"), default="auto",
                help="progress bar line per benchmark test (auto: when stdout is a terminal)")
    g.addoption("--bench-smoke", action="store_true",
                help="smoke size: tiny workloads and one round (implied by --benchmark-disable "
                     "and RVEMU_BENCH_SMOKE=1)")
    g.addoption("--bench-xv6-dir", metavar="DIR",
                help="build folder of the page-fault benchmarks' two xv6 kernels (default: "
                     "the pytest cache, else a temporary folder)")


@pytest.fixture(scope="session")
def smoke(request) -> bool:
    return smoke_mode(request.config)


@pytest.fixture(scope="session")
def program_dir(tmp_path_factory):
    if not toolchain.available():
        pytest.skip("ziglang is not installed (pip install '.[test]')")
    return tmp_path_factory.mktemp("bench-programs")


@pytest.fixture(scope="session")
def rvemu_results():
    """test_mips's rvemu figures per workload ({"mips": ..., "extra_info": dict}), for the peer
    ratios of the same run."""
    return {}


@pytest.fixture
def progress(request):
    """progress(total) -> a Progress bar labelled with the test's id (harness.Progress)."""
    config = request.config
    mode = config.getoption("--bench-progress")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    tty = bool(reporter is not None and getattr(reporter, "isatty", False))
    on = reporter is not None and (mode == "on" or (mode == "auto" and tty))
    started = []

    def out(line: Optional[str], inplace: bool) -> None:
        # Test output is captured (at the file-descriptor level by default): step around it.
        with capture.global_and_fixture_disabled() if capture else _nothing():
            if not started:
                reporter.ensure_newline()
                started.append(True)
            if line is None:                 # the end of an in-place bar: keep it
                reporter.write_line("")
            elif inplace:
                reporter.rewrite(line, erase=True)
            else:
                reporter.write_line(line)
            reporter.flush()

    bars = []

    def make(total: int) -> Progress:
        bar = Progress(out if on else None, request.node.name, total, inplace=tty)
        bars.append(bar)
        return bar

    yield make
    for bar in bars:
        bar.close()


@contextlib.contextmanager
def _nothing():
    yield


@pytest.fixture(scope="session")
def xv6_image():
    """The bootable xv6 image: the installed one (rvemu/images/xv6.img), or in a source tree
    without it one built now by xv6/build.py (incremental, in xv6/build)."""
    from rvemu.cli import bundled_image
    img = bundled_image()
    if img is None:
        mod = xv6_build()
        if not toolchain.available() or mod is None:
            pytest.skip("no bundled xv6 image and no toolchain to build one")
        img = str(mod.build())
    return img


@pytest.fixture(scope="session")
def xv6_build_dir(request, tmp_path_factory) -> Path:
    """Where test_faults.py builds its kernels: --bench-xv6-dir, else the pytest cache (kept
    between runs, so the builds are incremental), else a temporary folder."""
    given = request.config.getoption("--bench-xv6-dir")
    if given:
        return Path(given)
    cache = getattr(request.config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir("bench-xv6"))
    return tmp_path_factory.mktemp("bench-xv6")


@pytest.fixture
def image_copies(xv6_image, tmp_path):
    """image_copies() -> path of a new private copy of the xv6 image (guests write to it)."""
    made = []

    def copy() -> str:
        dst = tmp_path / f"xv6-{len(made)}.img"
        shutil.copyfile(xv6_image, dst)
        made.append(dst)
        return str(dst)

    return copy
