"""Helpers for tests that are not fixtures."""

from __future__ import annotations

import os
import shutil

import pytest


def require_binary(name: str) -> str:
    """The path of a binary the test needs: fail in CI, skip with a reason elsewhere."""
    path = shutil.which(name)
    if path is None:
        missing(f"{name!r} is not installed (CI installs it: .ci/run)")
    assert path is not None
    return path


def missing(message: str) -> None:
    """Something the test needs is not here: fail in CI, skip with the reason elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)
