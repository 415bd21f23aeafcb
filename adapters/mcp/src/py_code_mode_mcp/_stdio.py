"""Serve over stdio: the protocol is stdin/stdout, and nothing else may touch them.

The SDK's `stdio_server` points fd 0 at the null device and fd 1 at stderr while it
serves, so agent code, tools and anything they spawn read EOF and print where the
protocol is not. A client ends the server by closing stdin; SIGTERM or SIGINT end it too,
after the session is closed and its worker stopped.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from typing import Any

import anyio
from mcp.server import Server
from mcp.server.stdio import stdio_server

__all__ = ["serve_stdio"]


async def serve_stdio(server: Server[Any]) -> None:
    """Serve `server` on this process's stdin and stdout until EOF, SIGTERM or SIGINT."""
    async with stdio_server() as (read_stream, write_stream):
        with anyio.CancelScope() as serving:
            async with anyio.create_task_group() as group:
                group.start_soon(_cancel_on_signal, serving)
                await server.run(read_stream, write_stream, server.create_initialization_options())
                group.cancel_scope.cancel()
        if serving.cancel_called:
            # Stopped by a signal: the lifespan has closed the session, but the SDK's stdin
            # reader is a thread blocked in read() that nothing can cancel, and leaving
            # stdio_server would wait for it forever
            # (https://github.com/modelcontextprotocol/python-sdk/issues/3551).
            logging.shutdown()
            sys.stderr.flush()
            os._exit(0)


async def _cancel_on_signal(scope: anyio.CancelScope) -> None:
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for _ in signals:
            scope.cancel()
            return
