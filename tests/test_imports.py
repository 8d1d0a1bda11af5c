"""Each entry point imports on its own, first, in a fresh interpreter (no import cycles)."""

from __future__ import annotations

import subprocess
import sys

import pytest

ENTRY_POINTS = [
    "chatbot.services",
    "chatbot.conversation",
    "chatbot.app",
    "chatbot.cli",
    "chatbot.migration.jobs",
    "chatbot.notify",
    "handlers",
]


@pytest.mark.parametrize("module", ENTRY_POINTS)
def test_imports_first(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
