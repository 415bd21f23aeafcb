"""ContainerExecutor: its command line, its in-container entry point, and real containers.

A container's worker inherits no descriptors and connects to a Unix socket instead. That
entry point (``unix:PATH -``) is run here as a plain subprocess, for real, so the channel a
container uses is tested on every machine. Real containers run where an engine works and
has the image; where none does (this project's CI machines have no image registry), those
tests skip and say so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from py_code_mode import (
    ContainerExecutor,
    FileStorage,
    Limits,
    SandboxUnavailableError,
    Session,
    SubprocessExecutor,
)
from py_code_mode._execution.base import WorkerContext
from py_code_mode._execution.subprocess import Launch

pytestmark = pytest.mark.anyio


class SocketChannelExecutor(SubprocessExecutor):
    """The subprocess worker, connected the way a container's is: through a Unix socket."""

    def __init__(self, channel_dir: Path) -> None:
        super().__init__()
        self._channel_dir = channel_dir

    def _launch(self) -> Launch:
        plain = super()._launch()
        return Launch(plain.python, plain.env, limits=plain.limits, channel_dir=self._channel_dir)


async def test_the_in_container_entry_point_serves_a_session_over_a_socket(
    tmp_path: Path, workspace: Path
) -> None:
    channel = tmp_path / "channel"
    channel.mkdir()
    executor = SocketChannelExecutor(channel)
    source = 'def run(a: int) -> int:\n    """Double."""\n    return 2 * a\n'
    async with Session(storage=FileStorage(workspace), executor=executor) as session:
        first = await session.run(
            f"skills.create('double', {source!r}, 'Double')\n"
            "artifacts.save('n', 21)\nkept = skills.double(a=artifacts.load('n'))\nkept"
        )
        stopped = await session.run("import time\ntime.sleep(30)", timeout=0.5)
        crashed = await session.run("import os\nos._exit(1)")
        again = await session.run("'a new worker connected'")
    assert list(channel.iterdir()) == []  # each socket is removed once its worker connects
    assert (first.error, first.value) == (None, 42)
    assert stopped.timed_out and not stopped.state_lost  # SIGINT reached it, state kept
    assert crashed.state_lost
    assert again.value == "a new worker connected"


async def test_a_worker_that_never_connects_is_a_clear_failure(
    tmp_path: Path, workspace: Path
) -> None:
    class NeverConnects(SocketChannelExecutor):
        def _launch(self) -> Launch:
            launch = super()._launch()
            # A wrapper that says why and exits, as an engine does when it cannot start.
            complain = "import sys; print('no such image', file=sys.stderr); sys.exit(125)"
            return Launch(
                launch.python, launch.env, wrapper=[sys.executable, "-c", complain, "--"],
                channel_dir=launch.channel_dir,
            )  # fmt: skip

    channel = tmp_path / "channel"
    channel.mkdir()
    session = Session(storage=FileStorage(workspace), executor=NeverConnects(channel))
    with pytest.raises(Exception, match="never connected to the channel.*no such image"):
        await session.start()
    await session.close()


def context_for(workspace: Path) -> WorkerContext:
    async def handler(verb: str, args: dict[str, object]) -> object:
        raise AssertionError("not called")

    return WorkerContext(handler, workspace, (str(workspace / "deps"),), ())


def test_the_container_command_line_confines_the_worker(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    executor = ContainerExecutor(
        image="python:3.12-slim", cpus=0.5, mounts=[data], limits=Limits(memory=512 << 20)
    )
    executor._prepare(context_for(tmp_path / "ws"), "/usr/bin/docker")
    try:
        command = executor.container_command("pcm-1")
        session_dir = executor.work_dir.parent  # type: ignore[union-attr]
        launch = executor._launch()
    finally:
        executor._remove_session_dir()
    text = " ".join(command)
    assert command[:4] == ["/usr/bin/docker", "run", "--rm", "--name"]
    assert command[-1] == "python:3.12-slim"
    for expected in (
        "--network none", "--cap-drop ALL", "--security-opt no-new-privileges", "--read-only",
        f"--user {os.getuid()}:{os.getgid()}", "--memory 536870912", "--pids-limit 256",
        "--cpus 0.5", "--workdir /work", f"--volume {data}:{data}:ro",
        f"--volume {tmp_path / 'ws' / 'deps'}:{tmp_path / 'ws' / 'deps'}:ro",
        f"--volume {session_dir / 'channel'}:/run/py-code-mode:rw",
        f"--volume {session_dir / 'work'}:/work:rw", "--env HOME=/home/agent",
        "--tmpfs /tmp:rw,exec,mode=1777,size=536870912",
    ):  # fmt: skip
        assert expected in text, expected
    runtime = Path(sys.modules["py_code_mode"].__file__ or "").resolve().parent
    assert f"--volume {runtime}:/opt/py-code-mode/py_code_mode:ro" in text
    assert "PATH=" not in text  # the image's own PATH, not the host's
    # The engine's cgroups limit the container; the host's would hold only its client.
    assert not launch.host_cgroups and "processes" not in launch.limits
    assert launch.limits["memory"] == 512 << 20  # the worker's own rlimit, inside
    assert executor.capabilities() >= {"cpu_limit", "network_isolation", "memory_limit"}


def test_bad_options_are_refused_at_once() -> None:
    with pytest.raises(ValueError, match="cpus must be a positive number"):
        ContainerExecutor(cpus=0)
    with pytest.raises(TypeError, match="network must be True or False"):
        ContainerExecutor(network="none")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mounts paths must be absolute"):
        ContainerExecutor(mounts=["data"])


async def test_without_an_engine_the_session_says_which_is_missing(workspace: Path) -> None:
    executor = ContainerExecutor(engine="no-such-engine")
    session = Session(storage=FileStorage(workspace), executor=executor)
    with pytest.raises(SandboxUnavailableError, match="'no-such-engine' is not on PATH"):
        await session.start()
    await session.close()


# --- real containers, where an engine works ------------------------------------------------


@pytest.fixture
def engine_with_image() -> Iterator[tuple[str, str]]:
    image = ContainerExecutor().image
    for name in ("podman", "docker"):
        engine = shutil.which(name)
        if engine is None:
            continue
        ran = subprocess.run(
            [engine, "run", "--rm", "--network", "none", image, "python", "-c", "pass"],
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        if ran.returncode == 0:
            yield engine, image
            return
    pytest.skip(f"no container engine here can run {image} (pulling it needs a registry)")


async def test_a_real_container_runs_the_session(
    workspace: Path, engine_with_image: tuple[str, str]
) -> None:
    engine, image = engine_with_image
    executor = ContainerExecutor(engine=engine, image=image)
    async with Session(storage=FileStorage(workspace), executor=executor) as session:
        result = await session.run(
            "import os, socket\n"
            "artifacts.save('seen', os.getcwd())\n"
            "try:\n"
            "    socket.create_connection(('1.1.1.1', 53), timeout=2)\n"
            "    net = 'reached'\n"
            "except OSError:\n"
            "    net = 'none'\n"
            "[os.getpid(), artifacts.load('seen'), net]"
        )
    assert (result.error, result.value) == (None, [1, "/work", "none"])
