"""MCP servers as tools: each server tool is `tools.<server>.<tool>(**kw)`, run on the host.

A `type: mcp` definition names a server (a command over stdio, or a streamable HTTP URL).
The official `mcp` client talks to it; agent code never does, so credentials and
connections stay on the host and a sandboxed worker still reaches the server.

- The connection opens at first use (a call, or a listing) and stays open for the session.
  If the server fails to start, the tool is listed with that error and the session and
  the other tools go on; the next call tries again.
- A server that exits between calls is started again by the next call. One that exits
  during a call fails that call, saying so, and the next call starts it again.
- Arguments are checked against the tool's `inputSchema` (jsonschema) before they are sent.
- Results come back as Python data: `structuredContent` as it is, a single text as `str`
  (parsed when the tool declares an output schema and the text is JSON), images, audio and
  resources as small dicts with their data. An error result raises `ToolFailedError` with
  the server's message.

anyio ties a transport's cancel scopes to the task that entered it, so each connection is
owned by a task of its own, which enters the client, waits to be told to stop, and exits
it; calls from any task use the client in between.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from py_code_mode import _names
from py_code_mode._process import Bounded
from py_code_mode._tools._hostvars import Resolved, resolve
from py_code_mode._tools._spec import DEFAULT_TIMEOUT, MCPToolSpec
from py_code_mode._tools.base import (
    LateTool,
    argument_validator,
    callable_dict,
    check_arguments,
    pick,
    python_names,
)
from py_code_mode.errors import ToolFailedError

if TYPE_CHECKING:
    from jsonschema.protocols import Validator
    from mcp import Client, ClientSession
    from mcp.types import CallToolResult

__all__ = ["MCP_MISSING", "MCPTool", "MCPTools"]

MCP_MISSING = (
    "MCP tools need the official mcp package, which is not installed: "
    "pip install 'py-code-mode[mcp]'"
)

_STDERR_TAIL = 4000
"""Characters of a server's stderr (its end) shown when it fails to start or exits."""

_MAX_MESSAGE = 4000
"""Characters of a server's error message kept in `ToolFailedError`."""

_MAX_PAGES = 100
"""Pages of `tools/list` read at most: a server that pages forever is cut off."""


@dataclass(frozen=True)
class _Function:
    """One server tool, as agent code calls it."""

    name: str
    remote: str
    description: str
    input_schema: dict[str, Any]
    structured: bool
    validator: Validator | None


class MCPTools:
    """An MCP client you already have open, offered to agent code: `tools.<name>.<tool>()`.

    For `Session(tools=[MCPTools("web", client)])`: the server's tools become callables,
    checked and converted as for a `type: mcp` definition, but the connection is yours: it
    is not opened, restarted or closed by the session.

    Args:
        name: `tools.<name>` in agent code.
        client: An entered `mcp.Client`, or an initialised `mcp.ClientSession`.
        description: What the server is for.
        tags: Words that help `tools.search` find it.
        timeout: Seconds each call may take.

    Raises:
        InvalidNameError: The name is not allowed.
        TypeError: `client` is not an MCP client.
    """

    def __init__(
        self,
        name: str,
        client: Any,
        *,
        description: str = "",
        tags: Sequence[str] = (),
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if not callable(getattr(client, "call_tool", None)) or not callable(
            getattr(client, "list_tools", None)
        ):
            raise TypeError(
                f"MCPTools needs an mcp.Client or mcp.ClientSession, got {type(client).__name__}"
            )
        self.name = _names.tool_name(name)
        self.client = client
        self.spec = MCPToolSpec.model_validate(
            {"name": self.name, "type": "mcp", "command": "(attached)", "description": description,
             "tags": list(tags), "timeout": timeout}
        )  # fmt: skip

    def tool(self) -> MCPTool:
        """The registry's tool for this client."""
        return MCPTool(self.spec, f"the session's tools= (MCPTools {self.name!r})", attached=self)


class MCPTool(LateTool):
    """An MCP server as a `Tool`; its tools are the callables.

    Args:
        spec: The checked definition.
        source: Its file, named in errors.
        cwd: Where a stdio server runs; None for the host process's directory.
        attached: A client the caller owns, used instead of starting the server.
    """

    kind = "MCP"
    _spec: MCPToolSpec

    def __init__(
        self,
        spec: MCPToolSpec,
        source: str,
        cwd: Path | None = None,
        *,
        attached: MCPTools | None = None,
    ) -> None:
        super().__init__(spec, source)
        self._cwd = cwd
        self._attached = attached
        self._connection: _Connection | None = None
        self._functions: dict[str, _Function] = {}

    @property
    def description(self) -> str:
        return self._spec.description or f"Tools of the MCP server {self.name!r}"

    def _entry(self, item: Any, *, schemas: bool) -> dict[str, Any]:
        returns = "dict" if item.structured else "Any"
        return callable_dict(
            item.name, item.description, item.input_schema, returns, schemas=schemas
        )

    async def call(self, function: str | None, args: Mapping[str, Any]) -> Any:
        """Call one server tool with keyword arguments checked against its `inputSchema`."""
        functions = await self._ready(retry=True)
        chosen, where = pick(self.name, functions, function, args)
        check_arguments(where, chosen.validator, args)
        connection = self._connection
        assert connection is not None
        try:
            result = await connection.call(chosen.remote, dict(args), self._spec.timeout)
        except _Ended as exc:
            raise ToolFailedError(
                f"MCP server {self.name!r} stopped during {where}(): {exc}; the next call "
                "starts it again"
            ) from None
        return _value(where, chosen, result)

    async def aclose(self) -> None:
        """Close the connection (a stdio server is stopped); the next use opens a new one."""
        async with self._lock:
            connection, self._connection = self._connection, None
            if connection is not None:
                await connection.close()

    async def _ready(self, *, retry: bool) -> dict[str, _Function]:
        """The server's tools, over an open connection, opening one if needed.

        Args:
            retry: Start a server whose last start failed (a call); a listing reports the
                failure instead, so listing never waits on a broken server twice.
        """
        async with self._lock:
            if self._connection is not None and not self._connection.ended:
                return self._functions
            if self._connection is not None and self._attached is not None:
                raise ToolFailedError(
                    f"the MCP client given as tools.{self.name} has closed its connection; "
                    "the session cannot reopen a client it does not own"
                )
            if self._connection is not None:  # the server exited: start it again
                await self._connection.close()
                self._connection = None
            elif self._failure is not None and not retry:
                raise ToolFailedError(self._failure)
            try:
                if self._attached is not None:
                    connection = _Connection.attach(self._spec, self._source, self._attached)
                else:
                    connection = await _Connection.open(self._spec, self._source, self._cwd)
            except ToolFailedError as exc:
                self._failure = str(exc)
                raise
            try:
                self._functions = await connection.functions(self._spec.timeout)
            except BaseException:
                await connection.close()
                raise
            self._connection, self._failure = connection, None
            return self._functions


class _Ended(Exception):
    """The connection ended under a call."""


class _Connection:
    """One open client, owned by a task of its own (see the module's docstring)."""

    def __init__(self, name: str, source: str) -> None:
        self._name = name
        self._source = source
        self._stop = asyncio.Event()
        self._ended = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._client: Client | ClientSession | None = None
        self._stderr: _StderrTail | None = None
        self._secrets: list[str] = []

    @property
    def ended(self) -> bool:
        """The server closed the connection (a stdio server exited) or a call broke it."""
        return self._ended.is_set()

    @classmethod
    def attach(cls, spec: MCPToolSpec, source: str, given: MCPTools) -> _Connection:
        """A connection over a client the caller owns: nothing to start or to close."""
        connection = cls(spec.name, source)
        connection._client = given.client
        return connection

    @classmethod
    async def open(cls, spec: MCPToolSpec, source: str, cwd: Path | None) -> _Connection:
        """Start the server (stdio) or reach it (http), and complete MCP's handshake.

        Raises:
            ToolFailedError: `mcp` is not installed, a host variable is missing, or the
                server did not start or answer within the definition's `timeout`.
        """
        try:
            import mcp  # noqa: F401
        except ImportError:
            raise ToolFailedError(f"{MCP_MISSING} (for {source})") from None
        connection = cls(spec.name, source)
        ready: asyncio.Future[Client] = asyncio.get_running_loop().create_future()
        connection._task = asyncio.create_task(
            connection._own(spec, cwd, ready), name=f"mcp-{spec.name}"
        )
        try:
            connection._client = await asyncio.wait_for(asyncio.shield(ready), spec.startup_timeout)
        except TimeoutError:
            await connection.close()
            raise ToolFailedError(
                connection._explain(
                    f"MCP server {spec.name!r} did not answer within {spec.startup_timeout:g}s "
                    f"of starting; raise `startup_timeout` in {source} if it needs longer"
                )
            ) from None
        except ToolFailedError:
            await connection.close()
            raise
        except BaseException as exc:
            await connection.close()
            if not isinstance(exc, Exception):
                raise
            raise ToolFailedError(connection._not_started(spec, exc)) from None
        return connection

    async def _own(
        self, spec: MCPToolSpec, cwd: Path | None, ready: asyncio.Future[Client]
    ) -> None:
        from mcp import Client
        from mcp.types import Implementation

        try:
            async with AsyncExitStack() as stack:
                transport = await self._transport(spec, cwd, stack)
                client = Client(
                    _watched(transport, self._ended),
                    read_timeout_seconds=spec.timeout,
                    client_info=Implementation(name="py-code-mode", version="0.1.0"),
                    cache=None,
                )
                await stack.enter_async_context(client)
                if self._stderr is not None:
                    self._stderr.spawned()
                ready.set_result(client)
                await self._stop.wait()
        except BaseException as exc:
            self._ended.set()
            if not ready.done():
                if isinstance(exc, asyncio.CancelledError):
                    ready.cancel()
                else:
                    ready.set_exception(exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
        finally:
            self._ended.set()

    async def _transport(self, spec: MCPToolSpec, cwd: Path | None, stack: AsyncExitStack) -> Any:
        if spec.transport == "stdio":
            from mcp.client.stdio import StdioServerParameters, stdio_client

            env = resolve(spec.env, tool=spec.name, source=self._source, key="env")
            self._secrets = env.secrets
            assert spec.command is not None
            self._stderr = _StderrTail()
            stack.callback(self._stderr.close)
            parameters = StdioServerParameters(
                command=spec.command, args=list(spec.args), env=dict(env), cwd=cwd
            )
            return stdio_client(parameters, errlog=self._stderr.writer)
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        headers: Resolved = resolve(
            spec.headers, tool=spec.name, source=self._source, key="headers"
        )
        self._secrets = headers.secrets
        http = await stack.enter_async_context(
            httpx2.AsyncClient(
                headers=dict(headers), timeout=httpx2.Timeout(spec.timeout, read=spec.timeout)
            )
        )
        assert spec.url is not None
        return streamable_http_client(spec.url, http_client=http)

    async def functions(self, timeout: float) -> dict[str, _Function]:
        """The server's tools by their Python names, every page of `tools/list`."""
        assert self._client is not None
        listed: list[Any] = []
        cursor: str | None = None
        try:
            async with asyncio.timeout(timeout):  # a server that pages slowly forever
                for _ in range(_MAX_PAGES):
                    page = await _list_page(self._client, cursor)
                    listed += page.tools
                    cursor = page.next_cursor
                    if cursor is None:
                        break
        except Exception as exc:  # noqa: BLE001 - whatever broke, the tool says so and waits
            raise ToolFailedError(
                self._explain(f"MCP server {self._name!r} could not list its tools: {exc}")
            ) from None
        names = python_names([tool.name for tool in listed])
        by_remote = {tool.name: tool for tool in listed}
        functions = {}
        for name, remote in names.items():
            tool = by_remote[remote]
            schema = dict(tool.input_schema or {"type": "object"})
            functions[name] = _Function(
                name=name,
                remote=remote,
                description=(tool.description or tool.title or "").strip(),
                input_schema=schema,
                structured=tool.output_schema is not None,
                validator=argument_validator(schema),
            )
        return functions

    async def call(self, remote: str, args: dict[str, Any], timeout: float) -> CallToolResult:
        """One `tools/call`.

        Raises:
            _Ended: The connection ended before or during the call.
            ToolFailedError: The server answered with a protocol error, or not in time.
        """
        from mcp import MCPError
        from mcp.types import CONNECTION_CLOSED, REQUEST_TIMEOUT

        assert self._client is not None
        try:
            return await self._client.call_tool(remote, args, read_timeout_seconds=timeout)
        except MCPError as exc:
            if exc.code == CONNECTION_CLOSED:
                self._ended.set()
                raise _Ended(self._explain("the connection closed")) from None
            if exc.code == REQUEST_TIMEOUT:
                raise ToolFailedError(
                    f"MCP tool {self._name}.{remote} did not answer within {timeout:g}s; "
                    f"raise `timeout` in {self._source} if it needs longer"
                ) from None
            raise ToolFailedError(
                self._redact(f"MCP server {self._name!r} refused {remote}: {exc.message}")
            ) from None
        except Exception as exc:  # noqa: BLE001 - the transport broke (HTTP down, bad JSON, ...)
            self._ended.set()
            raise _Ended(self._explain(_exception_text(exc))) from None

    async def close(self) -> None:
        """Exit the client in its own task (a stdio server is stopped) and wait for it."""
        self._stop.set()
        task = self._task
        if task is None:
            return
        if self._client is None:  # still starting: nothing to wind down, only to stop
            task.cancel()
        try:
            await asyncio.wait_for(asyncio.shield(task), 10)
        except BaseException:  # noqa: BLE001 - a stuck or cancelled close still ends the task
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

    def _not_started(self, spec: MCPToolSpec, exc: Exception) -> str:
        if isinstance(exc, FileNotFoundError) and spec.command is not None:
            return (
                f"MCP server {spec.name!r} could not start: {spec.command!r} was not found on "
                f"PATH; install it or fix `command` in {self._source}"
            )
        return self._explain(
            f"MCP server {spec.name!r} could not start: {_exception_text(exc)}; check "
            f"{self._source}"
        )

    def _explain(self, message: str) -> str:
        """`message`, with the end of the server's stderr when there is any."""
        said = self._stderr.text() if self._stderr is not None else ""
        if said:
            message += f"\nThe server's stderr ends with:\n{said}"
        return self._redact(message)

    def _redact(self, text: str) -> str:
        return Resolved({}, self._secrets).redact(text)


async def _list_page(client: Any, cursor: str | None) -> Any:
    """One page of `tools/list`, from an `mcp.Client` or a bare `ClientSession`."""
    from mcp import ClientSession
    from mcp.types import PaginatedRequestParams

    if isinstance(client, ClientSession):
        params = PaginatedRequestParams(cursor=cursor) if cursor is not None else None
        return await client.list_tools(params=params)
    return await client.list_tools(cursor=cursor)


def _exception_text(exc: BaseException) -> str:
    """What went wrong, from an exception or the first leaf of an exception group."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc) or type(exc).__name__
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + "..."


class _StderrTail:
    """A stdio server's stderr, its last bytes kept in memory; nothing reaches the host's."""

    def __init__(self) -> None:
        read, write = os.pipe()
        os.set_blocking(read, False)
        self._read = read
        self.writer = os.fdopen(write, "w")
        self._kept = Bounded(tail=_STDERR_TAIL)
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(read, self._drain)
        self._closed = False

    def spawned(self) -> None:
        """The server has its copy of the write end; ours goes, so its exit reads as EOF."""
        self.writer.close()

    def _drain(self) -> None:
        try:
            chunk = os.read(self._read, 65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if chunk:
            self._kept.add(chunk)
        else:
            self._loop.remove_reader(self._read)

    def text(self) -> str:
        """The kept end of what the server wrote, read dry first."""
        if not self._closed:
            with contextlib.suppress(OSError):
                while chunk := os.read(self._read, 65536):
                    self._kept.add(chunk)
        return self._kept.raw().decode("utf-8", errors="replace").strip()

    def close(self) -> None:
        if self._closed:
            return
        self.writer.close()
        self.text()  # what the server wrote last, before the pipe goes
        self._closed = True
        self._loop.remove_reader(self._read)
        os.close(self._read)


@asynccontextmanager
async def _watched(transport: Any, ended: asyncio.Event) -> AsyncIterator[tuple[Any, Any]]:
    """The transport's streams, with its read side setting `ended` when it ends."""
    async with transport as (read, write):
        yield _WatchedRead(read, ended), write


class _WatchedRead:
    """A read stream that sets an event when the other side closes it."""

    def __init__(self, inner: Any, ended: asyncio.Event) -> None:
        self._inner = inner
        self._ended = ended

    def __getattr__(self, name: str) -> Any:  # e.g. `last_context` of the HTTP transport
        return getattr(self._inner, name)

    async def receive(self) -> Any:
        import anyio

        try:
            return await self._inner.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
            self._ended.set()
            raise

    async def aclose(self) -> None:
        await self._inner.aclose()

    def __aiter__(self) -> _WatchedRead:
        return self

    async def __anext__(self) -> Any:
        import anyio

        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def __aenter__(self) -> _WatchedRead:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


# --- results ---------------------------------------------------------------------------


def _value(where: str, function: _Function, result: CallToolResult) -> Any:
    """A tool result as Python data, or `ToolFailedError` for an error result."""
    if result.is_error:
        said = "\n".join(getattr(item, "text", "") for item in result.content).strip()
        said = said if len(said) <= _MAX_MESSAGE else said[:_MAX_MESSAGE] + "..."
        raise ToolFailedError(f"MCP tool {where} failed: {said or '(no message)'}")
    if result.structured_content is not None:
        return result.structured_content
    items = [_content(item) for item in result.content]
    if not items:
        return None
    if len(items) == 1:
        item = items[0]
        if function.structured and isinstance(item, str):
            with contextlib.suppress(ValueError):
                return json.loads(item)
        return item
    return items


def _content(item: Any) -> Any:
    """One content block: text as `str`, anything else a small dict with its data."""
    kind = getattr(item, "type", None)
    if kind == "text":
        return item.text
    if kind in ("image", "audio"):
        return {"type": kind, "mime_type": item.mime_type, "data": _bytes(item.data)}
    if kind == "resource":
        resource = item.resource
        found: dict[str, Any] = {
            "type": "resource",
            "uri": str(resource.uri),
            "mime_type": resource.mime_type,
        }
        if hasattr(resource, "text"):
            found["text"] = resource.text
        else:
            found["data"] = _bytes(resource.blob)
        return found
    if kind == "resource_link":
        return {
            "type": "resource_link",
            "uri": str(item.uri),
            "name": item.name,
            "mime_type": item.mime_type,
            "description": item.description,
        }
    return {"type": str(kind)}


def _bytes(data: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return data.encode()
