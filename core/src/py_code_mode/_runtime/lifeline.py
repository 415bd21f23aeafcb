"""The worker's ties to its host, on Linux: it dies with the host and leaves nothing behind.

Two prctl settings, made through `_ctypes` (the C module alone: the `ctypes` package would
cost the worker's start ~3 ms, this ~0.4 ms):

- ``PR_SET_PDEATHSIG``: the kernel SIGKILLs the worker when its host dies, however the
  host dies, so a worker never runs on for nobody;
- ``PR_SET_CHILD_SUBREAPER``: a process that agent code started and whose parent has gone
  (a double fork, a daemon) is reparented to the worker instead of to init, so the worker
  (and the host, through /proc) can still find it and end it with the session.

Elsewhere than Linux neither exists; the host's process-group kill is what remains.
Standard library only: this runs inside the worker.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # not `signal`: see worker.py
import os

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def bind_to_host(host_pid: int) -> None:
    """Die with the host, adopt orphans; exit now if the host is already gone."""
    try:
        import _ctypes

        # None: the process's own symbols, where libc's prctl is (typeshed wants a path).
        prctl = _ctypes.dlsym(_ctypes.dlopen(None, 0), "prctl")  # type: ignore[arg-type]
    except (ImportError, OSError, AttributeError):  # not Linux: there is no prctl
        return
    _ctypes.call_function(prctl, (_PR_SET_PDEATHSIG, _signal.SIGKILL))
    _ctypes.call_function(prctl, (_PR_SET_CHILD_SUBREAPER, 1))
    if os.getppid() != host_pid:  # the host died before the kernel could be asked
        os._exit(1)


def children(pid: int) -> list[int]:
    """The direct children of a process (Linux: from /proc); [] where that cannot be read."""
    found: list[int] = []
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for thread in threads:
        try:
            with open(f"/proc/{pid}/task/{thread}/children", "rb") as listing:
                found += [int(child) for child in listing.read().split()]
        except (OSError, ValueError):
            continue
    return found


def kill_tree(pid: int, *, spare_root: bool = False) -> None:
    """SIGKILL every process below `pid` (and `pid` itself unless `spare_root`).

    Each process is stopped before its children are read, so nothing forks a new one
    while the tree is walked; then everything found is killed. Whatever group or session
    a process moved to, it is still below its ancestors here, and orphans are below the
    subreaper that adopted them.
    """
    seen: list[int] = []
    frontier = [pid]
    while frontier:
        current = frontier.pop()
        if current in seen:
            continue
        seen.append(current)
        if current != pid or not spare_root:
            _signal_quietly(current, _signal.SIGSTOP)
        frontier += children(current)
    for current in seen:
        if current != pid or not spare_root:
            _signal_quietly(current, _signal.SIGKILL)


def _signal_quietly(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except OSError:  # gone already, or not ours to signal
        pass
