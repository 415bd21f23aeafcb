"""ContainerExecutor: its command line, its in-container entry point, and real containers.

A container's worker inherits no descriptors and connects to a Unix socket instead. That
entry point (``unix:PATH -``) is run here as a plain subprocess, for real, so the channel a
container uses is tested on every machine. Real Podman containers run from an image made
here, with no registry (CI installs Podman, so there they must run); the official image is
tried only where a registry is reachable.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

from tests._support import READ_OR_ERROR, missing

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


# --- real containers ---------------------------------------------------------------------
#
# No image registry is needed: an image of empty directories is imported from a tar, and the
# host's /usr and Python installation are shown inside read-only. Rootful Podman on a host
# with hybrid cgroups and no CAP_SYS_RESOURCE (this project's CI machines) needs runc, a
# private cgroup namespace and rlimits it may set: an engine configuration, given to it by
# `CONTAINERS_CONF`, as a user on such a host would.

LOCAL_IMAGE = "localhost/py-code-mode-test-root:1"
COMPATIBLE_CONF = """\
[containers]
cgroupns = "private"
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
"""


@dataclass(frozen=True)
class LocalImage:
    """An image made here, and what a `ContainerExecutor` needs to run the host's Python in it."""

    engine: str
    image: str
    python: str
    mounts: tuple[str, ...]
    engine_env: dict[str, str]

    def executor(self, **options: Any) -> ContainerExecutor:
        return ContainerExecutor(
            engine=self.engine, image=self.image, python=self.python, mounts=self.mounts,
            **options,
        )  # fmt: skip


def _root_tar(path: Path) -> tuple[str, ...]:
    """Write an image root of mount points and the host's top-level links; return host dirs
    the image must show (the non-link ones among /bin, /lib*, /sbin)."""
    shown = ["/usr"]
    with tarfile.open(path, "w") as tar:

        def add(name: str, link: str | None = None) -> None:
            info = tarfile.TarInfo(name)
            info.mode = 0o755
            if link is None:
                info.type = tarfile.DIRTYPE
            else:
                info.type, info.linkname = tarfile.SYMTYPE, link
            tar.addfile(info)

        for name in ("usr", "etc", "proc", "sys", "dev", "tmp", "run", "opt", "home", "work"):
            add(name)
        for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            top = Path("/", name)
            if top.is_symlink():
                add(name, os.readlink(top))
            elif top.is_dir():
                add(name)
                shown.append(str(top))
    return tuple(shown)


def _runs(
    engine: str, image: str, python: str, mounts: tuple[str, ...], env: dict[str, str]
) -> str:
    """'' if the engine runs `python` in `image`, else the engine's last word on why not."""
    volumes = [arg for path in mounts for arg in ("--volume", f"{path}:{path}:ro")]
    command = [engine, "run", "--rm", "--network", "none", "--read-only", *volumes, image]
    ran = subprocess.run(
        [*command, python, "-c", "pass"], capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL, env={**os.environ, **env},
    )  # fmt: skip
    return "" if ran.returncode == 0 else (ran.stderr.strip().splitlines() or ["no output"])[-1]


@pytest.fixture(scope="session")
def local_image(tmp_path_factory: pytest.TempPathFactory) -> LocalImage:
    engine = shutil.which("podman")
    if engine is None:
        missing("podman is not installed (Debian: apt-get install podman runc)")
    tar = tmp_path_factory.mktemp("image") / "root.tar"
    shown = _root_tar(tar)
    imported = subprocess.run(
        [engine, "import", str(tar), LOCAL_IMAGE], capture_output=True, text=True, timeout=120
    )
    if imported.returncode != 0:
        missing(f"podman cannot import an image here: {imported.stderr.strip()}")
    python = str(Path(sys.executable).resolve())
    prefix = str(Path(sys.base_prefix).resolve())
    mounts = shown + (() if prefix.startswith("/usr/") else (prefix,))
    said = _runs(engine, LOCAL_IMAGE, python, mounts, {})
    env: dict[str, str] = {}
    if said:
        conf = tmp_path_factory.mktemp("engine") / "containers.conf"
        conf.write_text(COMPATIBLE_CONF)
        env = {"CONTAINERS_CONF": str(conf)}
        said_then = _runs(engine, LOCAL_IMAGE, python, mounts, env)
        if said_then:
            missing(f"podman cannot run a container here: {said}; with runc: {said_then}")
    return LocalImage(engine, LOCAL_IMAGE, python, mounts, env)


@pytest.fixture
def podman(local_image: LocalImage, monkeypatch: pytest.MonkeyPatch) -> LocalImage:
    """The local image, with the engine configured for this host for the test's duration."""
    for key, value in local_image.engine_env.items():
        monkeypatch.setenv(key, value)
    return local_image


async def test_a_real_container_runs_the_session_with_no_host_files_or_network(
    tmp_path: Path, workspace: Path, podman: LocalImage
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not for agents")
    tools = workspace / "tools"
    tools.mkdir(parents=True)
    (tools / "echo.yaml").write_text(
        "name: echo\ndescription: Print words\ncommand: echo\n"
        "schema:\n  positional:\n    - {name: words, type: string, required: true}\n"
        "recipes:\n  say: {params: {words: {}}}\n"
    )
    source = 'def run(a: int) -> int:\n    """Double."""\n    return 2 * a\n'
    look = (
        "import os, socket\n"
        f"{READ_OR_ERROR}"
        "net = sorted(name for _, name in socket.if_nameindex())\n"
        f"skills.create('double', {source!r}, 'Double a number')\n"
        "artifacts.save('seen', os.getcwd())\n"
        f"[os.getpid(), artifacts.load('seen'), net, read({str(secret)!r}),\n"
        f" os.path.exists({str(tools)!r}), tools.echo.say(words='from the host').strip(),\n"
        " skills.double(a=21), os.environ['HOME']]"
    )
    async with Session(storage=FileStorage(workspace), executor=podman.executor()) as session:
        assert session.supports("filesystem_isolation") and session.supports("network_isolation")
        result = await session.run(look)
    assert result.error is None, result.error
    assert result.value == [
        1, "/work", ["lo"], "FileNotFoundError", False, "from the host", 42, "/home/agent",
    ]  # fmt: skip


async def test_a_real_container_is_interrupted_replaced_and_limited(
    workspace: Path, podman: LocalImage
) -> None:
    executor = podman.executor(limits=Limits(memory=256 << 20))
    async with Session(storage=FileStorage(workspace), executor=executor) as session:
        kept = await session.run("kept = 'still here'")
        stopped = await session.run("import time\ntime.sleep(60)", timeout=1.0)
        after_stop = await session.run("kept")
        hungry = await session.run("block = bytearray(512 << 20)")
        crashed = await session.run("import os\nos._exit(3)")
        again = await session.run("import os\n[os.getpid(), 'a new container']")
    assert kept.error is None, kept.error
    assert stopped.timed_out and not stopped.state_lost, stopped.error  # SIGINT via the engine
    assert after_stop.value == "still here"
    assert hungry.error is not None and "memory" in hungry.error, hungry.error
    assert crashed.state_lost, crashed.error
    assert again.value == [1, "a new container"]
    listed = subprocess.run(
        [podman.engine, "ps", "--all", "--quiet", "--filter", "name=py-code-mode-"],
        capture_output=True, text=True, env={**os.environ, **podman.engine_env},
    )  # fmt: skip
    assert executor._name_prefix not in listed.stdout  # --rm: nothing left behind


# The official image, where a registry is reachable: what a user without a local image runs.


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
