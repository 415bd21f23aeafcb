"""An AutoGen assistant that solves a task by writing Python in a py-code-mode session.

    uv run python examples/autogen/main.py [WORKSPACE]      (default: ./workspace)

With OPENAI_API_KEY set, a real model does the task (the `autogen` extra brings
autogen-ext's OpenAI client). Otherwise a scripted model replays one episode, so the
example runs offline: it runs code that keeps its result as an artifact, saves that code
as a skill, and answers. Both outlive the session, in the workspace directory.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from pathlib import Path

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.base import TaskResult
from autogen_core import FunctionCall
from autogen_core.models import (
    ChatCompletionClient,
    CreateResult,
    ModelFamily,
    ModelInfo,
    RequestUsage,
)
from autogen_ext.models.replay import ReplayChatCompletionClient
from py_code_mode import Session
from py_code_mode_autogen import CodeModeWorkbench

TASK = "Find the primes below 50, keep them as an artifact, and save a skill for next time."

PRIMES = '''\
def run(limit: int) -> list[int]:
    """The primes below `limit`."""
    return [n for n in range(2, limit) if all(n % d for d in range(2, int(n**0.5) + 1))]
'''


# A replayed model that can call functions: what AssistantAgent needs to use a workbench.
SCRIPTED_MODEL_INFO: ModelInfo = {
    "vision": False,
    "function_calling": True,
    "json_output": False,
    "structured_output": False,
    "family": ModelFamily.UNKNOWN,
}


async def run_episode(workspace: Path, model_client: ChatCompletionClient) -> TaskResult:
    """Give the agent the task, with a code-mode session on `workspace` as its workbench."""
    async with Session.from_base(workspace) as session:
        agent = AssistantAgent(
            "coder",
            model_client=model_client,
            workbench=CodeModeWorkbench(session),
            system_message="Solve tasks by writing Python with run_code. "
            "Save code worth reusing with create_skill.",
            max_tool_iterations=5,  # call tools until the model answers in text
        )
        return await agent.run(task=TASK)


def scripted_model() -> ReplayChatCompletionClient:
    """A stand-in model that replays one good episode: run code, save a skill, answer."""

    def call(tool: str, /, **arguments: object) -> CreateResult:
        request = FunctionCall(id=f"call-{tool}", name=tool, arguments=json.dumps(arguments))
        return CreateResult(
            finish_reason="function_calls",
            content=[request],
            usage=RequestUsage(prompt_tokens=0, completion_tokens=0),
            cached=False,
        )

    code = PRIMES + "primes = run(50)\nartifacts.save('primes', primes)\nlen(primes)"
    return ReplayChatCompletionClient(
        [
            call("run_code", code=code),
            call("create_skill", name="primes", source=PRIMES, description="Primes below a limit."),
            "There are 15 primes below 50: saved as the artifact 'primes', "
            "and the skill 'primes' finds them again.",
        ],
        model_info=SCRIPTED_MODEL_INFO,
    )


def openai_model() -> ChatCompletionClient | None:
    """A real model if there is a key and the client is installed, else None."""
    if not os.environ.get("OPENAI_API_KEY"):
        return None
    try:
        from autogen_ext.models.openai import OpenAIChatCompletionClient
    except ImportError:
        return None
    return OpenAIChatCompletionClient(model="gpt-4o-mini")


def main() -> None:
    logging.basicConfig(level=logging.ERROR)  # quiet the replay model's token-count notes
    workspace = Path(sys.argv[1] if len(sys.argv) > 1 else "workspace")
    result = asyncio.run(run_episode(workspace, openai_model() or scripted_model()))
    for message in result.messages:
        print(f"--- {message.source} ({type(message).__name__})\n{message.to_text()}")
    print(f"\nSkills and artifacts are kept in {workspace.resolve()}")


if __name__ == "__main__":
    main()
