"""The MCP server: the `Toolkit` catalogue translated into MCP tools, on the SDK's low-level server.

The low-level `Server` is used rather than `MCPServer` because our tools already have their
names, descriptions and JSON schemas (`AgentTool.json_schema()`); `MCPServer` derives those
from Python signatures, which would be a second description of the same tools.

Sessions come from a `SessionPool` per server lifespan (`_sessions.py`): the connection's
one session over stdio, and over HTTP one per MCP session. A session that cannot start
does not stop the server: every call then reports why, as a tool error the model and the
user can read.

The skill library is also served as MCP skills, the Skills extension
(`io.modelcontextprotocol/skills`, `_skills.py`): `skills/list`, `skills/get`, and each
skill's files as `skill://` resources. The SDK has no support for the extension, but its
low-level server routes any method that has a handler (`Server.add_request_handler`) and
advertises `Server.extensions` under `capabilities.extensions`, the same two hooks its
`MCPServer` uses to apply an `Extension`; those are the ones used here.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

import anyio
import mcp_types as types
from mcp.server import NotificationOptions, Server, ServerRequestContext
from mcp.server.caching import CacheHint
from mcp.server.models import InitializationOptions
from mcp.server.streamable_http import MCP_SESSION_ID_HEADER
from mcp.server.subscriptions import (
    InMemorySubscriptionBus,
    ListenHandler,
    ResourcesListChanged,
    ToolsListChanged,
)
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from py_code_mode import AgentTool, Session, Toolkit, ToolkitOptions, ToolOutput
from py_code_mode.errors import CodeModeError

from py_code_mode_mcp._output import OutputRelay
from py_code_mode_mcp._sessions import SHARED, AtCapacityError, SessionPool
from py_code_mode_mcp._skills import EXTENSION, GetSkillParams, SkillCatalog

__all__ = ["DEFAULT_IDLE_TIMEOUT", "DEFAULT_MAX_SESSIONS", "CodeModeServer", "create_server"]

logger = logging.getLogger(__name__)

SERVER_NAME = "py-code-mode"

DEFAULT_MAX_SESSIONS = 16
"""Clients with a session of their own at once; each session is a worker process."""

DEFAULT_IDLE_TIMEOUT = 30 * 60.0
"""Seconds without a request before a client's session ends (the SDK's own default)."""


class CodeModeServer(Server[SessionPool]):
    """The SDK's low-level server, with py-code-mode's sessions.

    It advertises `tools.listChanged` and `resources.listChanged` on every transport: the
    stdio runner takes initialization options from its caller, but the streamable HTTP
    manager asks the server for its defaults, so the default is where this belongs.
    """

    def __init__(self, handlers: _Handlers, name: str) -> None:
        super().__init__(
            name,
            version=version("py-code-mode"),
            lifespan=handlers.lifespan,
            get_tool_input_schema=handlers.input_schema,
            # The run_code description lists the skills, so a listing is stale at once.
            cache_hints={
                "tools/list": CacheHint(ttl_ms=0, scope="private"),
                "resources/list": CacheHint(ttl_ms=0, scope="private"),
                "resources/read": CacheHint(ttl_ms=0, scope="private"),
            },
            on_list_tools=handlers.list_tools,
            on_call_tool=handlers.call_tool,
            on_list_resources=handlers.list_resources,
            on_read_resource=handlers.read_resource,
            on_subscriptions_listen=handlers.listen,
        )
        self._handlers = handlers
        # The Skills extension: its two methods, and its (empty) settings, which also say
        # that `resources/directory/read` is not served.
        self.add_request_handler("skills/list", types.PaginatedRequestParams, handlers.list_skills)
        self.add_request_handler("skills/get", GetSkillParams, handlers.get_skill)
        self.extensions[EXTENSION] = {}

    @property
    def max_sessions(self) -> int | None:
        """The most clients with a session of their own at once (None: no limit)."""
        return self._handlers.max_sessions

    @property
    def idle_timeout(self) -> float | None:
        """Seconds without a call after which a client's session ends (None: never)."""
        return self._handlers.idle_timeout

    async def end_session(self, session_id: str) -> None:
        """The client ended MCP session `session_id`; its Python session goes too."""
        await self._handlers.end_session(session_id)

    def create_initialization_options(
        self,
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
    ) -> InitializationOptions:
        return super().create_initialization_options(
            notification_options or NotificationOptions(tools_changed=True, resources_changed=True),
            experimental_capabilities,
            extensions,
        )

    def get_capabilities(
        self,
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
        *,
        protocol_version: str | None = None,
    ) -> types.ServerCapabilities:
        capabilities = super().get_capabilities(
            notification_options,
            experimental_capabilities,
            extensions,
            protocol_version=protocol_version,
        )
        # On 2026-07-28 the SDK claims `resources.subscribe` whenever it serves
        # subscriptions/listen (ours is for list changes). No resource is ever announced
        # as updated on its own: a skill changes as a whole, announced as a changed list.
        resources = capabilities.resources
        if resources is not None and resources.subscribe:
            resources = resources.model_copy(update={"subscribe": False})
            capabilities = capabilities.model_copy(update={"resources": resources})
        return capabilities


@dataclass
class _Handlers:
    """The server's lifespan and request handlers, over one `SessionPool` per lifespan."""

    make_session: Callable[[], Session]
    options: ToolkitOptions
    shared: bool
    max_sessions: int | None
    idle_timeout: float | None
    # Tool-list changes reach 2026-07-28 clients through `subscriptions/listen` streams,
    # and earlier clients through `notifications/tools/list_changed`.
    _bus: InMemorySubscriptionBus = field(default_factory=InMemorySubscriptionBus, init=False)
    listen: ListenHandler = field(init=False)
    _pool: SessionPool | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.listen = ListenHandler(self._bus)
        # Made once here so that bad limits fail when the server is created.
        self._new_pool()

    def _new_pool(self) -> SessionPool:
        return SessionPool(
            self.make_session,
            self.options,
            shared=self.shared,
            max_sessions=self.max_sessions,
            idle_timeout=self.idle_timeout,
        )

    @asynccontextmanager
    async def lifespan(self, server: Server[SessionPool]) -> AsyncIterator[SessionPool]:
        try:
            async with self._new_pool().running() as pool:
                self._pool = pool
                try:
                    yield pool
                finally:
                    self._pool = None
        finally:
            self.listen.close()

    async def end_session(self, session_id: str) -> None:
        if self._pool is not None:
            await self._pool.end(session_id)

    def input_schema(self, name: str) -> dict[str, Any] | None:
        """A tool's argument schema, for the SDK's `Mcp-Param-*` header checks (2026-07-28)."""
        pool = self._pool
        if pool is None:
            return None
        try:
            return pool.listing.get(name).json_schema()
        except KeyError:
            return None

    async def list_tools(
        self, ctx: ServerRequestContext[SessionPool], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        pool = ctx.lifespan_context
        toolkit = pool.sessionless_listing if _key(ctx) is None else pool.listing
        try:
            # Always re-read: skills may have changed through run_code, or through another
            # process sharing the storage, and the run_code description lists them.
            await toolkit.refresh()
        except CodeModeError as exc:
            logger.warning("serving the tool list without a fresh skill listing: %s", exc)
        except Exception:  # top level: a stale description beats a failed listing
            logger.exception("serving the tool list without a fresh skill listing")
        return types.ListToolsResult(tools=[_mcp_tool(tool) for tool in toolkit.tools])

    async def list_skills(
        self, ctx: ServerRequestContext[SessionPool], params: types.PaginatedRequestParams
    ) -> dict[str, Any]:
        return await _catalog(ctx).list_skills(params.cursor)

    async def get_skill(
        self, ctx: ServerRequestContext[SessionPool], params: GetSkillParams
    ) -> dict[str, Any]:
        return await _catalog(ctx).get_skill(params.uri)

    async def list_resources(
        self, ctx: ServerRequestContext[SessionPool], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        return await _catalog(ctx).list_resources(params.cursor if params else None)

    async def read_resource(
        self, ctx: ServerRequestContext[SessionPool], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        return await _catalog(ctx).read(params.uri)

    async def call_tool(
        self, ctx: ServerRequestContext[SessionPool], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        try:
            async with ctx.lifespan_context.lease(_key(ctx)) as lease:
                output = await self._call(ctx, lease.toolkit, params)
        except AtCapacityError as exc:
            output = ToolOutput(str(exc), is_error=True)
        else:
            if lease.note is not None:
                output = ToolOutput(f"{lease.note}\n\n{output.text}", output.data, output.is_error)
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=output.text)],
            structured_content=_structured(output),
            is_error=output.is_error,
        )

    async def _call(
        self,
        ctx: ServerRequestContext[SessionPool],
        toolkit: Toolkit,
        params: types.CallToolRequestParams,
    ) -> ToolOutput:
        changes = toolkit.changes
        relay = OutputRelay(ctx.session)
        async with anyio.create_task_group() as group:
            group.start_soon(relay.forward)
            try:
                output = await _call(toolkit, params, relay)
            finally:
                relay.close()  # the relay sends what is queued, so output precedes the result
        # The toolkit compares the storage's revision around every call that can write, so a
        # skill made inside run_code, or by another server on the same storage, counts too.
        if toolkit.changes != changes:
            await self._announce_changes(ctx)
        return output

    async def _announce_changes(self, ctx: ServerRequestContext[SessionPool]) -> None:
        """The tool list changed (run_code lists the skills), and so did the skill files.

        The Skills extension defines no notification of its own: a skill's files are
        resources, so the resource list changing is how a client hears of new skills.
        """
        try:
            await self._bus.publish(ToolsListChanged())
            await self._bus.publish(ResourcesListChanged())
            if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
                await ctx.session.send_tool_list_changed()
                await ctx.session.send_resource_list_changed()
        except Exception:  # top level: a missed hint must not fail a call that succeeded
            logger.exception("could not announce the changed tool and resource lists")


def _catalog(ctx: ServerRequestContext[SessionPool]) -> SkillCatalog:
    """The skills every client is served: the storage's, read through the shared session."""
    return SkillCatalog(ctx.lifespan_context.listing)


def _key(ctx: ServerRequestContext[SessionPool]) -> object:
    """Whose session a request uses: SHARED, an MCP session id, or None for one call.

    Without an HTTP request the connection is the lifespan's only one (stdio, in memory).
    Over HTTP, on a handshake-era request, the SDK's session manager has already checked
    that its `Mcp-Session-Id` names a live session opened with the same credentials (else
    404), so the id is the key, as the SDK's migration guide advises. A 2026-07-28 request
    is sessionless and skips those checks, so any id it carries proves nothing.
    """
    request = ctx.request
    if request is None:
        return SHARED
    if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
        return None
    headers = getattr(request, "headers", None)
    session_id = headers.get(MCP_SESSION_ID_HEADER) if headers is not None else None
    return session_id if isinstance(session_id, str) and session_id else None


async def _call(
    toolkit: Toolkit, params: types.CallToolRequestParams, relay: OutputRelay
) -> ToolOutput:
    try:
        return await toolkit.call(params.name, params.arguments, on_output=relay)
    except Exception as exc:  # top level: a bug below must reach the model, not crash the server
        logger.exception("tool %r raised", params.name)
        return ToolOutput(
            f"{params.name} failed inside the server ({type(exc).__name__}: {exc}); the "
            "server logged the details. The session is still usable; try again or another way.",
            is_error=True,
        )


def _structured(output: ToolOutput) -> dict[str, Any] | None:
    """The result as data for clients that read `structuredContent`; the text stays too.

    MCP wants an object: a list or a single value goes under ``result``. run_code's result
    is its text (its `data` is None), so it has none.
    """
    if output.is_error or output.data is None:
        return None
    return output.data if isinstance(output.data, dict) else {"result": output.data}


def _mcp_tool(tool: AgentTool) -> types.Tool:
    return types.Tool(
        name=tool.name,
        description=tool.description,
        input_schema=tool.json_schema(),
        annotations=types.ToolAnnotations(
            read_only_hint=tool.read_only,
            destructive_hint=None if tool.read_only else tool.destructive,
        ),
    )


def create_server(
    make_session: Callable[[], Session],
    options: ToolkitOptions | None = None,
    *,
    name: str = SERVER_NAME,
    shared_session: bool = False,
    max_sessions: int | None = DEFAULT_MAX_SESSIONS,
    idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
) -> CodeModeServer:
    """An MCP server offering the py-code-mode tools of `Toolkit`.

    Over stdio (and the SDK's in-memory transport) the connection has one session. Over
    streamable HTTP each MCP session gets its own, so clients never see each other's
    variables; a sessionless client (protocol 2026-07-28) gets a fresh session per call.
    Skills, artifacts, deps and tools live in the storage and are shared by all.

    Args:
        make_session: Makes a session, not yet started; called once per session, each of
            which the server starts and closes. Give each its own storage object on the
            same workspace or Redis prefix.
        options: Which tools to offer and how much text they return (e.g.
            `ToolkitOptions.read_only()`).
        name: The server name clients show.
        shared_session: Over HTTP, give every client the same session: for one user with
            several clients.
        max_sessions: Over HTTP, the most sessions of their own alive at once (each is a
            worker); a client beyond it is refused (HTTP 503, or a tool error for a
            sessionless call). None for no limit.
        idle_timeout: Over HTTP, seconds without a request after which a client's session
            is closed; None keeps it until the client ends it.

    Returns:
        The SDK's low-level server; run it with `mcp.server.stdio.stdio_server` and
        `server.run(...)`, or serve `server.streamable_http_app()` over HTTP.
    """
    if not callable(make_session):
        raise TypeError(
            "make_session must be a callable that returns a py_code_mode.Session, e.g. "
            "lambda: Session.from_base('./workspace')"
        )
    if options is not None and not isinstance(options, ToolkitOptions):
        raise TypeError(f"options must be ToolkitOptions, got {type(options).__name__}")
    handlers = _Handlers(
        make_session, options or ToolkitOptions(), shared_session, max_sessions, idle_timeout
    )
    return CodeModeServer(handlers, name)
