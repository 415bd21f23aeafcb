"""deps through a Session: agent code installs, imports at once, and can be forbidden to."""

from __future__ import annotations

from pathlib import Path

import pytest
from py_code_mode import (
    FileStorage,
    InvalidRequirementError,
    InvalidSkillError,
    Session,
)
from py_code_mode._deps import Installer

from tests.conftest import EXECUTOR_KINDS, make_executor

pytestmark = pytest.mark.anyio


def _session(workspace: Path, wheelhouse: Path, kind: str, **kwargs: object) -> Session:
    storage = FileStorage(workspace)
    installer = Installer(
        workspace / ".py-code-mode" / "deps" / "test",
        find_links=[wheelhouse],
        no_index=True,
    )
    executor = make_executor(kind)
    return Session(storage=storage, executor=executor, installer=installer, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", EXECUTOR_KINDS)
async def test_agent_code_adds_a_package_and_imports_it_in_the_same_run(
    tmp_path: Path, wheelhouse: Path, kind: str
) -> None:
    async with _session(tmp_path, wheelhouse, kind) as session:
        result = await session.run(
            "added = deps.add('tinypkg==1.0')\nimport tinypkg\n(added['status'], tinypkg.VALUE)"
        )
        assert result.value == "('installed', 1)", result.error
        assert (await session.run("deps.list()")).value == ["tinypkg==1.0"]
    assert (tmp_path / "requirements.txt").read_text() == "tinypkg==1.0\n"
    # The install was not silent: its progress is in the run's output, as it happened.
    assert result.stdout.startswith("deps.add: installing tinypkg==1.0\n"), result.stdout
    assert "tinypkg" in result.stdout.splitlines()[-1] or "nstalled" in result.stdout


@pytest.mark.parametrize("kind", ["subprocess", "inprocess"])
async def test_install_progress_streams_to_the_run_and_is_bounded(
    tmp_path: Path, wheelhouse: Path, kind: str
) -> None:
    streamed: list[str] = []
    async with _session(tmp_path, wheelhouse, kind) as session:
        result = await session.run(
            "print('before')\ndeps.add('tinypkg==1.0')\nprint('after')",
            on_output=lambda stream, text: streamed.append(text),
        )
        assert result.error is None, result.error
        lines = result.stdout.splitlines()
        assert lines[0] == "before" and lines[-1] == "after"
        assert lines[1] == "deps.add: installing tinypkg==1.0"
        assert len(lines) > 3  # the installer's own lines, between ours
        assert "".join(streamed) == result.stdout  # streamed as well as kept
        # The facade has no run to print into: the same install is quiet there.
        await session.remove_dep("tinypkg")
        assert (await session.add_dep("tinypkg==1.0"))["status"] == "installed"


def test_progress_shows_the_first_lines_and_counts_the_rest() -> None:
    from py_code_mode._deps.manager import Progress

    shown: list[str] = []
    progress = Progress(shown.append, limit=3)
    progress.say("deps.add: installing x")
    for n in range(10):
        progress(f"line {n}")
    progress.close()
    assert shown == [
        "deps.add: installing x\n",
        "  line 0\n",
        "  line 1\n",
        "  line 2\n",
        "  [7 more lines of installer output]\n",
    ]
    Progress(None)("nowhere to print: nothing happens")


async def test_a_failed_install_leaves_the_list_unchanged(tmp_path: Path, wheelhouse: Path) -> None:
    async with _session(tmp_path, wheelhouse, "subprocess") as session:
        result = await session.run("deps.add('no-such-package-anywhere')")
        assert "DepsInstallError" in (result.error or "")
        assert await session.list_deps() == []


@pytest.mark.parametrize(
    "spec", ["-e .", "--index-url=https://evil.example", "x @ https://e.x/x.whl", "x; rm -rf /"]
)
async def test_hostile_specs_are_rejected_in_agent_code_and_the_facade(
    tmp_path: Path, wheelhouse: Path, spec: str
) -> None:
    async with _session(tmp_path, wheelhouse, "subprocess") as session:
        result = await session.run(f"deps.add({spec!r})")
        assert "InvalidRequirementError" in (result.error or "")
        with pytest.raises(InvalidRequirementError):
            await session.add_dep(spec)
    assert not (tmp_path / "requirements.txt").exists()


async def test_runtime_deps_can_be_forbidden_to_agent_code_only(
    tmp_path: Path, wheelhouse: Path
) -> None:
    async with _session(tmp_path, wheelhouse, "subprocess", allow_runtime_deps=False) as session:
        for call in ("deps.add('tinypkg')", "deps.remove('tinypkg')"):
            result = await session.run(call)
            assert "RuntimeDepsDisabledError" in (result.error or "")
        assert (await session.run("deps.list()")).value == []
        await session.add_dep("tinypkg==2.0")  # the operator may, through the facade
        assert (await session.run("import tinypkg\ntinypkg.VALUE")).value == 2


async def test_a_session_without_runtime_deps_refuses_a_sync_from_agent_code(
    tmp_path: Path, wheelhouse: Path
) -> None:
    """Code that can write requirements.txt must not get an install through deps.sync()."""
    async with _session(tmp_path, wheelhouse, "subprocess", allow_runtime_deps=False) as session:
        (tmp_path / "requirements.txt").write_text("tinypkg==1.0\n")  # as agent code could
        result = await session.run("deps.sync()")
        assert "RuntimeDepsDisabledError" in (result.error or ""), result
        assert "deps.sync() is disabled" in (result.error or "")
        assert "ModuleNotFoundError" in ((await session.run("import tinypkg")).error or "")
        assert (await session.install_deps())["installed"] == ["tinypkg==1.0"]  # the operator


async def test_the_deps_list_is_installed_at_start_when_asked(
    tmp_path: Path, wheelhouse: Path
) -> None:
    (tmp_path / "requirements.txt").write_text("# pinned for the demo\ntinypkg==2.0\n")
    async with _session(tmp_path, wheelhouse, "subprocess", sync_deps=True) as session:
        assert (await session.run("import tinypkg\ntinypkg.VALUE")).value == 2
    assert (tmp_path / "requirements.txt").read_text() == "# pinned for the demo\ntinypkg==2.0\n"


async def test_removing_a_package_uninstalls_it(tmp_path: Path, wheelhouse: Path) -> None:
    async with _session(tmp_path, wheelhouse, "subprocess") as session:
        await session.add_dep("tinypkg==1.0")
        removed = await session.run("deps.remove('tinypkg')")
        assert removed.is_ok and removed.value["removed_from_config"] is True
        assert removed.value["removed"] == ["tinypkg"]
        assert await session.list_deps() == []
    async with _session(tmp_path, wheelhouse, "subprocess") as fresh:
        gone = await fresh.run("import tinypkg")
        assert "ModuleNotFoundError" in (gone.error or "")


NEEDS_TINYPKG = (
    '"""Read tinypkg\'s value."""\n'
    "__requires__ = ['tinypkg>=1']\n"
    "import tinypkg\n\n\n"
    "def run() -> int:\n"
    "    return tinypkg.VALUE\n"
)


# Not in-process: that worker is this test process, where earlier tests' packages stay
# importable, so "missing" cannot be arranged there.
@pytest.mark.parametrize("kind", ["subprocess", "sandbox"])
async def test_a_skill_that_declares_a_missing_package_says_which_deps_add_fixes_it(
    tmp_path: Path, wheelhouse: Path, kind: str
) -> None:
    async with _session(tmp_path, wheelhouse, kind) as session:
        summary = await session.create_skill(name="tiny_value", source=NEEDS_TINYPKG)
        assert summary["requires"] == ["tinypkg>=1"]
        first = await session.run("skills.tiny_value()")
        assert first.error is not None and "ModuleNotFoundError" in first.error
        assert "needs tinypkg>=1" in first.error and "deps.add('tinypkg>=1')" in first.error
        fixed = await session.run("deps.add('tinypkg>=1')\nskills.tiny_value()")
        assert fixed.error is None and fixed.value == 2


@pytest.mark.parametrize(
    ("requires", "said"),
    [("'pandas'", "must be a list"), ("['-e .']", "in __requires__"), ("[1]", "must be a list")],
)
async def test_a_malformed_requires_is_refused_at_save(
    tmp_path: Path, wheelhouse: Path, requires: str, said: str
) -> None:
    async with _session(tmp_path, wheelhouse, "inprocess") as session:
        source = f"__requires__ = {requires}\n\ndef run() -> None:\n    pass\n"
        with pytest.raises(InvalidSkillError, match=said):
            await session.create_skill(name="odd", source=source)
        assert await session.list_skills() == []
