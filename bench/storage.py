"""Storage operations: RedisStorage against FileStorage and raw redis-py, in one run.

    uv run python bench/storage.py [--rounds N] [--skills N]

Starts its own redis-server (no persistence) on a free port. Each line prints the median of
one operation on FileStorage, on RedisStorage and, as the baseline, raw redis-py doing the
least it could (one GET or SET of the same bytes on the same kind of connection); then the
ratio RedisStorage / raw and the round trips RedisStorage made for it, counted as sends on
the connection (a pipeline or MULTI/EXEC is one send).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import selectors
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import redis.asyncio
from py_code_mode import FileStorage, RedisStorage
from py_code_mode._artifacts import encode
from py_code_mode._skills.library import SkillLibrary
from py_code_mode._storage.base import ArtifactInfo, Storage, StoredSkill

SKILL = '''"""Fetch the star count of a GitHub repository."""

async def run(owner: str, repo: str, retries: int = 2) -> int:
    data = tools.curl.get(url=f"https://api.github.com/repos/{owner}/{repo}")
    return json.loads(data)["stargazers_count"]
'''
ARTIFACT = {"hosts": [{"name": f"host{i}", "open": [22, 80, 443], "up": True} for i in range(12)]}


class CountingConnection(redis.asyncio.Connection):
    """One send to the server is one round trip (a pipeline sends once)."""

    sends = 0

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        type(self).sends += 1
        await super().send_packed_command(command, check_health)


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
    argv += ["no", "--dir", str(workdir)]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    output, deadline = b"", time.monotonic() + 10
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while b"Ready to accept connections" not in output:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                sys.exit(f"redis-server did not start:\n{output.decode()}")
            if selector.select(1):
                output += os.read(process.stdout.fileno(), 65536)
    return process, f"redis://127.0.0.1:{port}/0"


async def medians_us(actions: list[Callable[[int], Awaitable[object]]], rounds: int) -> list[float]:
    """Medians of several actions, interleaved round by round so that load from elsewhere on
    the machine falls on all of them alike."""
    samples: list[list[float]] = [[] for _ in actions]
    order = list(range(len(actions)))
    for i in range(rounds):
        order.reverse()  # neither goes first every time
        for index in order:
            started = time.perf_counter()
            await actions[index](i)
            samples[index].append(time.perf_counter() - started)
    return [statistics.median(times) * 1e6 for times in samples]


async def trips(action: Callable[[int], Awaitable[object]]) -> int:
    before = CountingConnection.sends
    await action(10**6)
    return CountingConnection.sends - before


def operations(storage: Storage, skills: int) -> dict[str, Callable[[int], Awaitable[object]]]:
    library = SkillLibrary(storage)
    payload, data_type = encode(ARTIFACT)
    info = ArtifactInfo(name="scan.json", data_type=data_type, size=len(payload))

    async def skill_create(i: int) -> None:
        await storage.save_skill(StoredSkill(name=f"created_{i % 50}", source=SKILL))

    async def skill_search_library(i: int) -> None:
        # The created_* skills above are done: the library is unchanged from here on.
        await library.search("github repository stars", 5)

    return {
        "skill get": lambda i: storage.get_skill(f"skill_{i % skills}"),
        "skill create": skill_create,
        "skill list (search's read)": lambda i: storage.list_skills(),
        "skill search (+ BM25)": skill_search_library,
        "artifact save (1 KB JSON)": lambda i: storage.save_artifact(info, payload),
        "artifact load": lambda i: storage.load_artifact("scan.json"),
        "artifact exists": lambda i: storage.artifact_exists("scan.json"),
    }


def raw_operations(client: redis.asyncio.Redis) -> dict[str, Callable[[int], Awaitable[Any]]]:
    record = json.dumps({"name": "skill_0", "description": "", "source": SKILL}).encode()
    payload, _ = encode(ARTIFACT)
    get_record = lambda i: client.get("raw:skill")  # noqa: E731
    return {
        "skill get": get_record,
        "skill create": lambda i: client.set("raw:skill", record),
        "skill list (search's read)": get_record,
        "skill search (+ BM25)": get_record,
        "artifact save (1 KB JSON)": lambda i: client.set("raw:artifact", payload),
        "artifact load": lambda i: client.get("raw:artifact"),
        "artifact exists": lambda i: client.exists("raw:artifact"),
    }


async def seed(storage: Storage, skills: int) -> None:
    for i in range(skills):
        await storage.save_skill(StoredSkill(name=f"skill_{i}", source=SKILL))
    payload, data_type = encode(ARTIFACT)
    await storage.save_artifact(
        ArtifactInfo(name="scan.json", data_type=data_type, size=len(payload)), payload
    )


async def main(url: str, workdir: Path, rounds: int, skills: int) -> None:
    pool = redis.asyncio.ConnectionPool.from_url(url, connection_class=CountingConnection)
    client = redis.asyncio.Redis(connection_pool=pool)
    stores: dict[str, Storage] = {
        "file": FileStorage(workdir / "workspace"),
        "redis": RedisStorage(redis=client, prefix="bench"),
    }
    ops = {kind: operations(store, skills) for kind, store in stores.items()}
    raw = raw_operations(client)
    for store in stores.values():
        await seed(store, skills)
    await raw["skill create"](0)
    await raw["artifact save (1 KB JSON)"](0)
    for kind in stores:  # warm: connections open, scripts loaded, caches filled
        for op in ops[kind].values():
            await op(0)

    print(f"{rounds} rounds, {skills} skills stored; medians in microseconds")
    header = f"{'operation':<28}{'file':>9}{'redis':>9}{'raw':>9}{'redis/raw':>11}{'trips':>7}"
    print(header)
    print("-" * len(header))
    for name in raw:
        # FileStorage works on threads; measured apart, its wake-ups cannot tax the others.
        [file_us] = await medians_us([ops["file"][name]], rounds)
        redis_us, raw_us = await medians_us([ops["redis"][name], raw[name]], rounds)
        sent = await trips(ops["redis"][name])
        print(
            f"{name:<28}{file_us:>9.0f}{redis_us:>9.0f}{raw_us:>9.0f}"
            f"{redis_us / raw_us:>10.2f}x{sent:>7}"
        )
    await client.aclose()
    await pool.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--skills", type=int, default=50)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server, redis_url = start_redis(Path(tmp))
        try:
            asyncio.run(main(redis_url, Path(tmp), options.rounds, options.skills))
        finally:
            server.terminate()
            server.communicate(timeout=10)
