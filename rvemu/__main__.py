"""``python -m rvemu``: the ``rvemu`` command (rvemu.cli)."""

import sys

from .cli import main

sys.exit(main())
