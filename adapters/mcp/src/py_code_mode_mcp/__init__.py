"""py-code-mode as an MCP server: the agent-facing tools over stdio or streamable HTTP.

Most users run the console script (`py-code-mode-mcp --base ./workspace`); `create_server`
is the same server for programs that host it themselves.
"""

from importlib.metadata import version as _version

from py_code_mode_mcp._server import create_server

__all__ = ["__version__", "create_server"]

__version__ = _version("py-code-mode")
