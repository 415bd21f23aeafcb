"""`python -m py_code_mode_mcp`: the MCP server, as MCP clients' configurations often start it."""

import sys

from py_code_mode_mcp.cli import main

sys.exit(main())
