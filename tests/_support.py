"""Helpers for tests that are not fixtures."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import zipfile
from pathlib import Path
from typing import NoReturn

import anyio
import pytest


def require_binary(name: str) -> str:
    """The path of a binary the test needs: fail in CI, skip with a reason elsewhere."""
    path = shutil.which(name)
    if path is None:
        missing(f"{name!r} is not installed (CI installs it: .ci/run)")
    return path


def missing(message: str) -> NoReturn:
    """Something the test needs is not here: fail in CI, skip with the reason elsewhere.

    Under CI a missing binary or installer is a broken runner, not a reason to skip.
    """
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()}"


def build_wheel(
    directory: Path, name: str, version: str, files: dict[str, str], *, metadata: str = ""
) -> Path:
    """Write a pure-Python wheel with a correct RECORD, as a build backend would."""
    dist_info = f"{name}-{version}.dist-info"
    contents = {path: text.encode() for path, text in files.items()}
    contents[f"{dist_info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{metadata}"
    ).encode()
    contents[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: py-code-mode-tests\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n"
    )
    record = [f"{path},{_record_hash(data)},{len(data)}" for path, data in contents.items()]
    record.append(f"{dist_info}/RECORD,,")
    contents[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in contents.items():
            # A fixed date keeps the wheel byte-identical from run to run.
            archive.writestr(zipfile.ZipInfo(path, date_time=(2024, 1, 1, 0, 0, 0)), data)
    return wheel


async def exited(pid: int) -> None:
    """Return once `pid` has exited (a pidfd turns readable then); bound it with fail_after."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return  # exited and reaped already
    try:
        await anyio.wait_readable(pidfd)
    finally:
        os.close(pidfd)
