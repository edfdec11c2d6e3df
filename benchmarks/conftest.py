import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rvemu import toolchain  # noqa: E402


@pytest.fixture(scope="session")
def program_dir(tmp_path_factory):
    if not toolchain.available():
        pytest.skip("ziglang is not installed (pip install '.[test]')")
    return tmp_path_factory.mktemp("bench-programs")
