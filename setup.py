"""Build script: the Cython extension and the bundled xv6 image (metadata is in pyproject.toml).

* The decoder is generated from the encoding table (rvemu/opcodes.py) before cythonizing.
* build_py also builds the guest (xv6/build.py, with the ziglang toolchain from the build
  requirements) and installs the bootable image as rvemu/images/xv6.img, so a wheel carries it.
  RVEMU_SKIP_IMAGE=1 skips that (an emulator-only build).
"""

import os
import shutil
import sys

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "rvemu"))
import _gendecode  # noqa: E402  (pure Python, loads opcodes.py by path)

_gendecode.generate(os.path.join(HERE, "rvemu", "_decode.pxi"))

from Cython.Build import cythonize  # noqa: E402

DEBUG = os.environ.get("RVEMU_DEBUG") == "1"


class build_py_with_image(build_py):
    """build_py, plus the xv6 bootable image as package data."""

    def run(self):
        super().run()
        if os.environ.get("RVEMU_SKIP_IMAGE") == "1":
            return
        if not os.path.exists(os.path.join(HERE, "xv6", "kernel", "main.c")):
            return                      # no guest in this tree yet
        import importlib.util
        spec = importlib.util.spec_from_file_location("_xv6_build",
                                                      os.path.join(HERE, "xv6", "build.py"))
        xv6build = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(xv6build)
        build_temp = self.get_finalized_command("build").build_temp
        image = xv6build.build(os.path.join(build_temp, "xv6"))
        dest = os.path.join(self.build_lib, "rvemu", "images")
        os.makedirs(dest, exist_ok=True)
        shutil.copyfile(image, os.path.join(dest, "xv6.img"))


extensions = [
    Extension(
        "rvemu._core",
        ["rvemu/_core.pyx"],
        extra_compile_args=(["-O0", "-g"] if DEBUG else ["-O2"]) + ["-Wno-unused-function"],
    ),
]

setup(
    cmdclass={"build_py": build_py_with_image},
    ext_modules=cythonize(
        extensions,
        compiler_directives={"language_level": 3},
        annotate=os.environ.get("RVEMU_ANNOTATE") == "1",
    ),
)
