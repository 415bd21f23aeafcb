"""`SyncSession`: the Session for code that is not async, on one background event loop.

Every call is handed to a single long-lived loop on a thread of its own, so loop-bound
resources (the worker's pipes, the executor's locks) live on one loop for the session's
whole life; no call creates a loop of its own.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from py_code_mode._operations import Operation, SyncOperations
from py_code_mode._result import ExecutionResult
from py_code_mode._session import Session
from py_code_mode._storage.file import FileStorage
from py_code_mode.errors import UsageError

__all__ = ["SyncSession"]

T = TypeVar("T")


class SyncSession(SyncOperations):
    """A blocking facade over `Session`; takes the same arguments.

    Every operation of `Session` (`list_tools`, `create_skill`, ...) is here too, blocking.

    Use it as a context manager (``with SyncSession(storage=...) as session:``) or call
    `close()` when done. Do not call it from inside its own loop (a callback of `run`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pcm-sync", daemon=True)
        self._thread.start()
        try:
            self._session: Session = self._call(_make_session(args, kwargs))
        except BaseException:
            self._stop_loop()
            raise

    @classmethod
    def from_base(cls, base_path: str | os.PathLike[str], **kwargs: Any) -> SyncSession:
        """A session on a workspace directory (`FileStorage`), in one call, as `Session`'s."""
        return cls(storage=FileStorage(base_path), **kwargs)

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        if threading.current_thread() is self._thread:
            coro.close()
            raise UsageError(
                "SyncSession was called from its own event loop (inside an output callback?); "
                "use the async Session there instead"
            )
        if self._loop.is_closed():
            coro.close()
            raise UsageError("this SyncSession is closed; create a new one")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    @property
    def session(self) -> Session:
        """The async Session underneath."""
        return self._session

    def __enter__(self) -> SyncSession:
        self._call(self._session.start())
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the session and stop the background loop."""
        if self._loop.is_closed():
            return
        try:
            self._call(self._session.close())
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def run(self, code: str, *, timeout: float | None = None) -> ExecutionResult:
        """Run agent code; see `Session.run`."""
        return self._call(self._session.run(code, timeout=timeout))

    def reset(self) -> None:
        """Forget every variable of agent code."""
        self._call(self._session.reset())

    def invoke_skill(self, name: str, /, **kwargs: Any) -> ExecutionResult:
        """See `Session.invoke_skill`."""
        return self._call(self._session.invoke_skill(name, **kwargs))

    def _perform_sync(self, operation: Operation[Any, Any, Any], arguments: dict[str, Any]) -> Any:
        return self._call(self._session._perform(operation, arguments))


async def _make_session(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Session:
    # Built on the background loop, so its asyncio objects belong to that loop.
    return Session(*args, **kwargs)
