"""Build script: the Cython extension and the bundled xv6 image (metadata is in pyproject.toml).

Importing this file compiles nothing: `python setup.py --version`, pip's metadata step and
`python -m build --sdist` only read metadata.  The work is done by two build commands:

* build_ext generates the decoder from the encoding table (rvemu/_gendecode.py writes
  rvemu/_decode.pxi from rvemu/opcodes.py), cythonizes rvemu/_core.pyx and compiles it.
  RVEMU_DEBUG=1: a debug build (-O1 with symbols).  RVEMU_ANNOTATE=1: `cython -a` HTML beside
  the .pyx.
* build_py also builds the guest (xv6/build.py, with the ziglang toolchain from the build
  requirements) and installs the bootable image as rvemu/images/xv6.img, so a wheel carries it.
  RVEMU_SKIP_IMAGE=1 skips that (an emulator-only build).
"""

import importlib.util
import os
import shutil

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name, path):
    """A build helper module, by path (the rvemu package is not importable while it builds)."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class build_ext_cython(build_ext):
    """build_ext that first generates the decoder and cythonizes (Cython is a build requirement
    only: nothing imports it before this command runs)."""

    def run(self):
        _load("_rvemu_gendecode", "rvemu/_gendecode.py").generate(
            os.path.join(HERE, "rvemu", "_decode.pxi"))  # rewritten only when it changes
        from Cython.Build import cythonize
        for ext in self.extensions:
            # cythonize returns new Extension objects: keep ours (build_ext's finalize_options
            # has set them up) and take only the generated C sources.
            (cythonized,) = cythonize([ext], compiler_directives={"language_level": 3},
                                      annotate=os.environ.get("RVEMU_ANNOTATE") == "1",
                                      force=self.force)
            ext.sources = cythonized.sources
        super().run()


class build_py_with_image(build_py):
    """build_py, plus the xv6 bootable image as package data."""

    def run(self):
        super().run()
        if os.environ.get("RVEMU_SKIP_IMAGE") == "1":
            return
        if not os.path.exists(os.path.join(HERE, "xv6", "kernel", "main.c")):
            return                      # no guest in this tree yet
        xv6build = _load("_xv6_build", "xv6/build.py")
        build_temp = self.get_finalized_command("build").build_temp
        image = xv6build.build(os.path.join(build_temp, "xv6"))
        dest = os.path.join(self.build_lib, "rvemu", "images")
        os.makedirs(dest, exist_ok=True)
        shutil.copyfile(image, os.path.join(dest, "xv6.img"))


DEBUG = os.environ.get("RVEMU_DEBUG") == "1"

setup(
    cmdclass={"build_ext": build_ext_cython, "build_py": build_py_with_image},
    ext_modules=[
        Extension(
            "rvemu._core",
            ["rvemu/_core.pyx"],
            # The run loop's handlers (_handlers.pxi) reach each other by tail calls, which gcc
            # makes jumps only when it optimises: a debug build is -O1 with them, not -O0 (whose
            # calls would grow the host stack with every guest instruction).
            extra_compile_args=(["-O1", "-foptimize-sibling-calls", "-g"] if DEBUG else ["-O2"])
            + ["-Wno-unused-function"],
        ),
    ],
)
