"""A real redis-server per module, and the `storage` fixture over both backends."""

from __future__ import annotations

import json
import os
import selectors
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import redis.asyncio
from py_code_mode import FileStorage, RedisStorage
from py_code_mode._storage.base import Storage

from tests._support import require_binary

READY_LINE = b"Ready to accept connections"
PREFIX = "test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """A redis-server child on loopback without persistence, that a test can stop and start."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        argv = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.process = process
        assert process.stdout is not None
        # Wait for the log line that says it listens; no polling of the port.
        output = b""
        deadline = time.monotonic() + 10
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while READY_LINE not in output:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or process.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"redis-server did not start:\n{output.decode()}")
                if selector.select(remaining):
                    output += os.read(process.stdout.fileno(), 65536)
        with redis.Redis.from_url(self.url) as client:
            assert client.ping()

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()

    def flush(self) -> None:
        with redis.Redis.from_url(self.url) as client:
            client.flushall()


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One server per test module; `redis_url` empties it before each test."""
    yield from _running(
        RedisServer(require_binary("redis-server"), tmp_path_factory.mktemp("redis"))
    )


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    redis_server.flush()
    return redis_server.url


@pytest.fixture
def own_redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A server of the test's own, for tests that stop and restart it."""
    yield from _running(RedisServer(require_binary("redis-server"), tmp_path / "redis"))


def _running(server: RedisServer) -> Iterator[RedisServer]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    """A plain redis-py client on the same server, to look at keys directly."""
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@dataclass
class Backend:
    """A storage under test and ways to see everything it wrote, bypassing it."""

    kind: str
    location: str
    """The workspace directory or the Redis URL; the prefix is always `PREFIX`."""
    storage: Storage
    written: Callable[[], Awaitable[list[str]]]
    """Every file (workspace) or key (Redis) there is."""
    indexed: Callable[[], Awaitable[list[str]]]
    """The names in the artifact index."""


def _file_backend(base: Path) -> Backend:
    async def written() -> list[str]:
        if not base.exists():
            return []
        return sorted(
            p.relative_to(base).as_posix()
            for p in base.rglob("*")
            if p.is_file() and ".py-code-mode" not in p.parts
        )

    async def indexed() -> list[str]:
        index = base / "artifacts" / ".artifacts.json"
        return sorted(json.loads(index.read_text())) if index.exists() else []

    return Backend("file", str(base), FileStorage(base), written, indexed)


def _redis_backend(url: str, prefix: str = PREFIX) -> Backend:
    async def written() -> list[str]:
        client = redis.asyncio.Redis.from_url(url)
        try:
            return sorted([key.decode() async for key in client.scan_iter(match="*")])
        finally:
            await client.aclose()

    async def indexed() -> list[str]:
        client = redis.asyncio.Redis.from_url(url)
        try:
            fields = await client.hkeys(f"{prefix}:artifacts:__index__")
            return sorted(f.decode() if isinstance(f, bytes) else f for f in fields)
        finally:
            await client.aclose()

    return Backend("redis", url, RedisStorage(url=url, prefix=prefix), written, indexed)


@pytest.fixture(params=["file", pytest.param("redis", marks=pytest.mark.redis)])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "file":
        made = _file_backend(tmp_path / "workspace")
    else:
        made = _redis_backend(request.getfixturevalue("redis_url"))
    try:
        yield made
    finally:
        await made.storage.close()


@pytest.fixture
def storage(backend: Backend) -> Storage:
    return backend.storage
