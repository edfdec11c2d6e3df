"""Packaging, as a user meets it: an sdist holds everything; the wheel built from it carries the
compiled core and the bootable xv6 image; installed into a fresh virtual environment, `rvemu`
with no argument boots that image to a shell."""

import os
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{cmd}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def test_sdist_wheel_venv_boot(tmp_path):
    if not (ROOT / "pyproject.toml").exists():
        pytest.skip("needs the source tree")
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "build", "--sdist", "--outdir", str(dist), str(ROOT)])
    sdist = next(dist.glob("rvemu-*.tar.gz"))
    with tarfile.open(sdist) as t:
        names = t.getnames()
    for must in ("rvemu/_core.pyx", "rvemu/opcodes.py", "xv6/kernel/main.c", "xv6/user/sh.c",
                 "xv6/build.py", "setup.py"):
        assert any(n.endswith(must) for n in names), must
    assert not any(n.endswith("_core.c") for n in names)      # generated C is not shipped
    # the wheel, built from the sdist alone
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dist), str(sdist)],
        timeout=1800)
    wheel = next(dist.glob("rvemu-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    assert "rvemu/images/xv6.img" in names
    assert any(n.startswith("rvemu/_core.") and n.endswith(".so") for n in names)
    # a fresh virtual environment, and the command a user types
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    run([str(py), "-m", "pip", "install", "--quiet", str(wheel)], timeout=600)
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"))
    r = subprocess.run([str(env_dir / "bin" / "rvemu"), "--timeout", "120"],
                       input="ls\necho packaged > f\ncat f\npoweroff 3\n", capture_output=True,
                       text=True, cwd=tmp_path, timeout=300, env=env)
    assert r.returncode == 3, r.stderr
    assert "README" in r.stdout and "$ packaged\n" in r.stdout
    # the guest wrote to the user's copy, never to the image inside the package
    disk = next((tmp_path / "data" / "rvemu").glob("xv6-*.img"))
    assert b"packaged" in disk.read_bytes()
    bundled = next(env_dir.glob("lib/python*/site-packages/rvemu/images/xv6.img"))
    assert b"packaged" not in bundled.read_bytes()
    r = subprocess.run([str(env_dir / "bin" / "rvemu"), "--timeout", "120"], input="cat f\n"
                       "poweroff\n", capture_output=True, text=True, cwd=tmp_path, timeout=300,
                       env=env)
    assert "$ packaged\n" in r.stdout                # the file system persists between runs
