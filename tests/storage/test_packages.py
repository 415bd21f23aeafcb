"""Capability packages layered read-only beneath a workspace, on File and Redis storage.

The packages here are directories the fixtures write; the shipped ones have tests of their
own in tests/packages/.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from py_code_mode import InProcessExecutor, ReadOnlyError, Session, Storage
from py_code_mode._packages import WORKSPACE_CONFIG, available

from tests._support import require_binary

pytestmark = pytest.mark.anyio


def skill(text: str) -> str:
    return f'"""{text}"""\n\n\ndef run() -> str:\n    return {text!r}\n'


def echo_tool(name: str, word: str) -> str:
    require_binary("python3")
    return (
        f"name: {name}\n"
        f"description: says {word}\n"
        f"command: {json.dumps(['python3', '-c', f'print({word!r})'])}\n"
        f"recipes: {{say: {{}}}}\n"
    )


def make_package(
    root: Path, name: str, skills: dict[str, str], tools: dict[str, str] | None = None
) -> Path:
    path = root / name
    (path / "skills").mkdir(parents=True)
    (path / "tools").mkdir()
    (path / "README.md").write_text(f"# {name}\n\nThe {name} package, for tests.\n\nMore.\n")
    for skill_name, text in skills.items():
        (path / "skills" / f"{skill_name}.py").write_text(skill(text))
    for tool_name, text in (tools or {}).items():
        (path / "tools" / f"{tool_name}.yaml").write_text(text)
    return path


def fingerprint(path: Path) -> dict[str, str]:
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "/"
        for p in sorted(path.rglob("*"))
    }


@pytest.fixture
def packages(tmp_path: Path) -> tuple[Path, Path]:
    first = make_package(
        tmp_path / "pkgs",
        "first",
        {"greet": "hello from first", "shared": "first wins"},
        {"echo": echo_tool("echo", "first echo")},
    )
    second = make_package(
        tmp_path / "pkgs", "second", {"shared": "second loses", "solo": "only in second"}
    )
    return first, second


@pytest.fixture
async def layered(storage: Storage, packages: tuple[Path, Path]) -> AsyncIterator[Session]:
    session = Session(storage, InProcessExecutor(), packages=[*packages])
    async with session:
        yield session


async def run(session: Session, code: str) -> Any:
    with anyio.fail_after(60):
        result = await session.run(code)
    assert result.error is None, result.error
    return result.value


async def test_package_skills_and_tools_are_offered_and_earlier_packages_win(
    layered: Session,
) -> None:
    listed = {s["name"]: s.get("package") for s in await layered.list_skills()}
    assert listed == {"greet": "first", "shared": "first", "solo": "second"}
    assert await run(layered, "skills.shared()") == "first wins"
    assert await run(layered, "skills.solo()") == "only in second"
    assert await run(layered, "tools.echo.say()") == "first echo\n"
    found = await layered.search_skills("hello from first")
    assert found[0]["name"] == "greet" and found[0]["package"] == "first"


async def test_the_workspace_replaces_a_package_skill_and_a_delete_brings_it_back(
    layered: Session, packages: tuple[Path, Path]
) -> None:
    before = fingerprint(packages[0].parent)
    await layered.create_skill(name="greet", source=skill("mine"), description="")
    assert await run(layered, "skills.greet()") == "mine"
    mine = next(s for s in await layered.list_skills() if s["name"] == "greet")
    assert "package" not in mine

    assert await layered.delete_skill(name="greet") is True  # the workspace's own
    assert await run(layered, "skills.greet()") == "hello from first"

    with pytest.raises(ReadOnlyError, match="package 'first'"):
        await layered.delete_skill(name="greet")
    result = await layered.run("skills.delete('solo')")
    assert result.error is not None and "ReadOnlyError" in result.error
    assert await run(layered, "skills.solo()") == "only in second"
    assert fingerprint(packages[0].parent) == before, "a package was written"


async def test_a_workspace_tool_of_the_same_name_replaces_the_packages(
    storage: Storage, packages: tuple[Path, Path]
) -> None:
    import yaml

    await storage.open()
    await storage.save_tool_definition(yaml.safe_load(echo_tool("echo", "workspace echo")))
    async with Session(storage, InProcessExecutor(), packages=[*packages]) as session:
        assert await run(session, "tools.echo.say()") == "workspace echo\n"
        assert all("error" not in tool for tool in await session.list_tools())


async def test_a_workspace_lists_packages_in_its_workspace_yaml(
    tmp_path: Path, packages: tuple[Path, Path]
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    relative = os.path.relpath(packages[1], workspace)
    (workspace / WORKSPACE_CONFIG).write_text(f"packages: [{relative}]\n")
    session = Session.from_base(workspace, executor=InProcessExecutor(), packages=[packages[0]])
    async with session:
        assert [p.name for p in session.packages] == ["first", "second"]
        assert await run(session, "skills.solo()") == "only in second"


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("packages: [nothere]\n", "no capability package is named 'nothere'"),
        ("packages: web\n", "must be a list"),
        ("package: [web]\n", "unknown key"),
        ("packages: [web\n", "not valid YAML"),
        ("packages: [./missing]\n", "does not exist"),
    ],
    ids=["unknown name", "not a list", "misspelt key", "bad yaml", "missing directory"],
)
async def test_a_bad_workspace_yaml_stops_the_start_naming_the_file(
    tmp_path: Path, config: str, expected: str
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / WORKSPACE_CONFIG).write_text(config)
    session = Session.from_base(workspace, executor=InProcessExecutor())
    with pytest.raises(ValueError, match=expected) as failed:
        await session.start()
    assert str(failed.value).startswith(str(workspace / WORKSPACE_CONFIG))
    await session.close()


def test_bad_packages_arguments_say_what_is_allowed(tmp_path: Path) -> None:
    shipped = ", ".join(p.name for p in available())
    with pytest.raises(ValueError, match=f"shipped packages are {shipped}"):
        Session.from_base(tmp_path, packages=["nothere"])
    with pytest.raises(TypeError, match=r"\['git'\]"):
        Session.from_base(tmp_path, packages="git")
    with pytest.raises(ValueError, match="neither tools/ nor skills/"):
        Session.from_base(tmp_path, packages=[tmp_path])
    same = make_package(tmp_path / "other", "git", {"x": "x"})
    with pytest.raises(ValueError, match="two packages are named 'git'"):
        Session.from_base(tmp_path, packages=["git", same])


async def test_a_package_in_a_read_only_directory_works_and_stays_untouched(
    tmp_path: Path,
) -> None:
    package = make_package(tmp_path / "ro", "frozen", {"cold": "still here"})
    before = fingerprint(package)
    for path in [package, *package.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        session = Session.from_base(
            tmp_path / "ws", executor=InProcessExecutor(), packages=[package]
        )
        async with session:
            assert await run(session, "skills.cold()") == "still here"
            await session.create_skill(name="warm", source=skill("new"), description="")
        assert fingerprint(package) == before
        assert (tmp_path / "ws" / "skills" / "warm.py").exists()
    finally:
        for path in [package, *package.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)


def test_a_package_description_is_its_readmes_first_paragraph(
    packages: tuple[Path, Path],
) -> None:
    from py_code_mode._packages import find_package

    assert find_package(packages[0]).description == "The first package, for tests."
    assert json.dumps([p.description for p in available()])  # every shipped one reads
    assert all(p.description for p in available())
