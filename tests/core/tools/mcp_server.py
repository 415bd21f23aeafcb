"""A real MCP server, on the official SDK, for the tests of MCP servers as tools.

Run as ``python mcp_server.py stdio`` or ``python mcp_server.py http PORT``. Its tools cover
what a client must handle: structured and plain results, images, errors, a crash mid-call,
a call that never answers, and a tool whose name is not a Python identifier.
"""

from __future__ import annotations

import base64
import os
import sys
import time

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ImageContent

server = MCPServer("py-code-mode-test-server", instructions="Arithmetic and test helpers")

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool(structured_output=False)
def echo(text: str, times: int = 1) -> str:
    """Repeat text."""
    return text * times


@server.tool()
def environment(name: str) -> dict[str, str | None]:
    """One variable of the server's environment, and its working directory."""
    return {"value": os.environ.get(name), "cwd": os.getcwd()}


@server.tool(structured_output=False)
def picture() -> ImageContent:
    """A one-pixel PNG."""
    return ImageContent(type="image", data=base64.b64encode(PNG).decode(), mime_type="image/png")


@server.tool()
def fail(message: str) -> str:
    """Always fails with `message`."""
    raise ToolError(message)


@server.tool()
def pid() -> int:
    """The server's process id."""
    return os.getpid()


@server.tool()
def crash() -> str:
    """Ends the server's process mid-call."""
    os._exit(3)


@server.tool()
def stall(seconds: float) -> str:
    """Answers after `seconds`."""
    time.sleep(seconds)
    return "late"


@server.tool(name="get-weather")
def get_weather(city: str) -> str:
    """A tool whose MCP name is not a Python identifier."""
    return f"sunny in {city}"


if __name__ == "__main__":
    if os.environ.get("MCP_TEST_SERVER_FAILS"):
        print(os.environ["MCP_TEST_SERVER_FAILS"], file=sys.stderr)
        sys.exit(2)
    if sys.argv[1:2] == ["http"]:
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run("stdio")
