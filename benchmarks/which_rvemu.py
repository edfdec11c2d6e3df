"""Which rvemu the benchmark suite imports: one whose compiled core is built.

`pytest benchmarks` finds the installed rvemu first on sys.path (site-packages); `python -m
pytest benchmarks` from a checkout puts the checkout first, and its rvemu has a compiled core
only after `python setup.py build_ext --inplace`.  choose() keeps the first rvemu on sys.path
when its core is built; otherwise it moves the folders holding core-less rvemu packages behind
the first that has a core (an installed rvemu); with none, conftest.py stops the run with
HOW_TO.  It imports nothing of rvemu: it decides before the first import.
"""

from __future__ import annotations

import importlib.machinery
from pathlib import Path
from typing import List, Optional, Tuple

HOW_TO = ("rvemu's compiled core is not built in {tree} and no installed rvemu has one: build it "
          "in place (python setup.py build_ext --inplace), or install rvemu (pip install "
          "'.[test]') and run `pytest benchmarks`")


def has_core(package: Path) -> bool:
    """True when the rvemu package folder holds the compiled core for this Python."""
    return any((package / f"_core{suffix}").is_file()
               for suffix in importlib.machinery.EXTENSION_SUFFIXES)


def packages(path: List[str], cwd: str) -> List[Tuple[int, Path]]:
    """(index in path, rvemu package folder) for each entry of path that holds an rvemu."""
    found = []
    for i, entry in enumerate(path):
        package = Path(entry or cwd) / "rvemu"
        if (package / "__init__.py").is_file():
            found.append((i, package))
    return found


def choose(path: List[str], cwd: str) -> Tuple[List[str], Optional[Path]]:
    """(new sys.path, the rvemu package `import rvemu` will find there), or (path, None) when
    no rvemu on path has its core built.  The entries of core-less rvemu packages found
    before the first with a core move to the end, in their order."""
    found = packages(path, cwd)
    built = [(i, package) for i, package in found if has_core(package)]
    if not built:
        return list(path), None
    first, package = built[0]
    behind = {i for i, _ in found if i < first}
    return ([e for i, e in enumerate(path) if i not in behind]
            + [e for i, e in enumerate(path) if i in behind]), package


def first(path: List[str], cwd: str) -> Optional[Path]:
    """The rvemu package folder that `import rvemu` finds first on path, if any."""
    found = packages(path, cwd)
    return found[0][1] if found else None
