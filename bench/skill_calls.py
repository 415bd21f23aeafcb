"""What invoking a skill costs agent code, against calling the same function defined in the run.

    uv run python bench/skill_calls.py [--calls 2000] [--runs 200] [--executor subprocess]

Measured in one session, with the same interpreter:

- a call: `skills.double(n=i)` in a loop inside one run, against `double(i)` defined in the
  run (the skill's source is fetched once per run and compiled once; each call is timed and
  counted for the usage stats);
- a run: a run that invokes one skill, against a run that calls a plain function. The run
  that used a skill also reports its counts to the host when it ends, in one request the
  worker does not wait for;
- a verified save: `skills.create` with two examples and a test, against one without.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from py_code_mode import FileStorage, InProcessExecutor, Session, SubprocessExecutor

DOUBLE = "def run(n: int) -> int:\n    return 2 * n\n"
EXAMPLES = [{"args": {"n": 2}, "expect": 4}, {"args": {"n": 0}, "expect": 0}]
TESTS = "def test_negative():\n    assert run(-1) == -2\n"


async def timed_run(session: Session, code: str) -> float:
    started = time.perf_counter()
    result = await session.run(code)
    elapsed = time.perf_counter() - started
    assert result.error is None, result.error
    return elapsed


async def measure(executor: str, calls: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        made = SubprocessExecutor() if executor == "subprocess" else InProcessExecutor()
        async with Session(storage=FileStorage(Path(directory)), executor=made) as session:
            await session.create_skill("double", DOUBLE)
            await session.run("def double(n):\n    return 2 * n\n")
            loop_skill = f"for i in range({calls}):\n    skills.double(n=i)"
            loop_plain = f"for i in range({calls}):\n    double(i)"
            for _ in range(3):  # warm: compile caches, the reader thread, the stats file
                await timed_run(session, loop_skill)
                await timed_run(session, loop_plain)
            skill_loop = min([await timed_run(session, loop_skill) for _ in range(10)])
            plain_loop = min([await timed_run(session, loop_plain) for _ in range(10)])
            print(f"{executor}: {calls} calls in one run")
            print(
                f"  skill {skill_loop / calls * 1e6:8.2f} us/call   plain function "
                f"{plain_loop / calls * 1e6:8.2f} us/call   difference "
                f"{(skill_loop - plain_loop) / calls * 1e6:6.2f} us/call"
            )

            one_skill = [await timed_run(session, "skills.double(n=1)") for _ in range(runs)]
            one_plain = [await timed_run(session, "double(1)") for _ in range(runs)]
            skill_p50 = statistics.median(one_skill) * 1e3
            plain_p50 = statistics.median(one_plain) * 1e3
            print(f"  a run with one call: skill {skill_p50:.3f} ms p50, plain {plain_p50:.3f} ms")
            print(f"  ratio {skill_p50 / plain_p50:.2f}x (source fetch + use report)")

            plain_saves, verified_saves = [], []
            for i in range(20):
                started = time.perf_counter()
                await session.create_skill(f"plain_{i}", DOUBLE)
                plain_saves.append(time.perf_counter() - started)
                started = time.perf_counter()
                await session.create_skill(f"checked_{i}", DOUBLE, examples=EXAMPLES, tests=TESTS)
                verified_saves.append(time.perf_counter() - started)
            plain_save = statistics.median(plain_saves) * 1e3
            verified_save = statistics.median(verified_saves) * 1e3
            print(
                f"  save: plain {plain_save:.2f} ms p50, with 2 examples and a test "
                f"{verified_save:.2f} ms p50 ({verified_save / plain_save:.1f}x: one run in "
                "the worker)"
            )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--executor", choices=["subprocess", "inprocess", "both"], default="both")
    args = parser.parse_args()
    kinds = ["subprocess", "inprocess"] if args.executor == "both" else [args.executor]
    for kind in kinds:
        await measure(kind, args.calls, args.runs)


if __name__ == "__main__":
    asyncio.run(main())
