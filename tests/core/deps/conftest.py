"""Fixtures for deps: wheels built on the spot, installers that never reach a registry."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from py_code_mode._deps import DepsManager, Installer
from py_code_mode._storage.file import FileStorage

from tests._support import missing

# Every spec agent code must not get past `parse_requirement`, with why.
HOSTILE_SPECS: list[tuple[Any, str]] = [
    (None, "not a string: None"),
    (1, "not a string: int"),
    (b"requests", "not a string: bytes"),
    (["requests"], "not a string: list"),
    ("", "empty"),
    ("   ", "only spaces"),
    ("\t", "only a tab"),
    ("x" * 257, "over 256 characters"),
    ("requests\x00", "NUL"),
    ("requests\nevil", "newline"),
    ("requests\n--index-url https://evil.example/simple", "newline smuggling an option"),
    ("requests\r", "carriage return"),
    ("pändas", "non-ASCII"),
    ("requests\u200b", "zero-width space"),
    ("-e .", "editable option"),
    ("--index-url=https://evil.example/simple", "index option"),
    ("--extra-index-url https://evil.example/simple", "extra index option"),
    ("-i https://evil.example/simple", "short index option"),
    ("-r requirements.txt", "requirements file option"),
    ("--pre", "bare option"),
    ("  -e .", "option after spaces"),
    ("git+https://github.com/psf/requests.git", "VCS URL"),
    ("https://example.com/requests-2.0.tar.gz", "archive URL"),
    ("file:///tmp/requests.whl", "file URL"),
    ("requests @ https://example.com/requests.whl", "direct reference"),
    ("requests@git+https://github.com/psf/requests", "direct reference without spaces"),
    ("requests @ file:///tmp/x", "direct reference to a file"),
    ('requests; python_version > "3"', "environment marker"),
    ("requests ;sys_platform=='linux'", "environment marker without space"),
    ("requests; rm -rf ~", "shell command after ;"),
    ("requests | cat", "pipe"),
    ("requests && id", "and-and"),
    ("requests & id", "background"),
    ("`id`", "backticks"),
    ("$(id)", "command substitution"),
    ("requests$HOME", "variable"),
    ("requests > out", "redirection"),
    ("requests < in", "input redirection"),
    ("requests>=1 > out", "redirection after a version"),
    ("(requests)", "parentheses"),
    ("requests (>=2)", "parenthesised specifier"),
    ("requests{1}", "braces"),
    ("requests'x", "quote"),
    ('requests"x', "double quote"),
    ("requests#x", "hash"),
    ("requests?", "question mark"),
    ("requests%x", "percent"),
    ("./pkg", "relative path"),
    ("../pkg", "parent path"),
    ("/tmp/x.whl", "absolute wheel path"),
    ("pkg.whl", "wheel file name"),
    ("pkg-1.0.tar.gz", "sdist file name"),
    ("pkg.zip", "zip file name"),
    ("C:\\pkg", "Windows path"),
    ("~/pkg", "home path"),
    ("_requests", "name starting with _"),
    ("requests_", "name ending with _"),
    (".requests", "name starting with ."),
    ("two words", "space inside the name"),
    ("requests[socks_]", "extra ending with _"),
    ("requests[", "unclosed extras"),
    ("requests]", "stray bracket"),
    ("requests==", "operator without version"),
    ("requests=1", "single ="),
    ("requests>=banana!", "not a version"),
    ("requests===1.0", "arbitrary equality"),
]

# Allowed specs and the canonical line each becomes.
ACCEPTED_SPECS: list[tuple[str, str]] = [
    ("x", "x"),
    ("X[socks]>=2,<3", "x[socks]<3,>=2"),
    ("pandas>=2", "pandas>=2"),
    ("x~=1.2", "x~=1.2"),
    ("x!=1.*", "x!=1.*"),
    ("x == 1.0", "x==1.0"),
    ("x>= 2", "x>=2"),
    ("  x>=1  ", "x>=1"),
    ("Foo.Bar_baz", "foo-bar-baz"),
    ("x[Fast_Mode,b]", "x[b,fast-mode]"),
    ("x==1.0+local", "x==1.0+local"),
    ("x>1,<=3", "x<=3,>1"),
    ("1password", "1password"),
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=[spec for spec, _ in HOSTILE_SPECS], ids=[why for _, why in HOSTILE_SPECS])
def hostile_spec(request: pytest.FixtureRequest) -> Any:
    """Each spec of the hostile table in turn."""
    return request.param


@pytest.fixture(params=ACCEPTED_SPECS, ids=[spec for spec, _ in ACCEPTED_SPECS])
def accepted_spec(request: pytest.FixtureRequest) -> tuple[str, str]:
    """Each allowed spec with its canonical line, in turn."""
    spec, line = request.param
    return spec, line


@pytest.fixture(scope="session", autouse=True)
def _isolated_installers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep uv and pip away from the user's caches, config files and ambient indexes."""
    caches = tmp_path_factory.mktemp("installer-cache")
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith(("PIP_", "UV_")):
                patch.delenv(name)
        patch.setenv("UV_CACHE_DIR", str(caches / "uv"))
        patch.setenv("UV_NO_CONFIG", "1")
        patch.setenv("PIP_CACHE_DIR", str(caches / "pip"))
        patch.setenv("PIP_CONFIG_FILE", os.devnull)
        yield


def _has_pip(python: str) -> bool:
    """Whether `python` has pip and is the same Python version as the tests (wheel tags)."""
    check = f"import pip, sys; sys.exit(sys.version_info[:2] != {tuple(sys.version_info[:2])})"
    try:
        result = subprocess.run([python, "-c", check], capture_output=True, timeout=60)
    except OSError:
        return False
    return result.returncode == 0


@pytest.fixture(scope="session")
def pip_python() -> str:
    """An interpreter that can run ``-m pip``: the venv's, else the one it was made from.

    uv venvs carry no pip; the base interpreter installs the same wheels with ``--target``
    because it is the same Python version.
    """
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    base_bin = str(Path(sys.base_prefix) / ("Scripts" if os.name == "nt" else "bin"))
    candidates = [
        sys.executable,
        shutil.which(f"python{version}", path=base_bin),
        shutil.which("python3", path=base_bin),
        shutil.which("python3"),
        shutil.which("python"),
    ]
    for python in candidates:
        if python is not None and _has_pip(python):
            return python
    missing(f"no interpreter with pip for Python {sys.version_info[:2]} among {candidates}")


@pytest.fixture(params=["uv", "pip"])
def installer(request: pytest.FixtureRequest, tmp_path: Path, wheelhouse: Path) -> Installer:
    """A real installer that only sees the wheelhouse, once with uv and once with pip."""
    target = tmp_path / "target"
    if request.param == "uv":
        if shutil.which("uv") is None:
            missing("uv is not on PATH")
        return Installer(target, find_links=[wheelhouse], no_index=True, use_uv=True)
    python: str = request.getfixturevalue("pip_python")
    return Installer(target, python=python, find_links=[wheelhouse], no_index=True, use_uv=False)


@pytest.fixture
def storage(tmp_path: Path) -> FileStorage:
    return FileStorage(tmp_path / "workspace")


@pytest.fixture
def manager(storage: FileStorage, installer: Installer) -> DepsManager:
    return DepsManager(storage, installer)


@pytest.fixture
def run_with_target() -> Callable[[Path, str], str]:
    """Run Python code in a fresh interpreter with `target` first on sys.path; its stdout."""

    def run(target: Path, code: str) -> str:
        prelude = f"import sys; sys.path.insert(0, {str(target)!r})\n"
        result = subprocess.run(
            [sys.executable, "-I", "-c", prelude + code],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return result.stdout.strip()

    return run
