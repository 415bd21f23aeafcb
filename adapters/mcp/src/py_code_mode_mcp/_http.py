"""Serve over streamable HTTP with uvicorn, behind a bearer token unless told otherwise.

The SDK's session manager keeps the MCP sessions (its cap answers 503, its idle expiry
404); the server's own pool keeps a Python session per MCP session, with the same limits.
When a client ends its MCP session (HTTP DELETE), `_ending_sessions` tells the pool, so
the worker goes at once rather than at the idle expiry.
"""

from __future__ import annotations

import ipaddress
import socket
import sys

import uvicorn
from mcp.server.streamable_http import MCP_SESSION_ID_HEADER
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from py_code_mode_mcp._auth import StaticTokenVerifier, static_token_settings
from py_code_mode_mcp._server import CodeModeServer

__all__ = ["MCP_PATH", "is_loopback", "serve_http"]

MCP_PATH = "/mcp"

_GRACEFUL_SHUTDOWN = 5
"""Seconds open streams get to finish at shutdown before they are cut."""


def is_loopback(host: str) -> bool:
    """Whether `host` only accepts connections from this machine.

    Names other than `localhost` are not resolved: what a name points at can change, so
    only literal loopback addresses count.
    """
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bind(host: str, port: int) -> socket.socket:
    # Bound and listening before the URL is announced, so a client that reads the
    # announcement can connect at once (port 0 picks a free port).
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(socket.SOMAXCONN)
    except OSError:
        sock.close()
        raise
    return sock


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _ending_sessions(app: ASGIApp, server: CodeModeServer) -> ASGIApp:
    """`app`, telling `server` about each MCP session a client ended with a DELETE.

    Only a DELETE the SDK accepted counts (2xx): a wrong token (401) or a session id that
    is unknown or opened with other credentials (404) ends nothing.
    """
    header = MCP_SESSION_ID_HEADER.lower().encode("latin-1")

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "DELETE":
            await app(scope, receive, send)
            return
        session_id = next((v for k, v in scope["headers"] if k == header), None)
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await app(scope, receive, watch)
        if session_id is not None and 200 <= status < 300:
            await server.end_session(session_id.decode("latin-1"))

    return wrapped


async def serve_http(server: CodeModeServer, *, host: str, port: int, token: str | None) -> None:
    """Serve `server` at http://host:port/mcp until interrupted.

    Starlette runs the app's lifespan (and so the server's session pool) once, for all
    clients; `_ending_sessions` wraps the whole app, so its lifespan messages pass through.

    Args:
        server: The MCP server.
        host: The address to listen on.
        port: The port to listen on; 0 picks a free one (the announcement says which).
        token: The bearer token every request must carry; None serves without
            authentication (the caller has made sure that is wanted and local).

    Raises:
        OSError: The address cannot be listened on (in use, not local, no permission).
    """
    sock = _bind(host, port)
    base = _url(host, sock.getsockname()[1])
    verifier = StaticTokenVerifier(token) if token is not None else None
    app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        host=host,
        auth=static_token_settings(base) if verifier is not None else None,
        token_verifier=verifier,
        session_idle_timeout=server.idle_timeout,
        max_sessions=server.max_sessions,
    )
    config = uvicorn.Config(
        _ending_sessions(app, server),
        log_config=None,  # our logging goes to stderr; uvicorn's default would add stdout
        log_level="warning",
        timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN,
    )
    guard = "bearer token required" if verifier is not None else "NO authentication"
    print(f"py-code-mode-mcp: serving {base}{MCP_PATH} ({guard})", file=sys.stderr, flush=True)
    try:
        await uvicorn.Server(config).serve(sockets=[sock])
    finally:
        sock.close()
