"""System tests boot the guest.  The image is the one installed with the package
(rvemu/images/xv6.img, built by `pip install .`), or, in a source tree without it, one built
now by xv6/build.py (incremental, in xv6/build)."""

import shutil
import sys
from pathlib import Path

import pytest

from rvemu import toolchain
from rvemu.cli import bundled_image

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def xv6_image():
    img = bundled_image()
    if img is None:
        if not toolchain.available() or not (ROOT / "xv6" / "build.py").exists():
            pytest.skip("no bundled xv6 image and no toolchain to build one")
        sys.path.insert(0, str(ROOT))
        import importlib.util
        spec = importlib.util.spec_from_file_location("_xv6_build", ROOT / "xv6" / "build.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        img = str(mod.build())
    return img


@pytest.fixture
def fresh_image(xv6_image, tmp_path):
    """A private copy of the bootable image (runs write to their disk)."""
    dst = tmp_path / "xv6.img"
    shutil.copyfile(xv6_image, dst)
    return str(dst)


@pytest.fixture(scope="session")
def guest_runs(request, tmp_path_factory):
    """The session's guest program runs (guest.GuestRuns): one boot per run, made when its
    first item asks."""
    from guest import GuestRuns
    return GuestRuns(request.session, tmp_path_factory)
