"""Run agent code in the subprocess worker inside a container (Docker or Podman).

The worker and its channel protocol are the subprocess executor's. A container inherits no
descriptors, so the channel is a Unix socket in a host directory bind-mounted into the
container: the host listens there before the container starts, and the worker connects
(`Launch.channel_dir`). The runtime is standard library only, so any image with a Python
runs it: py-code-mode's own package is mounted read-only, nothing is installed in the
image. A `Dockerfile` beside the project builds a small prebuilt image.

The container gets no network (unless asked), no capabilities, no new privileges, a
read-only root, a private tmpfs home and /tmp, and a work directory of its own for the
session. The engine's cgroups carry the memory, process and CPU limits, for the whole
container; the worker's rlimits (`Limits`) hold inside as well.

The worker is the container's PID 1, so its exit ends everything agent code started, and
`--rm` removes the container. It exits when the host closes the channel, which the kernel
does when the host dies, so a container never runs on for nobody. Signals go through the
engine (`kill --signal`), since the engine, not the host, is the container's parent.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import py_code_mode
from py_code_mode._execution._output import DEFAULT_OUTPUT_LIMIT
from py_code_mode._execution._workdir import SessionDir
from py_code_mode._execution.base import WorkerContext, check_flag, host_paths
from py_code_mode._execution.limits import Limits
from py_code_mode._execution.subprocess import Launch, SubprocessExecutor
from py_code_mode._runtime import protocol
from py_code_mode.errors import SandboxUnavailableError

__all__ = ["ContainerExecutor"]

RUNTIME_INSIDE = "/opt/py-code-mode"
"""Where py-code-mode's package is mounted, read-only."""
CHANNEL_INSIDE = "/run/py-code-mode"
"""Where the host's channel directory is mounted."""
WORK_INSIDE = "/work"
"""The worker's current directory: the session's work directory."""
HOME = "/home/agent"

_PASSED_ENV = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "TERM")
"""Host variables that mean the same in a container; PATH and HOME are the image's own."""

_PULL_TIMEOUT = 600.0


def _default_image() -> str:
    """An official Python image of the host's version: compiled deps need the same one."""
    return f"python:{sys.version_info.major}.{sys.version_info.minor}-slim"


def find_engine(explicit: str | None = None) -> str:
    """The container engine: `explicit` (a name or path), else podman, else docker.

    Raises:
        SandboxUnavailableError: None is installed.
    """
    for name in (explicit,) if explicit is not None else ("podman", "docker"):
        assert name is not None
        found = shutil.which(name)
        if found is not None:
            return found
    wanted = repr(explicit) if explicit is not None else "podman or docker"
    raise SandboxUnavailableError(
        f"ContainerExecutor needs a container engine: {wanted} is not on PATH"
    )


class ContainerExecutor(SubprocessExecutor):
    """Runs agent code in a container, with Docker or Podman.

    `env`, `interrupt_grace`, `output_limit`, `warm_spare` and `max_frame_bytes` are as for
    `SubprocessExecutor`.

    Args:
        image: An image with Python 3.11 or later at `python` (default: the official
            `python:X.Y-slim` of the host's version, since compiled deps must match).
        engine: `docker`, `podman` or a path to either (default: podman, else docker).
        network: Give the container the engine's default network (default: none).
        cpus: CPUs the container may use (e.g. 0.5); None for no limit.
        mounts: More host paths to show inside, read-only, at the same place.
        python: The interpreter inside the image.
        limits: As for `SubprocessExecutor`; the engine also applies `memory` and
            `processes` to the whole container.

    Raises (at session start):
        SandboxUnavailableError: No engine, or it cannot run the image.
    """

    def __init__(
        self,
        *,
        image: str | None = None,
        engine: str | None = None,
        network: bool = False,
        cpus: float | None = None,
        mounts: Sequence[str | os.PathLike[str]] = (),
        python: str = "python",
        limits: Limits | None = None,
        env: Mapping[str, str] | None = None,
        interrupt_grace: float = 2.0,
        output_limit: int = DEFAULT_OUTPUT_LIMIT,
        warm_spare: bool = True,
        max_frame_bytes: int = protocol.DEFAULT_MAX_FRAME_BYTES,
    ) -> None:
        super().__init__(
            env=env,
            inherit_env=_PASSED_ENV,
            interrupt_grace=interrupt_grace,
            output_limit=output_limit,
            warm_spare=warm_spare,
            max_frame_bytes=max_frame_bytes,
            limits=limits,
        )
        if cpus is not None and (isinstance(cpus, bool) or not cpus > 0):
            raise ValueError(f"cpus must be a positive number or None, got {cpus!r}")
        self._mounts = host_paths(mounts, "mounts")
        self._image = image or _default_image()
        self._engine_given = engine
        self._network = check_flag(network, "network")
        self._cpus = cpus
        self._container_python = python
        self._names = 0
        self._name_prefix = f"py-code-mode-{os.getpid()}-{id(self):x}"
        self._context_paths: list[str] = []
        self._engine = ""

    @property
    def image(self) -> str:
        """The image the worker runs in."""
        return self._image

    def capabilities(self) -> frozenset[str]:
        """The subprocess executor's, plus no host files, no network, and CPU if limited."""
        found = set(super().capabilities()) | {"filesystem_isolation"}
        if not self._network:
            found.add("network_isolation")
        if self._cpus is not None:
            found.add("cpu_limit")
        return frozenset(found)

    async def start(self, context: WorkerContext) -> None:
        """Find the engine, make sure the image is there, then start the worker."""
        engine = find_engine(self._engine_given)
        self._prepare(context, engine)
        try:
            await self._ensure_image()
        except BaseException:
            self._remove_session_dir()
            raise
        await super().start(context)

    def _prepare(self, context: WorkerContext, engine: str) -> None:
        """Settle the engine and make the session's directory (`/work` inside, the channel)."""
        self._engine = engine
        self._session_dir = SessionDir("container", ("channel",))
        self._context_paths = [str(path) for path in context.import_paths]

    async def _ensure_image(self) -> None:
        inspect = await asyncio.to_thread(
            subprocess.run,
            [self._engine, "image", "inspect", self._image],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )
        if inspect.returncode == 0:
            return
        pulled = await asyncio.to_thread(
            subprocess.run,
            [self._engine, "pull", self._image],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=_PULL_TIMEOUT,
        )
        if pulled.returncode != 0:
            said = (pulled.stderr or pulled.stdout).strip().splitlines()[-1:] or ["no output"]
            raise SandboxUnavailableError(
                f"{Path(self._engine).name} cannot get the image {self._image!r}: {said[0]}"
            )

    def container_command(self, name: str) -> list[str]:
        """The engine's command line up to the interpreter, for a container called `name`."""
        assert self._session_dir is not None
        runtime = str(Path(py_code_mode.__file__).resolve().parent)
        command = [self._engine, "run", "--rm", "--name", name]
        command += ["--network", "bridge" if self._network else "none"]
        command += ["--user", f"{os.getuid()}:{os.getgid()}"]
        command += ["--cap-drop", "ALL", "--security-opt", "no-new-privileges"]
        command += ["--read-only", "--workdir", WORK_INSIDE, "--hostname", "sandbox"]
        memory = self._limits.memory
        size = f",size={memory}" if memory is not None else ""
        for tmpfs in ("/tmp", HOME):  # noqa: S108 - the container's own, private tmpfs
            command += ["--tmpfs", f"{tmpfs}:rw,exec,mode=1777{size}"]
        if memory is not None:
            command += ["--memory", str(memory)]
        if self._limits.processes is not None:
            command += ["--pids-limit", str(self._limits.processes)]
        if self._cpus is not None:
            command += ["--cpus", f"{self._cpus:g}"]
        volumes = [
            (runtime, f"{RUNTIME_INSIDE}/py_code_mode", "ro"),
            (str(self._session_dir / "channel"), CHANNEL_INSIDE, "rw"),
            (str(self._session_dir.work), WORK_INSIDE, "rw"),
            *((path, path, "ro") for path in self._context_paths),
            *((str(path), str(path), "ro") for path in self._mounts),
        ]
        for source, target, mode in volumes:
            command += ["--volume", f"{source}:{target}:{mode}"]
        env = dict(self._env)
        env.update(HOME=HOME, TMPDIR="/tmp", PYTHONDONTWRITEBYTECODE="1")  # noqa: S108
        for key, value in sorted(env.items()):
            command += ["--env", f"{key}={value}"]
        return [*command, self._image]

    def _launch(self) -> Launch:
        assert self._session_dir is not None
        self._names += 1
        name = f"{self._name_prefix}-{self._names}"
        limits = self._limits.as_worker_args()
        limits.pop("processes", None)  # the engine's --pids-limit keeps it, not an rlimit
        return Launch(
            self._container_python,
            dict(os.environ),  # the engine's client runs on the host; the container gets --env
            wrapper=self.container_command(name),
            parent_pid=0,
            limits=limits,
            package_root=RUNTIME_INSIDE,
            channel_dir=self._session_dir / "channel",
            channel_dir_inside=CHANNEL_INSIDE,
            host_cgroups=False,  # --memory and --pids-limit: the engine's, for the container
            signal=lambda sig: self._signal(name, sig),
        )

    def _signal(self, name: str, sig: int) -> None:
        """Signal the container's PID 1 (the worker) through the engine, off the loop."""
        command = [self._engine, "kill", "--signal", str(sig), name]
        threading.Thread(
            target=subprocess.run,
            args=(command,),
            kwargs={"capture_output": True, "stdin": subprocess.DEVNULL, "timeout": 30},
            daemon=True,
        ).start()
