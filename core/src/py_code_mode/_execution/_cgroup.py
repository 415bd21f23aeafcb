"""Cgroups per worker, where the host may make them: the limits no rlimit can keep.

An rlimit holds per process: RLIMIT_NPROC counts every process of the user (and none of
root's), and RLIMIT_DATA lets a worker and each process it starts take the full amount. A
cgroup counts exactly the worker and everything it starts. The host makes one below its
own cgroup where the kernel lets it, for each controller it can:

- cgroup v1 (a hierarchy per controller): below the host's `pids` and `memory` cgroups,
  if writable;
- cgroup v2: below the host's cgroup if the controllers are enabled for its children
  there, or at the root of the hierarchy (root, or a delegated subtree's owner).

Elsewhere (no permission, no such controller, not Linux) there is none, and the worker has
its rlimits only. The worker is moved in right after it starts, before any agent code
runs, with whatever it has started by then (bwrap's child), so all of its descendants are
inside.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from py_code_mode._runtime.lifeline import children

__all__ = ["CONTROLLERS", "WorkerCgroup", "controllers_available"]

CONTROLLERS = {"processes": "pids", "memory": "memory"}
"""The limits a cgroup keeps, by `Limits` name, and the controller that keeps each."""

_NAMES = itertools.count()


@dataclass(frozen=True)
class _Place:
    """Where to make a worker's cgroup for some controllers."""

    parent: Path
    controllers: frozenset[str]
    v2: bool


def _mounts() -> dict[str, Path]:
    """Cgroup mount points by hierarchy: 'v2', or a v1 controller's name."""
    found: dict[str, Path] = {}
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        fields = line.split(" - ", 1)
        if len(fields) != 2:
            continue
        mount_point = Path(fields[0].split()[4])
        kind, _, options = (fields[1].split() + ["", "", ""])[:3]
        if kind == "cgroup2":
            found.setdefault("v2", mount_point)
        elif kind == "cgroup":
            for controller in CONTROLLERS.values():
                if controller in options.split(","):
                    found.setdefault(controller, mount_point)
    return found


def _own_paths() -> dict[str, str]:
    """This process's cgroup path per hierarchy ('v2' or a v1 controller's name)."""
    found: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            number, controllers, path = line.split(":", 2)
            if number == "0" and controllers == "":
                found["v2"] = path
            for controller in CONTROLLERS.values():
                if controller in controllers.split(","):
                    found[controller] = path
    return found


@functools.cache
def _places() -> tuple[_Place, ...]:
    """Where this process can make cgroups for its workers (checked once)."""
    mounts, paths = _mounts(), _own_paths()
    places: list[_Place] = []
    covered: set[str] = set()
    for controller in CONTROLLERS.values():
        if controller in mounts and controller in paths:
            parent = mounts[controller] / paths[controller].lstrip("/")
            if _usable(parent, frozenset({controller}), v2=False):
                places.append(_Place(parent, frozenset({controller}), v2=False))
                covered.add(controller)
    wanted = frozenset(CONTROLLERS.values()) - covered
    if wanted and "v2" in mounts and "v2" in paths:
        own = mounts["v2"] / paths["v2"].lstrip("/")
        for parent in (own, mounts["v2"]):
            enabled = _enable(parent, wanted)
            if enabled and _usable(parent, enabled, v2=True):
                places.append(_Place(parent, enabled, v2=True))
                break
    for place in places:
        _sweep(place.parent)
    return tuple(places)


def controllers_available() -> frozenset[str]:
    """The controllers this host can give its workers (`pids`, `memory`)."""
    return frozenset().union(*(place.controllers for place in _places()))


def _enable(parent: Path, wanted: frozenset[str]) -> frozenset[str]:
    """The wanted v2 controllers that are (or could be made) enabled for `parent`'s children."""
    control = parent / "cgroup.subtree_control"
    try:
        enabled = set(control.read_text().split())
        for controller in wanted - enabled:
            with contextlib.suppress(OSError):  # refused unless root cgroup or empty
                control.write_text(f"+{controller}")
        enabled = set(control.read_text().split())
    except OSError:
        return frozenset()
    return frozenset(wanted & enabled)


def _usable(parent: Path, controllers: frozenset[str], *, v2: bool) -> bool:
    if not (parent.is_dir() and os.access(parent, os.W_OK | os.X_OK)):
        return False
    probe = parent / f"py-code-mode-{os.getpid()}-probe"
    try:
        probe.mkdir()
    except OSError:
        return False
    try:
        return all((probe / _limit_file(c, v2)).exists() for c in controllers)
    finally:
        with contextlib.suppress(OSError):
            probe.rmdir()


def _limit_file(controller: str, v2: bool) -> str:
    if controller == "memory":
        return "memory.max" if v2 else "memory.limit_in_bytes"
    return "pids.max"


def _sweep(parent: Path) -> None:
    """Remove the empty cgroups of hosts that died without removing theirs (SIGKILL)."""
    for path in parent.glob("py-code-mode-*-*"):
        try:
            host = int(path.name.split("-")[3])
        except (IndexError, ValueError):
            continue
        if host != os.getpid() and not Path(f"/proc/{host}").exists():
            with contextlib.suppress(OSError):
                path.rmdir()  # refused while processes are inside: those are left alone


class WorkerCgroup:
    """One worker's cgroups, keeping the limits given (by `Limits` name) that they can."""

    def __init__(self, limits: dict[str, int]) -> None:
        self.limits: dict[str, int] = {}
        self._dirs: list[tuple[Path, _Place]] = []
        name = f"py-code-mode-{os.getpid()}-{next(_NAMES)}"
        wanted = {CONTROLLERS[key]: value for key, value in limits.items() if key in CONTROLLERS}
        try:
            for place in _places():
                mine = {c: v for c, v in wanted.items() if c in place.controllers}
                if not mine:
                    continue
                path = place.parent / name
                path.mkdir()
                self._dirs.append((path, place))
                for controller, value in mine.items():
                    (path / _limit_file(controller, place.v2)).write_text(str(value))
                    if controller == "memory" and place.v2:
                        with contextlib.suppress(OSError):  # no swap to escape into
                            (path / "memory.swap.max").write_text("0")
                    key = next(k for k, c in CONTROLLERS.items() if c == controller)
                    self.limits[key] = value
        except OSError:
            self.remove()
            raise

    def __bool__(self) -> bool:
        return bool(self.limits)

    def adopt(self, pid: int) -> None:
        """Move `pid` and everything below it in (before agent code runs)."""
        pending = [pid]
        while pending:
            current = pending.pop()
            for path, _ in self._dirs:
                with contextlib.suppress(ProcessLookupError, OSError):
                    (path / "cgroup.procs").write_text(str(current))
            pending += children(current)

    def memory_exhausted(self) -> bool:
        """Whether the kernel's OOM killer has killed in here (the memory limit was hit)."""
        for path, place in self._dirs:
            if "memory" not in place.controllers:
                continue
            events = "memory.events" if place.v2 else "memory.oom_control"
            with contextlib.suppress(OSError, ValueError):
                for line in (path / events).read_text().splitlines():
                    key, _, count = line.partition(" ")
                    if key == "oom_kill" and int(count) > 0:
                        return True
        return False

    def try_remove(self) -> bool:
        """Remove the cgroups if they are empty (the usual case, and quick); False if not."""
        left = []
        for entry in self._dirs:
            try:
                entry[0].rmdir()
            except FileNotFoundError:
                pass
            except OSError:
                left.append(entry)
        self._dirs = left
        return not left

    def remove(self) -> None:
        """Kill what is left inside, then remove the cgroups; quiet if already gone."""
        for _ in range(50):
            if self.try_remove():
                return
            for path, _ in self._dirs:
                self._kill_members(path)
            time.sleep(0.01)  # for the killed to be reaped
        # Still busy after all that: leave them; a later host sweeps them once empty.

    @staticmethod
    def _kill_members(path: Path) -> None:
        try:
            members = (path / "cgroup.procs").read_text().split()
        except OSError:
            return
        for member in members:
            with contextlib.suppress(ProcessLookupError, ValueError, PermissionError):
                os.kill(int(member), signal.SIGKILL)
