"""The outcome of running one piece of agent code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ExecutionResult"]


@dataclass(frozen=True)
class ExecutionResult:
    """What `Session.run` returns; errors in agent code land here instead of being raised.

    `value` is the last expression's value when it is JSON-like (str, int, float, bool, None,
    bytes, and lists/dicts of those), else its `repr()` as a string.
    """

    value: Any = None
    """The last expression's value, or None when the code ended with a statement."""
    stdout: str = ""
    """Everything the code printed, including output of processes it started."""
    stderr: str = ""
    """Everything the code wrote to standard error."""
    error: str | None = None
    """A traceback naming the agent's own lines, or a plain account of a timeout or crash."""
    execution_time_ms: float = 0.0
    """Wall time of the run, as the host measured it."""
    details: dict[str, Any] = field(default_factory=dict)
    """Facts about how the run ended: `error_type`, `timed_out`, `state_lost`."""

    @property
    def is_ok(self) -> bool:
        """Whether the code ran to the end without an error."""
        return self.error is None
