"""Use py-code-mode through MCP: start `py-code-mode-mcp` over stdio with the official client.

    python examples/mcp/client.py [WORKSPACE]      (default: ./workspace)

Any MCP client does the same: start the command, list the tools, call them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters
from mcp.types import CallToolResult

SKILL = '''\
def run(n: int) -> list[int]:
    """The first n Fibonacci numbers."""
    out = [0, 1]
    while len(out) < n:
        out.append(out[-1] + out[-2])
    return out[:n]
'''


def text(result: CallToolResult) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


async def main(workspace: str) -> None:
    # In a virtualenv the console script sits next to the interpreter; else it is on PATH.
    beside = Path(sys.executable).parent / "py-code-mode-mcp"
    command = str(beside) if beside.exists() else "py-code-mode-mcp"
    server = StdioServerParameters(command=command, args=["--base", workspace])
    async with Client(server) as client:
        tools = await client.list_tools()
        print("tools:", ", ".join(tool.name for tool in tools.tools))

        async def show_output(progress: float, total: float | None, message: str | None) -> None:
            print("  live:", (message or "").rstrip())

        result = await client.call_tool(
            "run_code",
            {"code": "total = sum(range(10))\nprint('summing...')\ntotal"},
            progress_callback=show_output,  # printed output arrives while the code runs
        )
        print("run_code ->", text(result).splitlines()[0])
        result = await client.call_tool("run_code", {"code": "total * 2"})  # state persists
        print("run_code ->", text(result).splitlines()[0])

        await client.call_tool(
            "create_skill", {"name": "fib", "source": SKILL, "description": "Fibonacci numbers"}
        )
        found = await client.call_tool("search_skills", {"query": "fibonacci"})
        print("search_skills ->", text(found))
        result = await client.call_tool("run_code", {"code": "skills.fib(n=8)"})
        print("skills.fib ->", text(result))

        failed = await client.call_tool("run_code", {"code": "1 / 0"})
        print("errors come back as results:", failed.is_error, text(failed).splitlines()[-1])


if __name__ == "__main__":
    anyio.run(main, sys.argv[1] if len(sys.argv) > 1 else "./workspace")
