"""What every executor provides: run code in a worker whose namespaces talk to a host."""

from __future__ import annotations

import contextvars
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from py_code_mode._result import ExecutionResult

RequestHandler = Callable[[str, dict[str, Any]], Awaitable[Any]]
"""The host's side of the channel: (verb, args) -> JSON-compatible value, or a typed error."""

OutputCallback = Callable[[Literal["stdout", "stderr"], str], None]
"""Receives output chunks as the code produces them, for adapters that stream."""

REQUEST_OUTPUT: contextvars.ContextVar[Callable[[str], None] | None] = contextvars.ContextVar(
    "REQUEST_OUTPUT", default=None
)
"""Where host work done for a run's request may print: into that run's stdout, streamed
like the code's own output. Executors set it while they serve a request (an installer's
progress reaches the agent this way); outside a run it is None."""


@dataclass(frozen=True)
class WorkerContext:
    """What a Session tells its executor about the worker it needs."""

    handler: RequestHandler
    """Where namespace requests from agent code go."""
    cwd: Path
    """The worker's working directory: the workspace."""
    import_paths: Sequence[str] = field(default_factory=tuple)
    """Directories to make importable in the worker (the workspace's installed deps)."""
    operations: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    """The namespace methods agent code gets, as plain data (`Operation.spec`): the worker
    builds its proxies from these, so it needs nothing of the host's code to do so."""


CAPABILITIES = (
    "timeout",
    "process_isolation",
    "network_isolation",
    "filesystem_isolation",
    "memory_limit",
    "cpu_limit",
    "reset",
    "deps_install",
    "deps_uninstall",
)
"""Everything a session may report it supports; the names upstream py-code-mode uses."""


class Executor(Protocol):
    """Runs agent code. One executor serves one session."""

    async def start(self, context: WorkerContext) -> None:
        """Make the worker ready; called once by the session before the first run."""
        ...

    async def run(
        self,
        code: str,
        *,
        timeout: float | None = None,
        on_output: OutputCallback | None = None,
    ) -> ExecutionResult:
        """Run `code`; never raise for errors in the code itself."""
        ...

    async def reset(self) -> None:
        """Forget the code's variables, keeping the namespaces."""
        ...

    async def close(self) -> None:
        """Stop the worker and release everything the executor holds."""
        ...

    def capabilities(self) -> frozenset[str]:
        """What this executor really provides, in `CAPABILITIES`' names."""
        ...


def host_paths(paths: Sequence[str | os.PathLike[str]], what: str) -> list[Path]:
    """Host paths an isolating executor is told to show inside, checked: absolute, several.

    Raises:
        TypeError: One path was given where a sequence of them belongs.
        ValueError: A path is relative (relative to what, inside?).
    """
    if isinstance(paths, str | os.PathLike):
        raise TypeError(f"{what} must be a sequence of paths, not one path")
    found = [Path(path) for path in paths]
    for path in found:
        if not path.is_absolute():
            raise ValueError(f"{what} paths must be absolute, got {str(path)!r}")
    return found


def check_flag(value: object, what: str) -> bool:
    """`value` if it is a bool; a truthy string such as "none" must not pass for one."""
    if not isinstance(value, bool):
        raise TypeError(f"{what} must be True or False, got {value!r}")
    return value
