"""What users install, installed the way users install it: from a wheel, a checkout, a git URL.

One distribution, `py-code-mode`, carries the core and every adapter; `[autogen]` must bring
AutoGen and nothing of the other frameworks, and importing core must never import a
framework. The pip tests use the standard library's venv and pip, with no uv at all.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
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


ADAPTERS = (
    "py_code_mode_autogen",
    "py_code_mode_langchain",
    "py_code_mode_llamaindex",
    "py_code_mode_mcp",
)
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    uv = require_binary("uv")
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [uv, "build", "--wheel", "--sdist", "--out-dir", str(dist), "--quiet"],
        cwd=ROOT,
        check=True,
        timeout=300,
    )
    return dist


def test_one_distribution_carries_core_every_adapter_and_their_types(wheelhouse: Path) -> None:
    wheels = sorted(p.name for p in wheelhouse.glob("*.whl"))
    assert wheels == ["py_code_mode-0.1.0-py3-none-any.whl"]
    assert sorted(p.name for p in wheelhouse.glob("*.tar.gz")) == ["py_code_mode-0.1.0.tar.gz"]
    with zipfile.ZipFile(wheelhouse / wheels[0]) as wheel:
        names = set(wheel.namelist())
        entry_points = wheel.read("py_code_mode-0.1.0.dist-info/entry_points.txt").decode()
        metadata = wheel.read("py_code_mode-0.1.0.dist-info/METADATA").decode()
    for package in ("py_code_mode", *ADAPTERS):
        assert f"{package}/__init__.py" in names
        assert f"{package}/py.typed" in names, f"{package} does not say it is typed"
    assert "py_code_mode/packages/web/tools/curl.yaml" in names
    assert "py-code-mode = py_code_mode._cli:main" in entry_points
    assert "py-code-mode-mcp = py_code_mode_mcp.cli:main" in entry_points
    # Nothing of ours is required from an index: only third-party requirements.
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert not [line for line in requires if "py-code-mode" in line.split(";")[0].split("[")[0]]
    for extra in ("autogen", "langchain", "llamaindex", "mcp", "redis", "semantic", "all"):
        assert f"Provides-Extra: {extra}" in metadata


def _venv(tmp_path: Path, *, with_uv: bool) -> Path:
    """A fresh virtual environment: uv's, or the standard library's with pip in it."""
    venv = tmp_path / "venv"
    if with_uv:
        uv = require_binary("uv")
        subprocess.run(
            [uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True, timeout=120
        )
    else:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    return venv / "bin" / "python"


def _use(python: Path, tmp_path: Path, extra: str) -> dict[str, object]:
    """Run a script in the venv that uses what `extra` brings; its report."""
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
        env=CLEAN_ENV,
    )
    assert out.returncode == 0, out.stderr
    report: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return report


def _check(report: dict[str, object], extra: str, *, alone: bool = True) -> None:
    names = report["names"]
    assert isinstance(names, list) and names[0] == "run_code" and "create_skill" in names
    assert report["result"] == "42"
    if alone:
        assert report["present"] == [], f"{extra} pulled in other frameworks: {report['present']}"
    shipped = report["shipped"]
    assert isinstance(shipped, dict) and sorted(shipped) == ["git", "github", "web"]
    assert all(str(ROOT) not in path for path in shipped.values()), shipped
    assert "recent_commits" in str(report["skills"]) and "repo_stars" in str(report["skills"])


@pytest.mark.slow
@pytest.mark.parametrize("extra", sorted(EXTRAS))
def test_an_extra_installs_from_the_wheel_into_a_fresh_venv(
    extra: str, wheelhouse: Path, tmp_path: Path
) -> None:
    uv = require_binary("uv")
    python = _venv(tmp_path, with_uv=True)
    wheel = next(wheelhouse.glob("*.whl"))
    subprocess.run(
        [
            uv, "pip", "install", "--quiet", "--python", str(python),
            f"py-code-mode[{extra}] @ {wheel.as_uri()}",
        ],
        check=True,
        timeout=600,
        env={**CLEAN_ENV, "UV_NO_PROGRESS": "1"},
    )  # fmt: skip
    _check(_use(python, tmp_path, extra), extra)
    shutil.rmtree(python.parent.parent)


def _source_copy(tmp_path: Path) -> Path:
    """The checkout's files as a user would have them after `git clone`, in a git repository."""
    git = require_binary("git")
    tracked = (
        subprocess.run(
            [git, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
            timeout=60,
        )
        .stdout.decode()
        .split("\0")
    )
    copy = tmp_path / "py-code-mode"
    for relative in filter(None, tracked):
        source = ROOT / relative
        if source.is_file():
            (copy / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / relative)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "copy"]):
        subprocess.run(
            [git, "-c", "user.name=t", "-c", "user.email=t@t", *args],
            cwd=copy,
            check=True,
            timeout=120,
        )
    return copy


@pytest.mark.slow
def test_pip_installs_an_extra_from_a_checkout_path(tmp_path: Path) -> None:
    # No uv: the standard library's venv and its pip, as on a machine with only Python.
    python = _venv(tmp_path, with_uv=False)
    checkout = _source_copy(tmp_path)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", f"{checkout}[autogen]"],
        check=True,
        timeout=900,
        env=CLEAN_ENV,
    )
    _check(_use(python, tmp_path, "autogen"), "autogen")
    # Every AutoGen agent needs a model client: the extra brings autogen-ext's OpenAI one.
    probe = "import autogen_ext.models.openai as m; print(m.OpenAIChatCompletionClient.__name__)"
    out = subprocess.run(
        [str(python), "-c", probe], capture_output=True, text=True, timeout=120, env=CLEAN_ENV
    )
    assert out.stdout.strip() == "OpenAIChatCompletionClient", out.stderr


@pytest.mark.slow
def test_pip_installs_all_from_a_git_url(tmp_path: Path) -> None:
    python = _venv(tmp_path, with_uv=False)
    checkout = _source_copy(tmp_path)
    subprocess.run(
        [
            str(python), "-m", "pip", "install", "--quiet",
            # file://localhost/...: the pip that venv brings (23.2) refuses file:///...
            f"py-code-mode[all] @ git+file://localhost{checkout}",
        ],
        check=True,
        timeout=1200,
        env=CLEAN_ENV,
    )  # fmt: skip
    for extra in ("langchain", "llamaindex", "mcp"):
        _check(_use(python, tmp_path, extra), extra, alone=False)
    out = subprocess.run(
        [str(python), "-c", "import py_code_mode_autogen, faiss, redis, httpx; print('ok')"],
        capture_output=True,
        text=True,
        timeout=120,
        env=CLEAN_ENV,
    )
    assert out.stdout.strip() == "ok", out.stderr
