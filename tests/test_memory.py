"""The allocator is told to give big freed blocks back (chatbot/memory.py)."""

from __future__ import annotations

import platform
import subprocess
import sys

CHECK = """
import platform
from chatbot.memory import return_freed_memory
done = return_freed_memory()
print(done, platform.libc_ver()[0])
"""


def test_glibc_takes_the_settings_and_other_libcs_are_left_alone() -> None:
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                         check=True, timeout=60).stdout.split()  # fmt: skip
    if platform.libc_ver()[0] == "glibc":
        assert out == ["True", "glibc"]
    else:
        assert out[0] == "False"
