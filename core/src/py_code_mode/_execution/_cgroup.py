"""A pids cgroup per worker, where the host may make one: the limit on processes.

No rlimit can limit a worker's processes: RLIMIT_NPROC counts every process of the user
(and none of root's). A cgroup counts exactly the worker and what it starts. The host
makes one below its own cgroup, where the kernel lets it:

- cgroup v1 (a `pids` hierarchy of its own): below the host's pids cgroup, if writable;
- cgroup v2: below the host's cgroup if `pids` is enabled for its children there, or at
  the root of the hierarchy (root, or a delegated subtree's owner).

Elsewhere (no permission, no pids controller, not Linux) there is none, and `available()`
says why. The worker is moved in right after it starts, before any agent code runs, with
whatever it has started by then (bwrap's child), so all of its descendants are inside.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import signal
import time
from pathlib import Path

from py_code_mode._runtime.lifeline import children

__all__ = ["PidsCgroup", "pids_parent"]

_NAMES = itertools.count()


def _mounts() -> dict[str, Path]:
    """Cgroup mount points by hierarchy: 'v2', or the v1 controller names (e.g. 'pids')."""
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
        elif kind == "cgroup" and "pids" in options.split(","):
            found.setdefault("pids", mount_point)
    return found


def _own_paths() -> dict[str, str]:
    """This process's cgroup path per hierarchy ('v2' or 'pids')."""
    found: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            number, controllers, path = line.split(":", 2)
            if number == "0" and controllers == "":
                found["v2"] = path
            elif "pids" in controllers.split(","):
                found["pids"] = path
    return found


def _writable_dir(path: Path) -> bool:
    return path.is_dir() and os.access(path, os.W_OK | os.X_OK)


@functools.cache
def pids_parent() -> Path | None:
    """Where this process can make pids cgroups for its workers, or None (checked once)."""
    mounts, paths = _mounts(), _own_paths()
    candidates: list[Path] = []
    if "pids" in mounts and "pids" in paths:
        candidates.append(mounts["pids"] / paths["pids"].lstrip("/"))
    if "v2" in mounts and "v2" in paths:
        own = mounts["v2"] / paths["v2"].lstrip("/")
        candidates += [own, mounts["v2"]]
    for parent in candidates:
        if _writable_dir(parent) and _pids_for_children(parent) and _can_make_one(parent):
            _sweep(parent)
            return parent
    return None


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


def _pids_for_children(parent: Path) -> bool:
    control = parent / "cgroup.subtree_control"
    if not control.exists():  # v1: every child has the controller of its hierarchy
        return True
    try:
        if "pids" in control.read_text().split():
            return True
        control.write_text("+pids")  # allowed at the root, or with no processes inside
        return "pids" in control.read_text().split()
    except OSError:
        return False


def _can_make_one(parent: Path) -> bool:
    probe = parent / f"py-code-mode-{os.getpid()}-probe"
    try:
        probe.mkdir()
    except OSError:
        return False
    try:
        return (probe / "pids.max").exists()
    finally:
        with contextlib.suppress(OSError):
            probe.rmdir()


class PidsCgroup:
    """One worker's pids cgroup: at most `limit` processes and threads, all of its tree."""

    def __init__(self, parent: Path, limit: int) -> None:
        self.path = parent / f"py-code-mode-{os.getpid()}-{next(_NAMES)}"
        self.path.mkdir()
        try:
            (self.path / "pids.max").write_text(str(limit))
        except OSError:
            self.path.rmdir()
            raise
        self.limit = limit

    def adopt(self, pid: int) -> None:
        """Move `pid` and everything below it into the cgroup (before agent code runs)."""
        procs = self.path / "cgroup.procs"
        pending = [pid]
        while pending:
            current = pending.pop()
            with contextlib.suppress(ProcessLookupError, OSError):
                procs.write_text(str(current))
            pending += children(current)

    def try_remove(self) -> bool:
        """Remove the cgroup if it is empty (the usual case, and quick); False if not."""
        try:
            self.path.rmdir()
        except FileNotFoundError:
            return True
        except OSError:
            return False
        return True

    def remove(self) -> None:
        """Kill what is left inside, then remove the cgroup; quiet if it is already gone."""
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                self._kill_members()
        # Still busy after all that: leave it; the kernel frees it once it empties.

    def _kill_members(self) -> None:
        try:
            members = (self.path / "cgroup.procs").read_text().split()
        except OSError:
            return
        for member in members:
            with contextlib.suppress(ProcessLookupError, ValueError, PermissionError):
                os.kill(int(member), signal.SIGKILL)
        time.sleep(0.01)  # for the killed to be reaped
