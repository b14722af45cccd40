"""The test suite (the README's command: `.venv/bin/python -m pytest`).

pytest imports this package before ``tests/conftest.py``, so what is set here holds before
the conftest imports the portal and before pytest-xdist starts its test processes.
"""

from __future__ import annotations

import os
import sys


def keep_compiled_modules() -> bool:
    """Let the run's processes reuse the bytecode one of them compiled, where the machine says not to write it.

    Our machines set ``PYTHONDONTWRITEBYTECODE=1``. The portal is installed editable, so pip
    compiled none of it: every test process, every ``voordeur serve`` a test starts and every
    ``voordeur`` command a test runs compiled the whole package from source again (~2 s of CPU
    each, against ~0.5 s to import it compiled), and pytest rewrote every test module in every
    process. For the run (this process and every process it starts) Python writes bytecode
    again, in ``__pycache__`` beside the sources as usual (ignored by git, and not in the wheel,
    which takes only the modules' sources and the package data). The libraries were compiled
    when pip installed them, so nothing else is written. Returns whether it changed anything.
    """
    if not os.environ.get("PYTHONDONTWRITEBYTECODE"):
        return False
    del os.environ["PYTHONDONTWRITEBYTECODE"]
    sys.dont_write_bytecode = False
    return True


keep_compiled_modules()
