"""Packaging, from the source tree (issue 15, part 3); the built wheel is tests/system/test_wheel.py.

* Reading metadata compiles nothing: `python setup.py --version` in a copy of the tree prints
  the version and leaves no generated decoder, C file or build folder behind.
* One version, in rvemu/_version.py: the package, `rvemu --version` and the metadata agree.
* Runtime dependencies are ranges; every package under rvemu/ is declared.
* `python -m pytest benchmarks` from a checkout whose core is not built in place imports an
  installed rvemu, or stops saying what to do (benchmarks/which_rvemu.py).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import rvemu

ROOT = Path(__file__).resolve().parent.parent
VERSION_FILE = ROOT / "rvemu" / "_version.py"
SO = importlib.machinery.EXTENSION_SUFFIXES[0]


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def the_version() -> str:
    return load(VERSION_FILE, "_rvemu_version_under_test").__version__


def pyproject() -> dict:
    tomllib = pytest.importorskip("tomllib")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def source_copy(dst: Path, *folders: str) -> Path:
    """The tracked-looking files of the tree (no build products), as a fresh checkout has."""
    skip = shutil.ignore_patterns("*.so", "*.c", "_decode.pxi", "*.html", "__pycache__", "build",
                                  "*.egg-info", ".pytest_cache")
    for name in ("setup.py", "pyproject.toml", "README.md", "MANIFEST.in"):
        shutil.copy2(ROOT / name, dst / name)
    for folder in folders:
        shutil.copytree(ROOT / folder, dst / folder, ignore=skip)
    return dst


def test_setup_version_compiles_nothing(tmp_path):
    if not (ROOT / "setup.py").exists():
        pytest.skip("needs the source tree")
    pytest.importorskip("setuptools")
    tree = source_copy(tmp_path, "rvemu")
    before = {p.relative_to(tree) for p in tree.rglob("*")}
    r = subprocess.run([sys.executable, "setup.py", "--version"], cwd=tree, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[-1] == the_version()
    made = {p.relative_to(tree) for p in tree.rglob("*")} - before
    made = {p for p in made if "egg-info" not in str(p) and "__pycache__" not in str(p)}
    assert made == set(), f"setup.py --version made {sorted(map(str, made))}"


def test_one_version():
    text = VERSION_FILE.read_text()
    assert re.search(r'^__version__ = "\d+\.\d+\.\d+"$', text, re.M)
    assert rvemu.__version__ == the_version()
    project = pyproject()["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert pyproject()["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "rvemu._version.__version__"}
    # nowhere else: no other file of the package spells out a version
    for path in (ROOT / "rvemu").rglob("*.py"):
        if path != VERSION_FILE:
            assert not re.search(r"__version__\s*=", path.read_text()), path


def test_cli_version(tmp_path):
    # the rvemu under test (the source tree's or the installed one, as for this process)
    env = dict(os.environ, PYTHONPATH=str(Path(rvemu.__file__).resolve().parent.parent))
    r = subprocess.run([sys.executable, "-m", "rvemu.cli", "--version"], capture_output=True,
                       text=True, timeout=60, cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"rvemu {the_version()}"


def test_runtime_dependencies_are_ranges():
    deps = pyproject()["project"]["dependencies"]
    assert deps
    for dep in deps:
        assert "==" not in dep and ">=" in dep and "<" in dep, dep


def test_every_package_declared():
    include = pyproject()["tool"]["setuptools"]["packages"]["find"]["include"]
    setuptools = pytest.importorskip("setuptools")
    found = set(setuptools.find_packages(where=str(ROOT), include=include))
    folders = {".".join(p.parent.relative_to(ROOT).parts)
               for p in (ROOT / "rvemu").rglob("*.py") if "__pycache__" not in p.parts}
    assert folders <= found, f"folders of Python files not declared as packages: {folders - found}"
    assert {"rvemu", "rvemu.devices"} <= found


# --- benchmarks/which_rvemu.py: which rvemu `python -m pytest benchmarks` imports -------------

which = load(ROOT / "benchmarks" / "which_rvemu.py", "_which_rvemu_under_test")


def fake_rvemu(folder: Path, core: bool) -> str:
    (folder / "rvemu").mkdir(parents=True)
    (folder / "rvemu" / "__init__.py").write_text("")
    if core:
        (folder / "rvemu" / f"_core{SO}").write_bytes(b"")
    return str(folder)


def test_choose_keeps_a_built_source_tree(tmp_path):
    src, site = fake_rvemu(tmp_path / "src", True), fake_rvemu(tmp_path / "site", True)
    path = ["", "/lib", site]
    assert which.choose(path, src) == (path, Path(src) / "rvemu")


def test_choose_moves_a_coreless_tree_behind_the_installed(tmp_path):
    src, site = fake_rvemu(tmp_path / "src", False), fake_rvemu(tmp_path / "site", True)
    other = str(tmp_path / "other")                          # no rvemu there: stays in place
    path = ["", other, site, "/x", src]
    assert which.choose(path, src) == ([other, site, "/x", src, ""], Path(site) / "rvemu")
    assert which.first(path, src) == Path(src) / "rvemu"


def test_choose_finds_none_without_a_core(tmp_path):
    src, site = fake_rvemu(tmp_path / "src", False), fake_rvemu(tmp_path / "site", False)
    path = [src, site]
    assert which.choose(path, "/") == (path, None)
    assert which.first([str(tmp_path)], "/") is None


def test_python_m_pytest_benchmarks_from_a_checkout_without_core(tmp_path):
    """A checkout as CI has it (no core built in place): `python -m pytest benchmarks` collects
    with the installed rvemu, or, with none installed, stops with what to do."""
    tree = source_copy(tmp_path, "rvemu", "benchmarks")
    installed = [Path(p) / "rvemu" for p in sys.path[1:]
                 if p and Path(p).resolve() != ROOT and which.has_core(Path(p) / "rvemu")]
    r = subprocess.run([sys.executable, "-m", "pytest", "benchmarks", "--collect-only", "-q",
                        "-p", "no:cacheprovider", "--rootdir", str(tree)], cwd=tree,
                       capture_output=True, text=True, timeout=300)
    out = r.stdout + r.stderr
    if installed:
        assert r.returncode == 0, out[-3000:]
        assert re.search(r"\d+ tests collected", out), out[-3000:]
    else:
        assert r.returncode == 4, out[-3000:]
        assert "python setup.py build_ext --inplace" in out and str(tree / "rvemu") in out, out
