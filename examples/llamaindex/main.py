"""A LlamaIndex FunctionAgent that writes Python in a persistent py-code-mode session.

    uv run python examples/llamaindex/main.py [WORKSPACE]   (default: ./workspace)

With OPENAI_API_KEY set and `llama-index-llms-openai` installed, a real model does the task.
Otherwise LlamaIndex's own MockFunctionCallingLLM replays one episode, so the example runs
offline: it runs code that keeps its result as an artifact, saves a skill, and answers.
What `run_code` prints is streamed as it happens. Skills and artifacts stay in the workspace.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from llama_index.core.agent.workflow import AgentOutput, FunctionAgent, ToolCallResult
from llama_index.core.base.llms.types import ToolCallBlock
from llama_index.core.llms import LLM, ChatMessage, MockFunctionCallingLLM
from py_code_mode import Session
from py_code_mode_llamaindex import CodeModeToolSpec, CodeOutputEvent

TASK = "Find the primes below 50, keep them as an artifact, and save a skill for next time."

PRIMES = '''\
def run(limit: int) -> list[int]:
    """The primes below `limit`."""
    return [n for n in range(2, limit) if all(n % d for d in range(2, int(n**0.5) + 1))]
'''


async def run_episode(workspace: Path, llm: LLM) -> str:
    """Give the agent the task with a session on `workspace`; return its answer."""
    async with Session.from_base(workspace) as session:
        spec = CodeModeToolSpec(session=session)
        agent = FunctionAgent(
            tools=[*await spec.to_tool_list_async()],
            llm=llm,
            system_prompt="Solve tasks by writing Python with run_code. "
            "Save code worth reusing with create_skill.",
        )
        handler = agent.run(user_msg=TASK)
        async for event in handler.stream_events():
            if isinstance(event, CodeOutputEvent):
                print(event.text, end="", flush=True)
            elif isinstance(event, ToolCallResult):
                print(f"--- {event.tool_name}: {event.tool_output.content[:300]}")
        result: AgentOutput = await handler
        return str(result.response.content)


def scripted_llm() -> MockFunctionCallingLLM:
    """A stand-in model that replays one good episode: run code, save a skill, answer."""
    code = (
        PRIMES + "primes = run(50)\nprint('found', len(primes), 'primes')\n"
        "artifacts.save('primes', primes)\nlen(primes)"
    )
    turns = iter(
        [
            _call("run_code", code=code),
            _call("create_skill", name="primes", source=PRIMES, description="Primes below n."),
            ChatMessage(
                role="assistant",
                content="There are 15 primes below 50: saved as the artifact 'primes', "
                "and the skill 'primes' finds them again.",
            ),
        ]
    )

    def respond(messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        return next(turns)

    return MockFunctionCallingLLM(response_generator=respond)


def _call(tool: str, /, **arguments: Any) -> ChatMessage:
    block = ToolCallBlock(tool_call_id=f"call-{tool}", tool_name=tool, tool_kwargs=arguments)
    return ChatMessage(role="assistant", blocks=[block])


def openai_llm() -> LLM | None:
    """A real model if there is a key and the provider package is installed, else None."""
    if not os.environ.get("OPENAI_API_KEY"):
        return None
    try:
        openai: Any = importlib.import_module("llama_index.llms.openai")
    except ImportError:
        return None
    llm: LLM = openai.OpenAI(model="gpt-4o-mini")
    return llm


def main() -> None:
    workspace = Path(sys.argv[1] if len(sys.argv) > 1 else "workspace")
    print(asyncio.run(run_episode(workspace, openai_llm() or scripted_llm())))
    print(f"\nSkills and artifacts are kept in {workspace.resolve()}")


if __name__ == "__main__":
    main()
