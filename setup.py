"""Build script: only lists the Cython extensions (metadata lives in pyproject.toml).

The decoder is generated from the encoding table (rvemu/opcodes.py) before cythonizing."""

import os
import sys

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "rvemu"))
import _gendecode  # noqa: E402  (pure Python, loads opcodes.py by path)

_gendecode.generate(os.path.join(HERE, "rvemu", "_decode.pxi"))

from Cython.Build import cythonize  # noqa: E402

DEBUG = os.environ.get("RVEMU_DEBUG") == "1"
extensions = [
    Extension(
        "rvemu._core",
        ["rvemu/_core.pyx"],
        extra_compile_args=(["-O0", "-g"] if DEBUG else ["-O2"]) + ["-Wno-unused-function"],
    ),
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={"language_level": 3},
        annotate=os.environ.get("RVEMU_ANNOTATE") == "1",
    ),
)
