"""`SessionPortal`: call a Session from any thread or event loop, sync or async.

A Session's worker pipes and locks belong to the event loop it started on (its *home*
loop). Framework adapters are called from everywhere: LangChain runs sync tools on worker
threads, a notebook calls them on the thread of a running loop, LlamaIndex mixes both.
Rather than each adapter guessing, every call goes through one portal that runs it on the
home loop and waits for it in whatever way the caller can:

- async caller on the home loop, or the session not started yet: plain ``await`` (the
  session then makes this loop its home);
- async caller on another loop: the call is handed to the home loop and awaited;
- sync caller: the call is handed to the home loop and waited for; if the session has no
  home yet, the portal starts one of its own on a background thread, so a sync caller
  never needs an event loop and one sitting on a running loop's thread never blocks it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from py_code_mode.errors import UsageError

if TYPE_CHECKING:
    from py_code_mode._session import Session

__all__ = ["SessionPortal"]

T = TypeVar("T")


class SessionPortal:
    """Runs coroutines of one Session on the loop that owns it."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._own_loop: asyncio.AbstractEventLoop | None = None
        self._own_thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def session(self) -> Session:
        """The session the portal calls."""
        return self._session

    async def call(self, make: Callable[[], Awaitable[T]]) -> T:
        """Await `make()` on the session's home loop from whatever loop is running."""
        home = self._session.loop or self._own_loop
        current = asyncio.get_running_loop()
        if home is None or home is current:
            return await make()
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(_wrap(make), home))

    def call_sync(self, make: Callable[[], Awaitable[T]]) -> T:
        """Run `make()` on the session's home loop and block until it is done.

        Raises:
            UsageError: Called on the thread that runs the session's own loop, where
                waiting would deadlock; use the async form there.
        """
        home = self._session.loop or self._home_of_own()
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if current is home:
            raise UsageError(
                "a blocking call on the thread that runs the session's event loop would "
                "deadlock: use the async form there (`await tool.ainvoke(...)` in LangChain, "
                "`await tool.acall(...)` in LlamaIndex, `await session.<method>(...)`), or "
                "start the session outside this loop"
            )
        return asyncio.run_coroutine_threadsafe(_wrap(make), home).result()

    def _home_of_own(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._own_loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="pcm-portal", daemon=True)
                thread.start()
                self._own_loop, self._own_thread = loop, thread
            return self._own_loop

    def close(self) -> None:
        """Close the session if the portal's own loop runs it, then stop that loop."""
        loop, thread = self._own_loop, self._own_thread
        if loop is None or thread is None or loop.is_closed():
            return
        if self._session.loop is loop:
            asyncio.run_coroutine_threadsafe(self._session.close(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


async def _wrap(make: Callable[[], Awaitable[T]]) -> T:
    # run_coroutine_threadsafe wants a coroutine; `make` may return any awaitable.
    return await make()
