"""Resource limits and capabilities: a breach is an error naming the limit; work goes on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from py_code_mode import (
    FileStorage,
    InProcessExecutor,
    Limits,
    SandboxExecutor,
    Session,
    SubprocessExecutor,
)
from py_code_mode._execution._cgroup import controllers_available

from tests._support import missing
from tests.conftest import require_sandbox

pytestmark = pytest.mark.anyio

SMALL = Limits(memory=256 << 20, file_size=1 << 20, open_files=64)


def confined(kind: str, limits: Limits | None = None) -> SubprocessExecutor:
    if kind == "sandbox":
        require_sandbox()
        return SandboxExecutor(limits=limits)
    return SubprocessExecutor(limits=limits)


@pytest.fixture(params=["subprocess", "sandbox"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_each_breached_limit_is_named_and_the_session_goes_on(
    workspace: Path, tmp_path: Path, kind: str
) -> None:
    async with Session(storage=FileStorage(workspace), executor=confined(kind, SMALL)) as session:
        await session.run("kept = 'still here'")
        memory = await session.run("hog = bytearray(512 << 20)")
        big = await session.run(
            "import tempfile\nwith tempfile.TemporaryFile() as f:\n    f.write(b'x' * (2 << 20))"
        )
        files = await session.run("held = [open('/dev/null') for _ in range(100)]")
        after = await session.run("len(bytearray(100 << 20)), kept")
    assert memory.error_type == "MemoryError"
    assert memory.error is not None and "memory limit (256 MiB) was reached" in memory.error
    assert big.error is not None and "file size limit (1 MiB) was reached" in big.error
    assert files.error is not None and "open files limit (64 files) was reached" in files.error
    assert (after.error, after.value) == (None, "(104857600, 'still here')")


async def test_what_agent_code_starts_inherits_the_limits(workspace: Path, kind: str) -> None:
    child = (
        "import subprocess, sys\n"
        "done = subprocess.run([sys.executable, '-c', 'bytearray(512 << 20)'],"
        " capture_output=True, text=True)\n"
        "done.returncode, 'MemoryError' in done.stderr"
    )
    async with Session(storage=FileStorage(workspace), executor=confined(kind, SMALL)) as session:
        result = await session.run(child)
    assert (result.error, result.value) == (None, "(1, True)")


async def test_the_defaults_hold_and_can_be_lifted(workspace: Path, kind: str) -> None:
    look = (
        "import resource\n"
        "[resource.getrlimit(getattr(resource, name))[0] for name in"
        " ('RLIMIT_DATA', 'RLIMIT_FSIZE', 'RLIMIT_NOFILE')]"
    )
    async with Session(storage=FileStorage(workspace), executor=confined(kind)) as session:
        default = await session.run(look)
    unlimited = Limits.none()
    async with Session(storage=FileStorage(workspace), executor=confined(kind, unlimited)) as s:
        lifted = await s.run(look)
        assert not s.supports("memory_limit")
    assert default.value == [1 << 30, 1 << 30, 1024]
    assert isinstance(lifted.value, list) and lifted.value[0] != 1 << 30


async def test_agent_code_cannot_raise_its_limits_again(workspace: Path) -> None:
    require_sandbox()  # as root on the host a subprocess worker could; in the sandbox it is not
    raise_it = (
        "import resource\n"
        "try:\n"
        "    resource.setrlimit(resource.RLIMIT_DATA, (1 << 40, 1 << 40))\n"
        "    raised = 'raised'\n"
        "except (ValueError, OSError) as exc:\n"
        "    raised = type(exc).__name__\n"
        "raised"
    )
    async with Session(storage=FileStorage(workspace), executor=confined("sandbox")) as session:
        result = await session.run(raise_it)
    assert result.value == "ValueError", result.error


async def test_sessions_report_what_is_really_in_effect(workspace: Path) -> None:
    require_sandbox()
    expected = {
        "inprocess": {"timeout", "reset", "deps_install", "deps_uninstall"},
        "subprocess": {"timeout", "reset", "process_isolation", "memory_limit"},
        "sandbox": {
            "timeout", "reset", "process_isolation", "memory_limit",
            "filesystem_isolation", "network_isolation",
        },
        "sandbox+network": {
            "timeout", "reset", "process_isolation", "memory_limit", "filesystem_isolation",
        },
    }  # fmt: skip
    executors: dict[str, InProcessExecutor | SubprocessExecutor] = {
        "inprocess": InProcessExecutor(),
        "subprocess": SubprocessExecutor(),
        "sandbox": SandboxExecutor(),
        "sandbox+network": SandboxExecutor(network=True),
    }
    for name, executor in executors.items():
        deps = name == "inprocess"
        session = Session(FileStorage(workspace), executor, allow_runtime_deps=deps)
        assert session.supported_capabilities() == frozenset(expected[name]), name
        assert session.supports("timeout")
        assert session.supports("cpu_limit") is False
    with pytest.raises(ValueError, match="unknown capability 'gpu'; known: timeout"):
        Session(FileStorage(workspace)).supports("gpu")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"memory": 0}, "Limits.memory must be a positive whole number or None"),
        ({"memory": 1 << 20}, "Limits.memory must be at least 64 MiB"),
        ({"file_size": 1.5}, "Limits.file_size must be a positive whole number"),
        ({"open_files": True}, "Limits.open_files must be a positive whole number"),
        ({"open_files": 3}, "Limits.open_files must be at least 16"),
        ({"processes": 4}, "Limits.processes must be at least 16"),
    ],
)
def test_bad_limits_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Limits(**options)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="limits must be a Limits"):
        SubprocessExecutor(limits={"memory": 1})  # type: ignore[arg-type]


def require_cgroup(controller: str) -> None:
    if controller not in controllers_available():
        missing(f"the host cannot make a {controller} cgroup here, so that limit is not in effect")


async def test_the_process_limit_holds_for_processes_and_threads(
    workspace: Path, kind: str
) -> None:
    require_cgroup("pids")
    executor = confined(kind, Limits(processes=32))
    assert executor.process_limit == 32
    spawn = (
        "import subprocess\n"
        "started = []\n"
        "for _ in range(100):\n"
        "    started.append(subprocess.Popen(['sleep', '30']))"
    )
    threads = (
        "import threading\n"
        "stop = threading.Event()\n"
        "for _ in range(100):\n"
        "    threading.Thread(target=stop.wait).start()"
    )
    async with Session(storage=FileStorage(workspace), executor=executor) as session:
        await session.run("kept = 'still here'")
        processes = await session.run(spawn)
        ended = await session.run(
            "for p in started: p.kill()\nfor p in started: p.wait()\n10 < len(started) < 32"
        )
        threaded = await session.run(threads)
        after = await session.run("stop.set()\nkept")
    for breached in (processes, threaded):
        assert breached.error is not None
        assert "process limit (32 processes and threads) was reached" in breached.error
    assert (ended.error, ended.value) == (None, True)
    assert (after.error, after.value) == (None, "still here")
    assert not left_behind(), "a cgroup was left behind"


def left_behind() -> list[Path]:
    return list(Path("/sys/fs/cgroup").rglob(f"py-code-mode-{os.getpid()}-*"))


async def test_the_memory_limit_holds_for_the_worker_and_its_children_together(
    workspace: Path, kind: str
) -> None:
    require_cgroup("memory")
    executor = confined(kind, Limits(memory=256 << 20))
    assert executor.memory_limit_covers_children
    # Each process stays below the per-process rlimit; together they go past the cgroup's.
    together = (
        "import subprocess, sys, time\n"
        "hold = \"b = b'x' * (120 << 20)\\nimport time\\ntime.sleep(60)\"\n"
        "children = [subprocess.Popen([sys.executable, '-c', hold]) for _ in range(3)]\n"
        "time.sleep(3)\n"
        "codes = [c.poll() for c in children]\n"
        "for c in children: c.kill()\n"
        "codes"
    )
    worker_biggest = (
        "import subprocess, sys\n"
        "hog = b'x' * (200 << 20)\n"
        "subprocess.run([sys.executable, '-c', \"b = b'x' * (100 << 20)\"])\n"
    )
    async with Session(storage=FileStorage(workspace), executor=executor) as session:
        children = await session.run(together)
        worker = await session.run(worker_biggest)
        after = await session.run("'the next run works'")
    assert children.error is None, children.error
    assert isinstance(children.value, list) and -9 in children.value  # the kernel ended one
    assert worker.state_lost and worker.error is not None
    assert "killed by SIGKILL" in worker.error
    assert "memory limit (256 MiB for the worker and everything it started)" in worker.error
    assert after.value == "the next run works"


def test_without_a_process_limit_none_is_in_effect() -> None:
    assert SubprocessExecutor(limits=Limits(processes=None)).process_limit is None
