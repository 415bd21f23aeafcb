"""Serve over streamable HTTP with uvicorn, behind a bearer token unless told otherwise."""

from __future__ import annotations

import ipaddress
import socket
import sys
from typing import Any

import uvicorn
from mcp.server import Server

from py_code_mode_mcp._auth import StaticTokenVerifier, static_token_settings

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


async def serve_http(server: Server[Any], *, host: str, port: int, token: str | None) -> None:
    """Serve `server` at http://host:port/mcp until interrupted.

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
    )
    config = uvicorn.Config(
        app,
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
