"""Building, starting and closing sessions; the sync facade."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from py_code_mode import (
    FileStorage,
    InProcessExecutor,
    Session,
    SessionClosedError,
    SubprocessExecutor,
    SyncSession,
    UsageError,
)

pytestmark = pytest.mark.anyio


def test_a_session_without_storage_says_how_to_make_one() -> None:
    with pytest.raises(TypeError, match="FileStorage"):
        Session()


@pytest.mark.parametrize("storage", ["./data", 42, object()])
def test_a_storage_of_the_wrong_kind_is_a_type_error(storage: object) -> None:
    with pytest.raises(TypeError, match="Storage"):
        Session(storage=storage)  # type: ignore[arg-type]


@pytest.mark.parametrize("executor", ["subprocess", SubprocessExecutor])
def test_an_executor_of_the_wrong_kind_is_a_type_error(tmp_path: Path, executor: object) -> None:
    with pytest.raises(TypeError, match="Executor"):
        Session(storage=FileStorage(tmp_path), executor=executor)  # type: ignore[arg-type]


def test_bad_executor_options_say_what_is_expected() -> None:
    with pytest.raises(ValueError, match="interrupt_grace"):
        SubprocessExecutor(interrupt_grace=-1)
    with pytest.raises(TypeError, match="inherit_env"):
        SubprocessExecutor(inherit_env="PATH")
    with pytest.raises(ValueError, match="output_limit"):
        InProcessExecutor(output_limit=0)
    with pytest.raises(TypeError, match="directory path"):
        FileStorage(None)  # type: ignore[arg-type]


def test_executors_and_storage_need_no_arguments_beyond_a_path(tmp_path: Path) -> None:
    Session(storage=FileStorage(tmp_path), executor=InProcessExecutor())
    Session(storage=FileStorage(tmp_path), executor=SubprocessExecutor())


async def test_from_base_builds_a_file_workspace_on_first_use(tmp_path: Path) -> None:
    base = tmp_path / "new" / "workspace"
    async with Session.from_base(base) as session:
        assert (await session.run("6 * 7")).value == 42
    assert {p.name for p in base.iterdir()} >= {"tools", "skills", "artifacts"}


async def test_a_closed_session_refuses_work(tmp_path: Path) -> None:
    session = Session.from_base(tmp_path)
    async with session:
        pass
    with pytest.raises(SessionClosedError):
        await session.run("1")


async def test_a_session_starts_on_first_use_without_async_with(tmp_path: Path) -> None:
    session = Session.inprocess(tmp_path)
    try:
        assert (await session.run("1 + 1")).value == 2
    finally:
        await session.close()


async def test_two_sessions_on_one_workspace_share_the_library(tmp_path: Path) -> None:
    async with Session.from_base(tmp_path) as a, Session.from_base(tmp_path) as b:
        await a.run("artifacts.save('shared', 'from a')")
        assert (await b.run("artifacts.load('shared')")).value == "from a"


async def test_concurrent_runs_on_one_session_are_serialised(tmp_path: Path) -> None:
    async with Session.from_base(tmp_path) as session:
        await session.run("n = 0")
        results = await asyncio.gather(*(session.run("n += 1\nn") for _ in range(5)))
    assert sorted(r.value for r in results) == [1, 2, 3, 4, 5]


def test_the_sync_session_runs_on_one_background_loop(tmp_path: Path) -> None:
    with SyncSession(storage=FileStorage(tmp_path)) as session:
        session.run("x = 20")
        assert session.run("x + 1").value == 21
        session.save_artifact("a", [1])
        assert session.load_artifact("a") == [1]
    with pytest.raises(UsageError):
        session.run("1")


def test_the_sync_session_opens_a_workspace_by_path_as_the_session_does(tmp_path: Path) -> None:
    with SyncSession.from_base(tmp_path / "ws", executor=InProcessExecutor()) as session:
        session.save_artifact("kept", {"n": 1})
        assert session.run("artifacts.load('kept')['n'] + 1").value == 2
    assert (tmp_path / "ws" / "artifacts" / "kept").is_file()


async def test_the_sync_session_also_works_inside_a_running_loop(tmp_path: Path) -> None:
    with SyncSession(storage=FileStorage(tmp_path), executor=InProcessExecutor()) as session:
        assert session.run("'from inside a loop'").value == "from inside a loop"
