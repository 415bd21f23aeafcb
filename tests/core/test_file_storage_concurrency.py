"""Several OS processes writing one workspace at once: nothing lost, nothing torn."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from py_code_mode import FileStorage, Session

pytestmark = pytest.mark.anyio

WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from py_code_mode import FileStorage, Session, InProcessExecutor

    async def main(base, worker):
        async with Session(storage=FileStorage(base), executor=InProcessExecutor()) as s:
            for i in range(15):
                source = f"def run():\\n    return {worker * 100 + i}\\n"
                await s.create_skill(f"skill_{worker}_{i}", source)
                await s.save_artifact(f"w{worker}/a{i}.json", {"worker": worker, "i": i})

    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
    """
)


async def test_four_processes_creating_skills_and_artifacts_lose_nothing(tmp_path: Path) -> None:
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(worker)])
        for worker in range(4)
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0, 0]

    async with Session(storage=FileStorage(tmp_path)) as session:
        skills = await session.list_skills()
        artifacts = await session.list_artifacts()
        assert len(skills) == 60 and len(artifacts) == 60
        assert (await session.invoke_skill("skill_3_14")).value == 314
        assert await session.load_artifact("w2/a7.json") == {"worker": 2, "i": 7}
    index = json.loads((tmp_path / "artifacts" / ".artifacts.json").read_text())
    assert len(index) == 60
