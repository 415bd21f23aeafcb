"""The worker's resource limits: set once at start, named in the errors they cause.

Each limit is an rlimit that the worker sets on itself, soft and hard alike, before any
agent code runs; what agent code starts inherits it, and an unprivileged process cannot
raise a hard limit again. A breach is an ordinary error in agent code (MemoryError,
`OSError` EFBIG or EMFILE), so the run fails, the session's variables survive and the next
run works; `explain` adds which limit it was, so nobody mistakes it for a bug.

Standard library only: this runs inside the worker.
"""

from __future__ import annotations

import errno

__all__ = ["apply", "explain"]

_RLIMITS = {
    # Heap and private anonymous mappings: what Python's objects live in. The address
    # space (RLIMIT_AS) would count reserved but unused ranges, which threads' malloc
    # arenas make large, and refuse a thread long before memory runs out.
    "memory": "RLIMIT_DATA",
    "file_size": "RLIMIT_FSIZE",
    "open_files": "RLIMIT_NOFILE",
}
"""The limits the worker sets itself; `processes` is the host's cgroup, only named here."""

_applied: dict[str, int] = {}


def apply(limits: dict[str, int]) -> None:
    """Set each limit, never above a hard limit the worker already has."""
    if not limits:
        return
    import resource

    for name, value in limits.items():
        if name in _RLIMITS:
            which = getattr(resource, _RLIMITS[name])
            _, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(which, (value, value))
        _applied[name] = value


def explain(exc: BaseException) -> str | None:
    """Which limit `exc` comes from, in a sentence for the error text; None if none."""
    if isinstance(exc, MemoryError) and "memory" in _applied:
        return _said(
            "memory", "memory limit", "free memory (del large objects) or ask for a higher limit"
        )
    if "processes" in _applied and (
        (isinstance(exc, OSError) and exc.errno == errno.EAGAIN)
        or (isinstance(exc, RuntimeError) and "can't start new thread" in str(exc))
    ):
        return _said("processes", "process limit", "wait for processes to end, or start fewer")
    if isinstance(exc, OSError):
        if exc.errno == errno.EFBIG and "file_size" in _applied:
            return _said("file_size", "file size limit", "write smaller files")
        if exc.errno == errno.EMFILE and "open_files" in _applied:
            return _said(
                "open_files", "open files limit", "close files and sockets when done (use with)"
            )
    return None


def _said(name: str, what: str, advice: str) -> str:
    value = _applied[name]
    amount = {"open_files": f"{value:,} files", "processes": f"{value:,} processes and threads"}
    amount_text = amount.get(name) or _size(value)
    return f"The session's {what} ({amount_text}) was reached; {advice}. The session goes on."


def _size(count: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size:
            return f"{count / size:g} {unit}"
    return f"{count} bytes"
