"""What each adapter adds to one `run_code` call, measured in one run with one interpreter.

    uv run python bench/adapters.py [--rounds N] [--executor subprocess|inprocess]

Each line: the median of one `run_code("x = 1")` through an adapter, the median of
`session.run("x = 1")` on the same session (measured in alternation so that machine noise
falls on both alike) and their ratio (target <= 1.2x). A trivial run costs ~0.1 ms, so a
framework's own per-call machinery (callbacks, run trees, validation) weighs heavily in
that ratio; the last column is therefore the same framework calling a no-op async tool of
the same shape, and "ours" minus the run minus that floor is what the adapter itself adds.
The MCP line is a call over stdio to a `py-code-mode-mcp` child process (a JSON-RPC round
trip on top of the session's own) against a bare `session.run` in this process; reported.

Then import cost: a fresh interpreter importing each adapter against the same interpreter
importing only its framework (the promise: an adapter costs no more than its framework).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from py_code_mode import InProcessExecutor, Session, SubprocessExecutor
from py_code_mode._toolkit import Toolkit

CODE = "x = 1"


async def paired(
    ours: Callable[[], Awaitable[object]],
    baseline: Callable[[], Awaitable[object]],
    rounds: int,
) -> tuple[float, float]:
    """Medians in seconds of `ours` and `baseline`, measured in alternation after a warm-up."""
    for _ in range(max(rounds // 10, 3)):
        await ours()
        await baseline()
    timings: dict[str, list[float]] = {"ours": [], "baseline": []}
    for _ in range(rounds):
        for key, action in (("ours", ours), ("baseline", baseline)):
            started = time.perf_counter()
            await action()
            timings[key].append(time.perf_counter() - started)
    return statistics.median(timings["ours"]), statistics.median(timings["baseline"])


def report(label: str, ours: float, baseline: float, floor: float | None = None) -> None:
    line = (
        f"{label:38s} {ours * 1e3:7.3f} ms vs run {baseline * 1e3:6.3f} ms  "
        f"ratio {ours / baseline:5.2f}x"
    )
    if floor is not None:
        own = ours - baseline - floor
        line += f"   framework no-op {floor * 1e3:6.3f} ms, adapter's own {own * 1e3:+6.3f} ms"
    print(line)


async def noop(code: str) -> str:
    """The no-op tool each framework calls for its floor."""
    return code


async def floors(rounds: int) -> dict[str, float]:
    """Each framework calling `noop` the way it calls our tools: its own per-call cost."""
    from autogen_core import CancellationToken
    from autogen_core.tools import FunctionTool as AutogenTool
    from autogen_core.tools import StaticWorkbench
    from langchain_core.tools import StructuredTool
    from llama_index.core.tools import FunctionTool as LlamaTool

    autogen_tool = AutogenTool(noop, description="no-op", name="run_code")
    workbench = StaticWorkbench([autogen_tool])
    langchain_tool = StructuredTool.from_function(coroutine=noop, name="run_code")
    llama_tool = LlamaTool.from_defaults(async_fn=noop, name="run_code")
    actions: dict[str, Callable[[], Awaitable[object]]] = {
        "autogen CodeModeWorkbench.call_tool": lambda: workbench.call_tool(
            "run_code", {"code": CODE}
        ),
        "autogen BaseTool.run_json": lambda: autogen_tool.run_json(
            {"code": CODE}, CancellationToken()
        ),
        "langchain BaseTool.ainvoke": lambda: langchain_tool.ainvoke({"code": CODE}),
        "llamaindex FunctionTool.acall": lambda: llama_tool.acall(code=CODE),
    }

    async def nothing() -> None:
        return None

    result = {}
    for label, action in actions.items():
        result[label], _ = await paired(action, nothing, rounds)
    return result


async def adapters(session: Session) -> dict[str, Callable[[], Awaitable[object]]]:
    """One `run_code` call through each adapter, as its framework's agent loop makes it."""
    from autogen_core import CancellationToken
    from py_code_mode_autogen import CodeModeWorkbench, code_mode_tools
    from py_code_mode_langchain import CodeModeToolkit
    from py_code_mode_llamaindex import CodeModeToolSpec

    toolkit = Toolkit(session)
    workbench = CodeModeWorkbench(session)
    autogen_tool = next(t for t in code_mode_tools(session) if t.name == "run_code")
    langchain_tool = (await CodeModeToolkit(session=session).aget_tools())[0]
    llama_tool = CodeModeToolSpec(session=session).to_tool_list()[0]
    assert langchain_tool.name == "run_code" and llama_tool.metadata.name == "run_code"

    async def core_toolkit() -> Any:
        return await toolkit.call("run_code", {"code": CODE})

    async def autogen_workbench() -> Any:
        return await workbench.call_tool("run_code", {"code": CODE})

    async def autogen_base_tool() -> Any:
        return await autogen_tool.run_json({"code": CODE}, CancellationToken())

    async def langchain() -> Any:
        return await langchain_tool.ainvoke({"code": CODE})

    async def llamaindex() -> Any:
        return await llama_tool.acall(code=CODE)

    return {
        "core Toolkit.call": core_toolkit,
        "autogen CodeModeWorkbench.call_tool": autogen_workbench,
        "autogen BaseTool.run_json": autogen_base_tool,
        "langchain BaseTool.ainvoke": langchain,
        "llamaindex FunctionTool.acall": llamaindex,
    }


async def bench_mcp(base: Path, session: Session, executor: str, rounds: int) -> None:
    from mcp import Client, StdioServerParameters

    beside = Path(sys.executable).parent / "py-code-mode-mcp"
    command = str(beside) if beside.exists() else "py-code-mode-mcp"
    server = StdioServerParameters(
        command=command, args=["--base", str(base), "--executor", executor]
    )
    async with Client(server) as client:

        async def over_stdio() -> Any:
            result = await client.call_tool("run_code", {"code": CODE})
            assert not result.is_error
            return result

        ours, baseline = await paired(over_stdio, lambda: session.run(CODE), rounds)
        report("mcp run_code over stdio", ours, baseline)


IMPORTS = {
    "py_code_mode_autogen": "autogen_agentchat.agents, autogen_core.tools",
    # langchain_core's package __init__s are lazy; these two are what any tool call loads.
    "py_code_mode_langchain": "langchain_core.tools.base, langchain_core.callbacks.manager",
    "py_code_mode_llamaindex": "llama_index.core.tools, llama_index.core.workflow",
    "py_code_mode_mcp": "mcp.server.lowlevel, uvicorn",
}


def import_seconds(modules: str, rounds: int) -> float:
    """Median wall time of a fresh interpreter that imports `modules` and exits."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {modules}"], check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_imports(rounds: int) -> None:
    print("\nimport in a fresh interpreter (medians)")
    for adapter, framework in IMPORTS.items():
        ours = import_seconds(adapter, rounds)
        theirs = import_seconds(framework, rounds)
        print(
            f"  {adapter:26s} {ours * 1e3:7.1f} ms vs {framework:45s} {theirs * 1e3:7.1f} ms"
            f"  ratio {ours / theirs:4.2f}x"
        )


async def main(rounds: int, executor: str) -> None:
    print(f"python {sys.version.split()[0]}, {rounds} rounds (medians), {executor} executor\n")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        worker = SubprocessExecutor() if executor == "subprocess" else InProcessExecutor()
        framework_floors = await floors(rounds)
        async with Session.from_base(base, executor=worker) as session:
            for label, action in (await adapters(session)).items():
                ours, baseline = await paired(action, lambda: session.run(CODE), rounds)
                report(label, ours, baseline, framework_floors.get(label, 0.0))
            await bench_mcp(base / "mcp", session, executor, rounds)
    bench_imports(max(rounds // 30, 5))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--executor", choices=("subprocess", "inprocess"), default="subprocess")
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.executor))
