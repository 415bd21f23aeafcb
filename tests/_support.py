"""Helpers for tests that are not fixtures."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


def start_marked(marker: str) -> str:
    """Agent code that starts a long sleeper whose command line carries `marker`.

    Whatever the executor (in a sandbox the worker's own pid means nothing to the host),
    the host can then see whether what agent code started is still alive.
    """
    sleeper = "import time; time.sleep(300)"
    return (
        "import subprocess, sys\n"
        f"subprocess.Popen([sys.executable, '-c', {sleeper!r}, {marker!r}])\n"
        "'started'"
    )


def processes_with(marker: str) -> list[int]:
    """The pids of this machine's processes whose command line contains `marker`."""
    found = []
    for pid in os.listdir("/proc"):
        try:
            if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
        except (OSError, ValueError):
            continue
    return found


async def all_gone(marker: str) -> None:
    """Return once no process carries `marker`; bound it with fail_after."""
    while processes_with(marker):
        await anyio.sleep(0.05)


READ_OR_ERROR = (
    "def read(path):\n"
    "    try:\n"
    "        return open(path).read()\n"
    "    except OSError as exc:\n"
    "        return type(exc).__name__\n"
)
"""Agent code defining `read(path)`: a file's text, or the name of the error that stopped it."""


@contextmanager
def serve_http(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A real HTTP server on a free loopback port, in a thread; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def serving_on_a_free_port(argv: Callable[[int], list[str]], what: str) -> Iterator[int]:
    """A child process that listens on a free loopback port; yields the port once it accepts.

    `argv` makes the command line from the port. Killed at the end, whatever happened.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    process = subprocess.Popen(argv(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail(f"{what} did not start")
                time.sleep(0.05)
        yield port
    finally:
        process.kill()
        process.wait()


def send_json(handler: BaseHTTPRequestHandler, status: int, data: object) -> None:
    """Answer a stand-in server's request with `data` as JSON, as the real APIs do."""
    payload = json.dumps(data).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json; charset=utf-8")
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)
