"""Every framework adapter works on RedisStorage unchanged: two hosts, one library.

Each adapter's own tool objects create a skill and run code through a Session on Redis;
a second Session (another host) on the same prefix sees the skill and runs it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from py_code_mode import InProcessExecutor, RedisStorage, Session

pytestmark = [pytest.mark.anyio, pytest.mark.redis]

SKILL = 'def run(n: int) -> int:\n    """Square a number."""\n    return n * n\n'

Call = Callable[[str, dict[str, Any]], Awaitable[str]]


async def _autogen(session: Session) -> Call:
    from py_code_mode_autogen import CodeModeWorkbench

    workbench = CodeModeWorkbench(session)
    await workbench.list_tools()

    async def call(name: str, arguments: dict[str, Any]) -> str:
        result = await workbench.call_tool(name, arguments)
        assert not result.is_error, result.to_text()
        return result.to_text()

    return call


async def _langchain(session: Session) -> Call:
    from py_code_mode_langchain import CodeModeToolkit

    tools = {tool.name: tool for tool in await CodeModeToolkit(session=session).aget_tools()}

    async def call(name: str, arguments: dict[str, Any]) -> str:
        return str(await tools[name].ainvoke(arguments))

    return call


async def _llamaindex(session: Session) -> Call:
    from py_code_mode_llamaindex import CodeModeToolSpec

    spec = CodeModeToolSpec(session=session)
    tools = {tool.metadata.name: tool for tool in await spec.to_tool_list_async()}

    async def call(name: str, arguments: dict[str, Any]) -> str:
        output = await tools[name].acall(**arguments)
        assert not output.is_error, output.content
        return str(output.content)

    return call


ADAPTERS = {"autogen": _autogen, "langchain": _langchain, "llamaindex": _llamaindex}


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
async def test_an_adapter_on_redis_shares_its_skills_with_another_host(
    adapter: str, redis_url: str
) -> None:
    prefix = f"adapters-{adapter}"
    host_a = Session(
        storage=RedisStorage(url=redis_url, prefix=prefix), executor=InProcessExecutor()
    )
    host_b = Session(
        storage=RedisStorage(url=redis_url, prefix=prefix), executor=InProcessExecutor()
    )
    async with host_a, host_b:
        call = await ADAPTERS[adapter](host_a)
        await call("create_skill", {"name": "square", "source": SKILL, "description": "Square"})
        assert await call("run_code", {"code": "artifacts.save('seen', skills.square(n=7))"})
        assert await call("run_code", {"code": "artifacts.load('seen')"}) == "49"
        assert "square" in await call("search_skills", {"query": "square a number"})

        other = await ADAPTERS[adapter](host_b)
        assert "square" in await other("list_skills", {})
        assert await other("run_code", {"code": "skills.square(n=9)"}) == "81"
        assert "seen" in await other("list_artifacts", {})
