from pathlib import Path

import pytest

from rvemu import toolchain

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def board_program(tmp_path_factory):
    """build(name) -> ELF path of tests/board/<name>.S."""
    if not toolchain.available():
        pytest.skip("ziglang is not installed")
    out = tmp_path_factory.mktemp("board-programs")

    def build(name, sources=None):
        sources = sources or [HERE / f"{name}.S"]
        return toolchain.build_program(sources, HERE / "link.ld", out / f"{name}.elf",
                                       include=[HERE], deps=[HERE / "board.h"])
    return build
