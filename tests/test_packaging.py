"""What users install: wheels of every distribution, installed the way users install them.

`pip install py-code-mode[autogen]` must bring core, the adapter and its framework, and
nothing of the other frameworks; importing core must never import a framework.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests._support import require_binary

ROOT = Path(__file__).resolve().parent.parent

FRAMEWORK_MODULES = ("autogen_core", "autogen_agentchat", "langchain_core", "llama_index", "mcp")

# Each extra, the code that proves it is installed and usable, and the framework it brings.
EXTRAS = {
    "autogen": (
        "from py_code_mode_autogen import CodeModeWorkbench, code_mode_tools\n"
        "names = [t.name for t in code_mode_tools(session)]",
        "autogen",
    ),
    "langchain": (
        "from py_code_mode_langchain import CodeModeToolkit\n"
        "names = [t.name for t in CodeModeToolkit(session=session).get_tools()]",
        "langchain_core",
    ),
    "llamaindex": (
        "from py_code_mode_llamaindex import CodeModeToolSpec\n"
        "names = [t.metadata.name for t in CodeModeToolSpec(session=session).to_tool_list()]",
        "llama_index.core",
    ),
    "redis": (
        "from py_code_mode import RedisStorage\n"
        "from py_code_mode import Toolkit\n"
        "RedisStorage(url='redis://127.0.0.1:6379/0', prefix='t')\n"
        "names = [t.name for t in Toolkit(session).tools]",
        "redis",
    ),
    "mcp": (
        "import py_code_mode_mcp.cli\n"
        "from py_code_mode import Toolkit\n"
        "names = [t.name for t in Toolkit(session).tools]\n"
        "import shutil; assert shutil.which('py-code-mode-mcp'), 'console script missing'",
        "mcp",
    ),
}


def test_importing_core_imports_no_framework() -> None:
    code = (
        "import sys, py_code_mode, py_code_mode._toolkit, py_code_mode._session\n"
        "from py_code_mode import Session, FileStorage, SyncSession\n"
        f"print([m for m in {FRAMEWORK_MODULES!r} if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    uv = require_binary("uv")
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [uv, "build", "--all-packages", "--wheel", "--out-dir", str(dist), "--quiet"],
        cwd=ROOT,
        check=True,
        timeout=300,
    )
    return dist


def test_every_distribution_builds_a_wheel(wheelhouse: Path) -> None:
    names = sorted(p.name.split("-")[0] for p in wheelhouse.glob("*.whl"))
    assert names == [
        "py_code_mode",
        "py_code_mode_autogen",
        "py_code_mode_core",
        "py_code_mode_langchain",
        "py_code_mode_llamaindex",
        "py_code_mode_mcp",
    ]


@pytest.mark.slow
@pytest.mark.parametrize("extra", sorted(EXTRAS))
def test_an_extra_installs_from_wheels_into_a_fresh_venv(
    extra: str, wheelhouse: Path, tmp_path: Path
) -> None:
    uv = require_binary("uv")
    venv = tmp_path / "venv"
    subprocess.run(
        [uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True, timeout=120
    )
    python = venv / "bin" / "python"
    # Our distributions come only from the wheelhouse; their dependencies from the index.
    subprocess.run(
        [
            uv, "pip", "install", "--quiet", "--python", str(python),
            "--find-links", str(wheelhouse), f"py-code-mode[{extra}]",
        ],
        check=True,
        timeout=600,
        env={**os.environ, "UV_NO_PROGRESS": "1"},
    )  # fmt: skip
    use, framework = EXTRAS[extra]
    # The frameworks this extra must not bring: every one but its own (autogen brings two).
    others = [m for m in FRAMEWORK_MODULES if not m.startswith(framework.split(".")[0])]
    script = tmp_path / "use.py"
    script.write_text(
        "import importlib.util, json, sys\n"
        "from py_code_mode import Session, InProcessExecutor\n"
        f"session = Session.from_base({str(tmp_path / 'ws')!r}, executor=InProcessExecutor())\n"
        f"{use}\n"
        "from py_code_mode import Toolkit\n"
        "result = Toolkit(session).call_sync('run_code', {'code': '6 * 7'}).text\n"
        # The capability packages come inside the wheel, not from this checkout.
        "from py_code_mode._packages import available\n"
        "shipped = {p.name: str(p.path) for p in available()}\n"
        f"packaged = Session.from_base({str(tmp_path / 'ws2')!r}, executor=InProcessExecutor(),"
        " packages=list(shipped))\n"
        "code = 'sorted(s[\"name\"] for s in skills.list())'\n"
        "skills = Toolkit(packaged).call_sync('run_code', {'code': code}).text\n"
        f"present = [m for m in {others!r} if importlib.util.find_spec(m) is not None]\n"
        "print(json.dumps({'names': names, 'result': result, 'present': present,"
        " 'shipped': shipped, 'skills': skills}))\n"
    )
    out = subprocess.run(
        [str(python), str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"},
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["names"][0] == "run_code" and "create_skill" in report["names"]
    assert report["result"] == "42"
    assert report["present"] == [], f"{extra} pulled in other frameworks: {report['present']}"
    assert sorted(report["shipped"]) == ["git", "github", "web"]
    assert all(str(ROOT) not in path for path in report["shipped"].values()), report["shipped"]
    assert "recent_commits" in report["skills"] and "repo_stars" in report["skills"]
    shutil.rmtree(venv)
