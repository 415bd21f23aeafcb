"""A LangChain agent that writes Python in a persistent py-code-mode session.

    uv run python examples/langchain/main.py [WORKSPACE]    (default: ./workspace)

With OPENAI_API_KEY (and `langchain-openai` installed) or ANTHROPIC_API_KEY (and
`langchain-anthropic`) a real model plays the agent. Otherwise a scripted model replays
one episode offline: it runs code that saves an artifact, saves that code as a skill,
then answers.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from langchain.agents import create_agent
from langchain.chat_models import init_chat_model
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from py_code_mode import Session
from py_code_mode_langchain import CodeModeToolkit

TASK = (
    "Save the squares of 1..10 as the artifact 'squares' and tell me their sum. "
    "Then save a skill 'squares' that returns the first n squares."
)

SKILL = '''def run(n: int = 10) -> list[int]:
    """The squares of 1..n."""
    return [i * i for i in range(1, n + 1)]
'''


class ScriptedModel(GenericFakeChatModel):
    """Replays fixed replies; takes tools as a real chat model would, and ignores them."""

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        return self


def scripted_model() -> ScriptedModel:
    """The episode a good model would play for `TASK`, as replies to replay."""
    code = (
        "squares = [i * i for i in range(1, 11)]\n"
        "artifacts.save('squares', squares, description='squares of 1..10')\n"
        "sum(squares)"
    )
    skill = {"name": "squares", "source": SKILL, "description": "The first n squares."}
    replies = [
        AIMessage("", tool_calls=[{"name": "run_code", "args": {"code": code}, "id": "c1"}]),
        AIMessage("", tool_calls=[{"name": "create_skill", "args": skill, "id": "c2"}]),
        AIMessage("The sum is 385; the squares are saved, and skills.squares(n) makes more."),
    ]
    return ScriptedModel(messages=iter(replies))


def chat_model() -> BaseChatModel:
    """A real model when a key and its provider package are present, else the script."""
    if os.environ.get("OPENAI_API_KEY") and importlib.util.find_spec("langchain_openai"):
        return init_chat_model("openai:gpt-4.1-mini")
    if os.environ.get("ANTHROPIC_API_KEY") and importlib.util.find_spec("langchain_anthropic"):
        return init_chat_model("anthropic:claude-sonnet-4-5")
    return scripted_model()


async def run_episode(
    session: Session, model: BaseChatModel, task: str = TASK
) -> list[BaseMessage]:
    """Give `model` the session's tools, let it work on `task`, return the conversation."""
    toolkit = CodeModeToolkit(session=session)
    agent = create_agent(model, await toolkit.aget_tools())
    state = await agent.ainvoke({"messages": [HumanMessage(task)]})
    messages: list[BaseMessage] = state["messages"]
    return messages


async def main(base: Path) -> None:
    async with Session.from_base(base) as session:
        for message in await run_episode(session, chat_model()):
            message.pretty_print()
        print("\nskills.squares(n=4) ->", (await session.invoke_skill("squares", n=4)).value)
        print("workspace:", base)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1] if len(sys.argv) > 1 else "workspace")))
