"""Fixtures shared by the whole suite: executors, sessions, binaries, a local HTTP server."""

from __future__ import annotations

import http.server
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from py_code_mode import (
    FileStorage,
    InProcessExecutor,
    SandboxExecutor,
    Session,
    SubprocessExecutor,
)
from py_code_mode._execution.base import Executor

from tests._support import build_wheel, missing, serve_http

EXECUTOR_KINDS = ("subprocess", "inprocess", "sandbox")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def make_executor(kind: str) -> Executor:
    if kind == "sandbox":
        require_sandbox()
        return SandboxExecutor()
    return SubprocessExecutor() if kind == "subprocess" else InProcessExecutor()


def require_sandbox() -> None:
    """Skip (fail in CI) where bubblewrap cannot make a sandbox."""
    reason = SandboxExecutor.unavailable()
    if reason is not None:
        missing(reason)


@pytest.fixture(params=EXECUTOR_KINDS)
def executor_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "sandbox":
        require_sandbox()
    return str(request.param)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return tmp_path / "workspace"


@pytest.fixture
async def session(workspace: Path, executor_kind: str) -> AsyncIterator[Session]:
    async with Session(storage=FileStorage(workspace), executor=make_executor(executor_kind)) as s:
        yield s


@pytest.fixture
def shared_dir(session: Session, tmp_path: Path) -> Path:
    """A directory that both the test and the session's agent code can see.

    A sandboxed worker sees no host path but its work directory, so signals between a
    test and agent code go there.
    """
    executor = session.executor
    if isinstance(executor, SandboxExecutor) and executor.work_dir is not None:
        return executor.work_dir
    return tmp_path


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        owner_repo = self.path.removeprefix("/repos/")
        body = json.dumps({"full_name": owner_repo, "stargazers_count": 1234}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def github_api() -> Iterator[str]:
    """A stand-in for api.github.com on loopback: GET /repos/{owner}/{repo} -> JSON."""
    with serve_http(_Handler) as url:
        yield url


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A find-links directory: tinypkg 1.0 and 2.0, and tinyextra whose extra needs tinypkg>=2."""
    directory = tmp_path_factory.mktemp("wheelhouse")
    build_wheel(
        directory,
        "tinypkg",
        "1.0",
        {"tinypkg/__init__.py": "VALUE = 1\n", "tinypkg/old.py": "GONE_IN_2 = True\n"},
    )
    build_wheel(directory, "tinypkg", "2.0", {"tinypkg/__init__.py": "VALUE = 2\n"})
    build_wheel(
        directory,
        "tinyextra",
        "1.0",
        {"tinyextra/__init__.py": "EXTRA = True\n"},
        metadata='Provides-Extra: fast\nRequires-Dist: tinypkg>=2; extra == "fast"\n',
    )
    return directory
