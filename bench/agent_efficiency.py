"""How many bytes of tool text a model receives before it writes code, as the catalogue grows.

    uv run python bench/agent_efficiency.py

For a catalogue of N tools (each a CLI tool with two recipes, so 2N callables), the bytes
of tool definitions a function-calling model is given (name, description and JSON Schema
of each tool, as OpenAI-style function calling sends them):

- ours: the default toolkit (run_code, whose description lists as many tools as fit in
  1,024 characters, plus the listing, search, skill and deps tools);
- ours, run_code alone (`ToolkitOptions(include=["run_code"])`);
- the linear baseline: every callable exposed directly as a function of its own, with
  its full JSON Schema;
- and, to find a tool, the first `list_tools` page the model may ask for (one line per
  tool, 50 a page) against the same catalogue as JSON.

- FastMCP's CodeMode over the same callables (its `search`, `get_schema` and `execute`
  tools), when fastmcp is importable. It is not among this project's dependencies; run
  `uv run --with fastmcp python bench/agent_efficiency.py` to include it.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

from py_code_mode import FileStorage, InProcessExecutor, Session, Toolkit, ToolkitOptions

SIZES = (10, 100, 1000)


def write_catalogue(tools: Path, count: int) -> None:
    tools.mkdir(parents=True)
    for i in range(count):
        (tools / f"t{i:04}.yaml").write_text(
            f"name: t{i:04}\n"
            f"description: 'Service {i} of the archive: fetch and count its records'\n"
            "command: echo\n"
            "schema:\n"
            "  options:\n"
            "    verbose: {type: boolean, description: Say more}\n"
            "    since: {type: string, description: 'Only records after this date'}\n"
            "  positional:\n"
            "    - {name: record, type: string, required: true, description: A record id}\n"
            "recipes:\n"
            "  fetch: {description: Fetch one record}\n"
            "  count: {description: Count records, params: {since: {}, verbose: {}}}\n"
        )


def function_bytes(name: str, description: str, schema: dict[str, object]) -> int:
    """One function definition as function calling sends it."""
    definition = {"type": "function", "function": {"name": name, "description": description,
                                                   "parameters": schema}}  # fmt: skip
    return len(json.dumps(definition, separators=(",", ":")).encode())


async def measure(base: Path, count: int) -> dict[str, int]:
    write_catalogue(base / "tools", count)
    async with Session(storage=FileStorage(base), executor=InProcessExecutor()) as session:
        default = await Toolkit(session).list()
        alone = await Toolkit(session, ToolkitOptions(include=["run_code"])).list()
        registry = session._host.tools.registry if session._host else None
        assert registry is not None
        linear = 0
        for name in registry.names():
            described = await registry.describe(name)
            for entry in described["callables"]:
                linear += function_bytes(
                    f"{name}__{entry['name']}", entry["description"], entry["input_schema"]
                )
        page = (await Toolkit(session).call("list_tools", {})).text
        as_json = json.dumps(await session.list_tools())
        callables = [
            (f"{name}__{entry['name']}", entry["description"], entry["input_schema"])
            for name in registry.names()
            for entry in (await registry.describe(name))["callables"]
        ]
    return {
        "fastmcp": await fastmcp_code_mode_bytes(callables),
        "ours": sum(function_bytes(t.name, t.description, t.json_schema()) for t in default),
        "run_code": sum(function_bytes(t.name, t.description, t.json_schema()) for t in alone),
        "linear": linear,
        "list_page": len(page.encode()),
        "list_json": len(as_json.encode()),
    }


async def fastmcp_code_mode_bytes(callables: list[tuple[str, str, dict[str, object]]]) -> int:
    """Bytes of FastMCP CodeMode's tool list over the same callables, or -1 without fastmcp."""
    try:
        from fastmcp import Client, FastMCP
        from fastmcp.experimental.transforms.code_mode import CodeMode
        from fastmcp.tools.base import Tool
    except ImportError:
        return -1

    class Listed(Tool):  # a tool known by its schema alone, as ours are listed
        async def run(self, arguments: dict[str, object]) -> object:
            raise NotImplementedError

    server = FastMCP("bench")
    for name, description, schema in callables:
        server.add_tool(Listed(name=name, description=description, parameters=schema))
    server.add_transform(CodeMode())
    async with Client(server) as client:
        listed = await client.list_tools()
    return sum(
        function_bytes(tool.name, tool.description or "", tool.input_schema) for tool in listed
    )


async def main() -> None:
    print(f"{'tools':>6} {'ours':>9} {'run_code':>9} {'linear':>11} {'ratio':>8}"
          f" {'list page':>10} {'list as JSON':>13} {'FastMCP CodeMode':>17}")  # fmt: skip
    for count in SIZES:
        with tempfile.TemporaryDirectory() as base:
            found = await measure(Path(base) / "ws", count)
        fastmcp = f"{found['fastmcp']:,}" if found["fastmcp"] >= 0 else "(not installed)"
        print(
            f"{count:>6} {found['ours']:>9,} {found['run_code']:>9,} {found['linear']:>11,} "
            f"{found['linear'] / found['ours']:>7.1f}x {found['list_page']:>10,} "
            f"{found['list_json']:>13,} {fastmcp:>17}"
        )


if __name__ == "__main__":
    asyncio.run(main())
