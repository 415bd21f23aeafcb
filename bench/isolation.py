"""What the sandbox costs, against the subprocess executor, measured in one run.

    uv run python bench/isolation.py [--rounds N]

- start: session start to first result, SandboxExecutor  vs  SubprocessExecutor
- round trip: warm `run("x = 1")`, SandboxExecutor          vs  SubprocessExecutor
- memory: PSS of an idle session's processes (worker, warm spare, bwrap), per executor,
  and the host's own RSS growth for an in-process session

Both sides of each ratio are sampled alternately (see bench/session.py for why).
Targets (issue 13): start <= 1.5x, round trip <= 1.2x.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from py_code_mode import (
    FileStorage,
    InProcessExecutor,
    SandboxExecutor,
    Session,
    SubprocessExecutor,
)
from py_code_mode._execution.base import Executor
from py_code_mode._runtime.lifeline import children

sys.path.insert(0, str(Path(__file__).resolve().parent))
from session import paired_medians, report  # noqa: E402 - the sibling bench's helpers


async def bench_start(base: Path, rounds: int) -> None:
    def starter(make: Callable[[], Executor]) -> Callable[[], object]:
        async def start() -> None:
            async with Session(storage=FileStorage(base), executor=make()) as session:
                await session.run("1")

        return start

    sandbox, subprocess = starter(SandboxExecutor), starter(SubprocessExecutor)
    await sandbox()
    await subprocess()  # warm the file-system caches for both sides alike
    ours, baseline = await paired_medians(sandbox, subprocess, rounds)  # type: ignore[arg-type]
    report("start to first result", ours, baseline, "<= 1.5x")


async def bench_round_trip(base: Path, rounds: int) -> None:
    async with (
        Session(storage=FileStorage(base / "a"), executor=SandboxExecutor()) as sandbox,
        Session(storage=FileStorage(base / "b"), executor=SubprocessExecutor()) as plain,
    ):
        await sandbox.run("x = 0")
        await plain.run("x = 0")
        ours, baseline = await paired_medians(
            lambda: sandbox.run("x = 1"), lambda: plain.run("x = 1"), rounds * 20
        )
    report("warm run round trip", ours, baseline, "<= 1.2x")


def _tree(pid: int) -> list[int]:
    found = [pid]
    for child in children(pid):
        found += _tree(child)
    return found


def _pss_kib(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def bench_memory(base: Path) -> None:
    print("\nmemory of an idle session after its first run (PSS of its processes):")
    for name, make in (("subprocess", SubprocessExecutor), ("sandbox", SandboxExecutor)):
        async with Session(storage=FileStorage(base / name), executor=make()) as session:
            await session.run("x = 1")
            await asyncio.sleep(1.0)  # the warm spare starts after the first run
            mine = _tree(os.getpid())[1:]
            total = sum(_pss_kib(pid) for pid in mine)
            print(f"  {name:<11} {total / 1024:7.1f} MiB in {len(mine)} processes")
    before = _rss_kib()
    async with Session(storage=FileStorage(base / "inproc"), executor=InProcessExecutor()) as s:
        await s.run("x = 1")
        grown = _rss_kib() - before
    print(f"  {'inprocess':<11} {grown / 1024:7.1f} MiB of host RSS growth")


async def main(rounds: int) -> None:
    reason = SandboxExecutor.unavailable()
    if reason is not None:
        sys.exit(f"no sandbox on this machine: {reason}")
    print(f"python {sys.version.split()[0]}, {rounds} rounds (medians), sandbox vs subprocess\n")
    with tempfile.TemporaryDirectory() as temp:
        base = Path(temp)
        await bench_start(base / "start", rounds)
        await bench_round_trip(base / "trip", rounds)
        await bench_memory(base / "memory")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    asyncio.run(main(parser.parse_args().rounds))
