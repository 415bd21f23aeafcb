"""The README's Quick Start, run as written (only the GitHub URL points at a local server)."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path
from typing import Any

import py_code_mode._session
import pytest
from py_code_mode import FileStorage, SandboxExecutor, Session

from tests._support import require_binary
from tests.conftest import require_sandbox

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]


def quick_start_code() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick Start", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "README's Quick Start has no python block"
    return match.group(1)


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
