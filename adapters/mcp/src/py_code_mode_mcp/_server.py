"""The MCP server: the `Toolkit` catalogue translated into MCP tools, on the SDK's low-level server.

The low-level `Server` is used rather than `MCPServer` because our tools already have their
names, descriptions and JSON schemas (`AgentTool.json_schema()`); `MCPServer` derives those
from Python signatures, which would be a second description of the same tools.

Each server owns one py-code-mode Session through its lifespan: made and started when the
server starts (stdio: when the connection opens; HTTP: when the app starts, shared by every
client), closed when it stops. A session that cannot start is logged and does not stop
the server: every call then reports why, as a tool error the model and the user can read.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import Any

import anyio
import mcp_types as types
from mcp.server import NotificationOptions, Server, ServerRequestContext
from mcp.server.caching import CacheHint
from mcp.server.models import InitializationOptions
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, ToolsListChanged
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from py_code_mode import AgentTool, Session, Toolkit, ToolkitOptions, ToolOutput
from py_code_mode.errors import CodeModeError

from py_code_mode_mcp._output import OutputRelay

__all__ = ["create_server"]

logger = logging.getLogger(__name__)

SERVER_NAME = "py-code-mode"

_CLOSE_TIMEOUT = 30.0
"""Seconds the session may take to close at shutdown before it is abandoned."""


class _CodeModeServer(Server[Toolkit]):
    """The SDK's server, advertising `tools.listChanged` on every transport.

    The stdio runner takes initialization options from its caller, but the streamable
    HTTP manager asks the server for its defaults, so the default is where this belongs.
    """

    def create_initialization_options(
        self,
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
    ) -> InitializationOptions:
        return super().create_initialization_options(
            notification_options or NotificationOptions(tools_changed=True),
            experimental_capabilities,
            extensions,
        )


class _Handlers:
    """The server's lifespan and request handlers, sharing one toolkit per lifespan."""

    def __init__(self, make_session: Callable[[], Session], options: ToolkitOptions | None):
        self._make_session = make_session
        self._options = options
        self._toolkit: Toolkit | None = None
        # Tool-list changes reach 2026-07-28 clients through `subscriptions/listen`
        # streams, and earlier clients through `notifications/tools/list_changed`.
        self._bus = InMemorySubscriptionBus()
        self.listen = ListenHandler(self._bus)

    @asynccontextmanager
    async def lifespan(self, server: Server[Toolkit]) -> AsyncIterator[Toolkit]:
        session = self._make_session()
        toolkit = Toolkit(session, self._options)
        try:
            try:
                await session.start()
            except CodeModeError as exc:  # the server stays up, and each call reports it
                logger.error("the py-code-mode session did not start: %s", exc)
            except Exception:  # top level: as above, but this one is a bug worth a traceback
                logger.exception("the py-code-mode session did not start")
            self._toolkit = toolkit
            yield toolkit
        finally:
            self._toolkit = None
            self.listen.close()
            with anyio.move_on_after(_CLOSE_TIMEOUT, shield=True):
                await session.close()

    def input_schema(self, name: str) -> dict[str, Any] | None:
        """A tool's argument schema, for the SDK's `Mcp-Param-*` header checks (2026-07-28)."""
        toolkit = self._toolkit
        if toolkit is None:
            return None
        try:
            return toolkit.get(name).json_schema()
        except KeyError:
            return None

    async def list_tools(
        self, ctx: ServerRequestContext[Toolkit], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        toolkit = ctx.lifespan_context
        try:
            # Always re-read: skills may have changed through run_code, or through another
            # process sharing the storage, and the run_code description lists them.
            await toolkit.refresh()
        except CodeModeError as exc:
            logger.warning("serving the tool list without a fresh skill listing: %s", exc)
        except Exception:  # top level: a stale description beats a failed listing
            logger.exception("serving the tool list without a fresh skill listing")
        return types.ListToolsResult(tools=[_mcp_tool(tool) for tool in toolkit.tools])

    async def call_tool(
        self, ctx: ServerRequestContext[Toolkit], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        toolkit = ctx.lifespan_context
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
            await self._announce_tools_changed(ctx)
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=output.text)], is_error=output.is_error
        )

    async def _announce_tools_changed(self, ctx: ServerRequestContext[Toolkit]) -> None:
        try:
            await self._bus.publish(ToolsListChanged())
            if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
                await ctx.session.send_tool_list_changed()
        except Exception:  # top level: a missed hint must not fail a call that succeeded
            logger.exception("could not announce the changed tool list")


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


def _mcp_tool(tool: AgentTool) -> types.Tool:
    return types.Tool(
        name=tool.name,
        description=tool.description,
        input_schema=tool.json_schema(),
        annotations=types.ToolAnnotations(read_only_hint=tool.read_only),
    )


def create_server(
    make_session: Callable[[], Session],
    options: ToolkitOptions | None = None,
    *,
    name: str = SERVER_NAME,
) -> Server[Toolkit]:
    """An MCP server offering the py-code-mode tools of `Toolkit`.

    Args:
        make_session: Makes the session the server works on; called once per server
            lifespan (stdio: per connection; streamable HTTP: once, shared by all clients),
            which starts the session and closes it at the end.
        options: Which tools to offer and how much text they return (e.g.
            `ToolkitOptions.read_only()`).
        name: The server name clients show.

    Returns:
        The SDK's low-level server; run it with `mcp.server.stdio.stdio_server` and
        `server.run(...)`, or serve `server.streamable_http_app()` over HTTP.
    """
    if not callable(make_session):
        raise TypeError(
            "make_session must be a callable that returns a py_code_mode.Session, e.g. "
            "lambda: Session.from_base('./workspace')"
        )
    handlers = _Handlers(make_session, options)
    return _CodeModeServer(
        name,
        version=version("py-code-mode-mcp"),
        lifespan=handlers.lifespan,
        get_tool_input_schema=handlers.input_schema,
        # The run_code description lists the skills, so a listing is stale at once.
        cache_hints={"tools/list": CacheHint(ttl_ms=0, scope="private")},
        on_list_tools=handlers.list_tools,
        on_call_tool=handlers.call_tool,
        on_subscriptions_listen=handlers.listen,
    )
