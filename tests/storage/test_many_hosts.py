"""Many OS processes writing one storage at once: nothing lost, everything invocable.

The Redis run is the multi-host case: four processes are four hosts that share a server.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from py_code_mode import InProcessExecutor, Session

from tests.storage.conftest import PREFIX, Backend

pytestmark = pytest.mark.anyio

WORKERS = 4
PER_WORKER = 25

WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from py_code_mode import FileStorage, InProcessExecutor, RedisStorage, Session

    async def main(kind, location, worker):
        if kind == "file":
            storage = FileStorage(location)
        else:
            storage = RedisStorage(url=location, prefix=sys.argv[4])
        async with Session(storage=storage, executor=InProcessExecutor()) as session:
            async def create(i):
                source = f"def run():\\n    return {worker * 100 + i}\\n"
                await session.create_skill(f"skill_{worker}_{i}", source)

            async def save(i):
                await session.save_artifact(f"w{worker}/a{i}.json", {"worker": worker, "i": i})

            await asyncio.gather(*(create(i) for i in range(int(sys.argv[5]))))
            await asyncio.gather(*(save(i) for i in range(int(sys.argv[5]))))

    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
    """
)


async def test_four_processes_of_concurrent_writes_lose_nothing(backend: Backend) -> None:
    args = [backend.kind, backend.location]
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, *args, str(w), PREFIX, str(PER_WORKER)])
        for w in range(WORKERS)
    ]
    assert [w.wait(timeout=100) for w in writers] == [0] * WORKERS

    total = WORKERS * PER_WORKER
    async with Session(storage=backend.storage, executor=InProcessExecutor()) as session:
        assert len(await session.list_skills()) == total
        assert len(await session.list_artifacts()) == total
        invoked = await session.run(
            f"[skills.invoke(f'skill_{{w}}_{{i}}') for w in range({WORKERS})"
            f" for i in range({PER_WORKER})]"
        )
        assert invoked.value == [w * 100 + i for w in range(WORKERS) for i in range(PER_WORKER)]
        loaded = await session.run(
            f"[artifacts.load(f'w{{w}}/a{{i}}.json') for w in range({WORKERS})"
            f" for i in range({PER_WORKER})]"
        )
        assert loaded.value == [
            {"worker": w, "i": i} for w in range(WORKERS) for i in range(PER_WORKER)
        ]
