"""rvemu's version: the one place it is written.

pyproject.toml reads it for the package metadata (`[tool.setuptools.dynamic]`, without importing
rvemu); ``rvemu.__version__`` and ``rvemu --version`` import it, so an installed rvemu and a
source tree each report their own.
"""

__version__ = "0.2.0"
