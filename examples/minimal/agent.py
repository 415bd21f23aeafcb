"""A whole agent in about a hundred lines: a model, py-code-mode's tools, and a loop.

    uv run python examples/minimal/agent.py ["a task"] [--workspace DIR]

Any OpenAI-compatible chat completions server is the model when these are set:
OPENAI_BASE_URL (e.g. https://api.openai.com/v1 or http://localhost:11434/v1 for
Ollama), OPENAI_API_KEY and MODEL. Without them a scripted model plays one episode, so the
example runs offline: it solves the task in code, saves the code as a skill, and answers.
No framework: `Toolkit` gives the tools' names, descriptions and JSON Schemas, and runs
the calls; the standard library talks to the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import urllib.request
from pathlib import Path
from typing import Any

from py_code_mode import Session, Toolkit

TASK = "What is the sum of the squares of 1 to 10? Save the code that works as a skill."
SKILL = 'def run(n: int) -> int:\n    """Sum of the squares of 1 to n."""\n    return sum(i * i for i in range(1, n + 1))\n'  # noqa: E501
SCRIPT = [  # what the scripted model says, turn by turn: tool calls, then an answer
    [("run_code", {"code": "sum(i * i for i in range(1, 11))"})],
    [("create_skill", {"name": "sum_of_squares", "source": SKILL})],
    "The sum of the squares of 1 to 10 is 385; sum_of_squares(n) now computes it.",
]


class ScriptedModel:
    """Replays SCRIPT in the chat completions format, whatever it is told."""

    def __init__(self) -> None:
        self.turn = 0

    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
        step, self.turn = SCRIPT[self.turn], self.turn + 1
        if isinstance(step, str):
            return {"role": "assistant", "content": step}
        calls = [
            {"id": f"call_{self.turn}_{n}", "type": "function",
             "function": {"name": name, "arguments": json.dumps(args)}}
            for n, (name, args) in enumerate(step)
        ]  # fmt: skip
        return {"role": "assistant", "content": None, "tool_calls": calls}


class OpenAICompatibleModel:
    """POST /chat/completions with the tools; the first choice's message."""

    def __init__(self, base_url: str, api_key: str, model: str) -> None:
        self.url, self.api_key, self.model = base_url.rstrip("/"), api_key, model

    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
        body = json.dumps({"model": self.model, "messages": messages, "tools": tools}).encode()
        request = urllib.request.Request(
            f"{self.url}/chat/completions",
            data=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.api_key}"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - the user's URL
            return json.load(response)["choices"][0]["message"]


async def run_agent(task: str, workspace: Path, model: Any, max_turns: int = 10) -> str:
    """The loop: ask the model, run the tools it calls, until it answers in words."""
    async with Session.from_base(workspace) as session:
        toolkit = Toolkit(session)
        tools = [
            {"type": "function", "function": {
                "name": t.name, "description": t.description, "parameters": t.json_schema()}}
            for t in await toolkit.list()
        ]  # fmt: skip
        messages: list[dict[str, Any]] = [{"role": "user", "content": task}]
        for _ in range(max_turns):
            reply = await asyncio.to_thread(model.complete, messages, tools)
            messages.append(reply)
            if not reply.get("tool_calls"):
                return str(reply.get("content") or "")
            for call in reply["tool_calls"]:
                name, args = call["function"]["name"], json.loads(call["function"]["arguments"])
                output = await toolkit.call(name, args)
                print(f"[{name}] {output.text[:200]}")
                answer = {"role": "tool", "tool_call_id": call["id"], "content": output.text}
                messages.append(answer)
        return "(no answer within the turn limit)"


def main() -> None:
    parser = argparse.ArgumentParser(description="A minimal py-code-mode agent.")
    parser.add_argument("task", nargs="?", default=TASK, help="what to ask the agent")
    parser.add_argument("--workspace", default="workspace", help="workspace directory")
    args = parser.parse_args()
    env = {key: os.environ.get(key) for key in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "MODEL")}
    if all(env.values()):
        model: Any = OpenAICompatibleModel(*env.values())  # type: ignore[arg-type]
    else:
        model = ScriptedModel()
        print("(no OPENAI_BASE_URL, OPENAI_API_KEY and MODEL: a scripted model plays)")
    print(asyncio.run(run_agent(args.task, Path(args.workspace), model)))


if __name__ == "__main__":
    main()
