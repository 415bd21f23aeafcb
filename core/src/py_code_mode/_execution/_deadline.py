"""A run's timeout, shared by both executors: interrupt at the deadline, give up after grace."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class InterruptIgnored(Exception):
    """The code was still running a grace period after its interrupt."""


class Deadline:
    """Interrupt a run at its timeout; give up on it `grace` seconds later.

    Timers on the loop rather than `wait_for`: a run that ends in time costs no wrappers,
    and the run's own future stays the one thing awaited. At `timeout` it calls `interrupt`
    and sets `expired`; if the run's future is still pending `grace` seconds later, it fails
    with `InterruptIgnored`, and the executor replaces whatever ran the code.
    """

    def __init__(
        self,
        future: asyncio.Future[Any],
        timeout: float | None,
        grace: float,
        interrupt: Callable[[], None],
    ) -> None:
        self._loop = future.get_loop()
        self._future = future
        self._grace = grace
        self._interrupt = interrupt
        self.expired = False
        self._timer: asyncio.TimerHandle | None = None
        if timeout is not None:
            self._timer = self._loop.call_later(timeout, self._expire)

    def _expire(self) -> None:
        self.expired = True
        self._interrupt()
        self._timer = self._loop.call_later(self._grace, self._give_up)

    def _give_up(self) -> None:
        self._timer = None
        if not self._future.done():
            self._future.set_exception(InterruptIgnored())

    def cancel(self) -> None:
        """The run is over: no more timers."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def timed_out_outcome(outcome: dict[str, Any], timeout: float | None) -> dict[str, Any]:
    """The result of a run that its interrupt stopped: variables intact, error says why."""
    outcome = dict(outcome)
    outcome["error"] = (
        f"Execution timeout: timed out after {timeout:g}s; the code was interrupted and the "
        f"session's variables are intact.\n{outcome.get('error') or ''}"
    ).rstrip()
    outcome.update(error_type="TimeoutError", timed_out=True, value=None)
    return outcome
