"""The outcome of running one piece of agent code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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
    error_type: str | None = None
    """The class name of what ended the run (``ZeroDivisionError``, ``TimeoutError``,
    ``WorkerLostError``), or None when it ran to the end."""
    timed_out: bool = False
    """The run reached its timeout and was interrupted."""
    state_lost: bool = False
    """The code's variables are gone: what ran it had to be killed and replaced."""

    @property
    def is_ok(self) -> bool:
        """Whether the code ran to the end without an error."""
        return self.error is None

    @property
    def details(self) -> dict[str, Any]:
        """`error_type`, `timed_out` and `state_lost` as a dict, as earlier versions gave."""
        return {
            "error_type": self.error_type,
            "timed_out": self.timed_out,
            "state_lost": self.state_lost,
        }

    @classmethod
    def from_outcome(
        cls, outcome: Mapping[str, Any], *, stdout: str, stderr: str, execution_time_ms: float
    ) -> ExecutionResult:
        """A result from an executor's outcome, whose fields are checked, not trusted.

        The outcome comes partly from the worker, so a field of the wrong type counts as
        absent rather than reaching the caller.
        """
        error, error_type = outcome.get("error"), outcome.get("error_type")
        return cls(
            value=outcome.get("value"),
            stdout=stdout,
            stderr=stderr,
            error=error if isinstance(error, str) else None,
            execution_time_ms=execution_time_ms,
            error_type=error_type if isinstance(error_type, str) else None,
            timed_out=outcome.get("timed_out") is True,
            state_lost=outcome.get("state_lost") is True,
        )
