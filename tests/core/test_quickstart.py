"""The README's Quick Start, run as written (only the GitHub URL points at a local server).

The first block is a script a newcomer pastes into a file and runs; the second is the
snippet of the README this project grew from, for code already inside an event loop.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import py_code_mode._session
import pytest
from py_code_mode import FileStorage, SandboxExecutor, Session

from tests._support import require_binary
from tests.conftest import require_sandbox

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]


def quick_start_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick Start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    assert len(blocks) >= 2, "README's Quick Start has a script and the seed's snippet"
    return blocks[:2]


def quick_start_code() -> str:
    """The seed's snippet: top-level `async with`, for code already in an event loop."""
    return quick_start_blocks()[1]


def test_the_quick_start_script_runs_as_pasted(tmp_path: Path, github_api: str) -> None:
    require_binary("curl")
    script = tmp_path / "quickstart.py"
    script.write_text(quick_start_blocks()[0].replace("https://api.github.com", github_api))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    runs = [
        subprocess.run(
            [sys.executable, str(script)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        for _ in range(2)
    ]
    for done in runs:
        assert done.returncode == 0, done.stderr
        assert "anthropics/anthropic-sdk-python has 1234 stars" in done.stdout
        assert done.stdout.rstrip().endswith("value: 1234 | error: None"), done.stdout
    assert "fetch_repo_stars" not in runs[0].stdout.splitlines()[0]
    assert runs[1].stdout.startswith("found: ['fetch_repo_stars'")  # found the second time
    assert (tmp_path / "data" / "skills" / "fetch_repo_stars.py").is_file()


@pytest.mark.parametrize("executor", ["default", "sandbox"])
async def test_the_readme_quick_start_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github_api: str, executor: str
) -> None:
    require_binary("curl")
    if executor == "sandbox":  # the same code, with the sandbox as the default executor
        require_sandbox()
        monkeypatch.setattr(py_code_mode._session, "SubprocessExecutor", SandboxExecutor)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data" / "tools").mkdir(parents=True)
    shutil.copy(ROOT / "packages" / "web" / "tools" / "curl.yaml", tmp_path / "data" / "tools")
    code = quick_start_code().replace("https://api.github.com", github_api)
    namespace: dict[str, Any] = {}
    compiled = compile(code, "README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    await eval(compiled, namespace)  # the block uses `async with` at top level, as documented

    result = namespace["result"]
    assert result.is_ok, result.error
    async with Session(storage=FileStorage(tmp_path / "data")) as session:
        [skill] = await session.search_skills("repository star count")
        assert skill["name"] == "fetch_repo_stars"
        assert skill["description"] == "Get GitHub repository star count"
        stars = await session.run(
            "skills.invoke('fetch_repo_stars', owner='anthropics', repo='sdk')"
        )
        assert stars.value == 1234, stars.error
