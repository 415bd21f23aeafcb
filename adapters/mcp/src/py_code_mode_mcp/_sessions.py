"""The py-code-mode sessions of one MCP server: one per MCP session, or one shared by all.

An MCP session is a client's conversation with the server, so its Python variables must be
its own: two clients of one HTTP server never see each other's state. What lasts (skills,
artifacts, deps, tools) lives in the storage, which every session shares.

Three kinds of caller reach the pool:
- a connection that is the server's only one (stdio; the SDK's in-memory transport), and
  every client when the server is told to share (`shared=True`): the *shared* session;
- a handshake-era HTTP client, named by its `Mcp-Session-Id`: its own session, made at
  its first call and closed when the client ends the MCP session or it sits idle;
- a sessionless client (protocol 2026-07-28 over HTTP has no session at all): a fresh
  session for the one call, closed after it.

Each session is a worker process, so their number is capped. The shared session also
serves every tool listing: listings come from the storage, the same for every session.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Final

import anyio
from anyio.abc import TaskGroup
from py_code_mode import Session, Toolkit, ToolkitOptions
from py_code_mode.errors import CodeModeError

__all__ = ["SHARED", "AtCapacityError", "Lease", "SessionPool"]

logger = logging.getLogger(__name__)

SHARED: Final = object()
"""The key of the shared session: the only connection's, or everyone's when shared."""

CLOSE_TIMEOUT = 30.0
"""Seconds a session may take to close before it is abandoned (its worker is killed)."""

_FORGOTTEN_EXPIRIES = 1024
"""How many expired MCP session ids are remembered, to explain the loss to a return."""


class AtCapacityError(Exception):
    """Every allowed session is in use; the message says so for the model to read."""


@dataclass(frozen=True)
class Lease:
    """A session lent to one call, and a note to put before its output (or None)."""

    toolkit: Toolkit
    note: str | None = None


@dataclass
class _Entry:
    toolkit: Toolkit
    last_used: float
    busy: int = 0


@dataclass
class SessionPool:
    """The sessions of one server lifespan; `running()` owns their lifetimes.

    Args:
        make_session: Makes a session (not started); called once per session.
        options: The toolkit options every session is offered with.
        shared: Every caller uses the shared session (one user, several clients).
        max_sessions: The most sessions of their own (per-client and one-call sessions)
            alive at once; None for no limit. The shared session does not count.
        idle_timeout: Seconds without a call after which a client's session is closed;
            None keeps it until the client ends its MCP session.
    """

    make_session: Callable[[], Session]
    options: ToolkitOptions
    shared: bool = False
    max_sessions: int | None = None
    idle_timeout: float | None = None
    _shared: Toolkit | None = field(default=None, init=False)
    _sessionless_listing: Toolkit | None = field(default=None, init=False)
    _sessions: dict[str, _Entry] = field(default_factory=dict, init=False)
    _one_call: int = field(default=0, init=False)
    _expired: OrderedDict[str, float] = field(default_factory=OrderedDict, init=False)
    _group: TaskGroup | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.max_sessions is not None and (
            isinstance(self.max_sessions, bool)
            or not isinstance(self.max_sessions, int)
            or self.max_sessions < 1
        ):
            raise ValueError(
                f"max_sessions must be a positive whole number or None, got {self.max_sessions!r}"
            )
        idle = self.idle_timeout
        if idle is not None and (
            isinstance(idle, bool)
            or not isinstance(idle, int | float)
            or not (math.isfinite(idle) and idle > 0)
        ):
            raise ValueError(
                f"idle_timeout must be a positive number of seconds or None, got {idle!r}"
            )

    # --- lifetime ------------------------------------------------------------------------

    @asynccontextmanager
    async def running(self) -> AsyncIterator[SessionPool]:
        """Start the shared session, expire idle ones while open, close them all at the end.

        A shared session that cannot start is logged and does not stop the server: every
        call then reports why, and the next one tries again.
        """
        shared = self._shared_toolkit()
        try:
            await shared.session.start()
        except CodeModeError as exc:  # the server stays up, and each call reports it
            logger.error("the py-code-mode session did not start: %s", exc)
        except Exception:  # top level: as above, but this one is a bug worth a traceback
            logger.exception("the py-code-mode session did not start")
        try:
            async with anyio.create_task_group() as group:
                self._group = group
                if self.idle_timeout is not None:
                    group.start_soon(self._expire_idle, self.idle_timeout)
                try:
                    yield self
                finally:
                    group.cancel_scope.cancel()
        finally:
            self._group = None
            sessions = [entry.toolkit for entry in self._sessions.values()]
            self._sessions.clear()
            with anyio.CancelScope(shield=True):
                async with anyio.create_task_group() as closing:
                    for toolkit in (shared, *sessions):
                        closing.start_soon(_close, toolkit)

    def _shared_toolkit(self) -> Toolkit:
        if self._shared is None:
            self._shared = Toolkit(self.make_session(), self.options)
        return self._shared

    @property
    def listing(self) -> Toolkit:
        """The toolkit whose listing clients with a session of their own are shown."""
        return self._shared_toolkit()

    @property
    def sessionless_listing(self) -> Toolkit:
        """The listing for sessionless clients.

        The same tools, with a run_code that says its variables do not outlive the call.
        """
        if self.shared:
            return self.listing
        if self._sessionless_listing is None:
            options = replace(self.options, persistent=False)
            self._sessionless_listing = Toolkit(self.listing.session, options)
        return self._sessionless_listing

    # --- lending -------------------------------------------------------------------------

    @asynccontextmanager
    async def lease(self, key: object) -> AsyncIterator[Lease]:
        """The session for a call from `key`: SHARED, an MCP session id, or None (one call).

        Raises:
            AtCapacityError: A new session is needed and `max_sessions` are alive.
        """
        if key is SHARED or self.shared:
            yield Lease(self._shared_toolkit())
        elif key is None:
            async with self._one_call_session() as toolkit:
                yield Lease(toolkit)
        else:
            assert isinstance(key, str)
            entry, note = self._session_for(key)
            entry.busy += 1
            try:
                yield Lease(entry.toolkit, note)
            finally:
                entry.busy -= 1
                entry.last_used = anyio.current_time()

    def _session_for(self, key: str) -> tuple[_Entry, str | None]:
        entry = self._sessions.get(key)
        if entry is not None:
            return entry, None
        self._check_room()
        entry = _Entry(Toolkit(self.make_session(), self.options), anyio.current_time())
        self._sessions[key] = entry
        idle = self._expired.pop(key, None)
        note = None
        if idle is not None:
            note = (
                f"Note: this client's Python session was closed after {idle:g} s without a "
                "call, so the variables it had are gone; this call ran in a new session."
            )
        return entry, note

    @asynccontextmanager
    async def _one_call_session(self) -> AsyncIterator[Toolkit]:
        self._check_room()
        self._one_call += 1
        toolkit = Toolkit(self.make_session(), replace(self.options, persistent=False))
        try:
            yield toolkit
        finally:
            self._one_call -= 1
            await _close(toolkit)

    def _check_room(self) -> None:
        limit = self.max_sessions
        if limit is not None and len(self._sessions) + self._one_call >= limit:
            idle = (
                f"; a client's session ends when it disconnects or after {self.idle_timeout:g} s "
                "without a call"
                if self.idle_timeout is not None
                else "; a client's session ends when it disconnects"
            )
            raise AtCapacityError(
                f"The server runs at most {limit} Python session{'s' if limit != 1 else ''} at "
                f"once and all are in use{idle}. Try again later."
            )

    # --- ending --------------------------------------------------------------------------

    async def end(self, key: str) -> None:
        """The client ended MCP session `key`: close its Python session, if it has one."""
        entry = self._sessions.pop(key, None)
        if entry is not None:
            self._spawn_close(entry.toolkit)

    async def _expire_idle(self, idle: float) -> None:
        while True:
            await anyio.sleep(min(max(idle / 4, 0.05), 30.0))
            now = anyio.current_time()
            for key, entry in list(self._sessions.items()):
                if entry.busy == 0 and now - entry.last_used >= idle:
                    del self._sessions[key]
                    self._expired[key] = idle
                    while len(self._expired) > _FORGOTTEN_EXPIRIES:
                        self._expired.popitem(last=False)
                    logger.info("closing the Python session of idle MCP session %s", key[:16])
                    self._spawn_close(entry.toolkit)

    def _spawn_close(self, toolkit: Toolkit) -> None:
        if self._group is not None:
            self._group.start_soon(_close, toolkit)


async def _close(toolkit: Toolkit) -> None:
    """Close a session within CLOSE_TIMEOUT, even while the caller is being cancelled."""
    with anyio.move_on_after(CLOSE_TIMEOUT, shield=True):
        try:
            await toolkit.session.close()
        except Exception:  # top level: one session failing to close must not stop the rest
            logger.exception("a py-code-mode session did not close cleanly")
