"""The host directory an isolating executor keeps for one session.

The sandbox and the container show agent code no host path but this one: `work` is the
worker's current directory, kept across worker restarts; beside it the executor keeps what
only it needs (the sandbox's `etc`, the container's `channel`). Made when the session
starts, removed when it closes.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["SessionDir"]


class SessionDir:
    """A fresh private directory with `work` and the given parts in it."""

    def __init__(self, kind: str, parts: Sequence[str] = ()) -> None:
        self.path = Path(tempfile.mkdtemp(prefix=f"py-code-mode-{kind}-"))
        for part in ("work", *parts):
            (self.path / part).mkdir()

    @property
    def work(self) -> Path:
        """The worker's current directory."""
        return self.path / "work"

    def __truediv__(self, part: str) -> Path:
        return self.path / part

    def remove(self) -> None:
        """Remove it and everything in it; quiet if it is already gone."""
        shutil.rmtree(self.path, ignore_errors=True)
