"""`py-code-mode demo`: a scripted agent episode that shows the learning loop.

Solve a task with a tool and plain Python, save the working code as a skill, find it again
by search, invoke it, and compose it into a bigger skill, on the embedded default (files +
subprocess worker), with no server and no network.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import textwrap
from pathlib import Path
from typing import Any

from py_code_mode._cli._errors import workspace
from py_code_mode._result import ExecutionResult
from py_code_mode._session import Session

WC_TOOL = """\
name: wc
description: Count lines, words and bytes of text
command: wc
tags: [text, count]
schema:
  options:
    lines: {type: boolean, short: l, description: count lines}
    words: {type: boolean, short: w, description: count words}
recipes:
  words:
    description: Count the words of the text given as input
    preset: {words: true}
  lines:
    description: Count the lines of the text given as input
    preset: {lines: true}
"""

TEXT = (
    "Agents that call one tool per step are slow. Agents that write code are fast, "
    "and code that works once can be saved, found and used again."
)

STEPS: list[tuple[str, str]] = [
    (
        "Look around: which tools and skills exist?",
        """
        {"tools": [t["name"] for t in tools.list()], "skills": [s["name"] for s in skills.list()]}
        """,
    ),
    (
        "Solve the task once: count the words of a text (a CLI tool and plain Python)",
        f"""
        from collections import Counter
        text = {TEXT!r}
        total = int(tools.wc.words(input=text))
        words = [w.strip(".,").lower() for w in text.split()]
        top = dict(Counter(words).most_common(3))
        print(f"{{total}} words; most common: {{top}}")
        artifacts.save("first_report.json", {{"total": total, "top": top}}, description="stats")
        """,
    ),
    (
        "It worked, so save it as a skill",
        '''
        skills.create(
            name="word_stats",
            source="""
        from collections import Counter

        def run(text: str, top: int = 3) -> dict:
            \\"\\"\\"Count the words of a text and find the most common ones.\\"\\"\\"
            total = int(tools.wc.words(input=text))
            words = [w.strip(".,").lower() for w in text.split()]
            return {"total": total, "top": dict(Counter(words).most_common(top))}
        """,
        )
        ''',
    ),
    (
        "Next time: search the library instead of re-planning",
        """
        skills.search("count the words in a text")
        """,
    ),
    (
        "Invoke the skill that was found",
        """
        skills.invoke("word_stats", text="the cat and the hat and the bat", top=2)
        """,
    ),
    (
        "Compose: a new skill built on the first one",
        '''
        skills.create(
            name="compare_texts",
            source="""
        async def run(a: str, b: str) -> dict:
            \\"\\"\\"Compare two texts by their word statistics; saves the comparison.\\"\\"\\"
            left = await skills.invoke("word_stats", text=a)
            right = skills.word_stats(text=b)
            result = {"longer": "a" if left["total"] >= right["total"] else "b",
                      "a": left["total"], "b": right["total"]}
            artifacts.save("comparison.json", result)
            return result
        """,
        )
        skills.compare_texts(a="one two three", b="one two three four five")
        ''',
    ),
]

LATER: tuple[str, str] = (
    "A new session on the same workspace: the skills and artifacts are still there",
    """
    {"skills": [s["name"] for s in skills.list()],
     "artifacts": {a["name"]: f'{a["type"]}, {a["size"]} bytes' for a in artifacts.list()},
     "again": skills.word_stats(text="saved skills outlive sessions", top=1)["total"]}
    """,
)
"""Played in a second session, after the first has closed: persistence, shown."""


def add_parser(commands: Any) -> None:
    """Register the sub-command."""
    parser = commands.add_parser(
        "demo", help="run a scripted agent episode showing the learning loop"
    )
    parser.add_argument(
        "--base",
        default=None,
        help="workspace directory to play in and keep (default: a temporary one, removed "
        "afterwards unless --keep)",
    )
    parser.add_argument(
        "--init", action="store_true", help="create the --base directory if it does not exist"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary workspace and print its path"
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the episode in the given or a temporary workspace."""
    if args.base is not None:
        return asyncio.run(episode(workspace(args.base, init=args.init, command="demo")))
    if args.keep:
        kept = Path(tempfile.mkdtemp(prefix="py-code-mode-demo-"))
        status = asyncio.run(episode(kept))
        print(f"The workspace is kept: {kept}")
        return status
    with tempfile.TemporaryDirectory(prefix="py-code-mode-demo-") as temporary:
        status = asyncio.run(episode(Path(temporary)))
    print("The temporary workspace was removed; --keep keeps it, --base DIR plays in yours.")
    return status


def prepare_workspace(base: Path) -> None:
    """Write the demo's tool definition into the workspace."""
    (base / "tools").mkdir(parents=True, exist_ok=True)
    (base / "tools" / "wc.yaml").write_text(WC_TOOL, encoding="utf-8")


async def episode(base: Path) -> int:
    """Play every step; exit status 1 if any step failed."""
    prepare_workspace(base)
    print(f"py-code-mode demo: workspace {base}\n")
    failures = 0
    async with Session.from_base(base) as session:
        for number, (title, code) in enumerate(STEPS, 1):
            failures += not await _step(session, number, title, code)
    # The first session has closed, its worker is gone: what a new one finds was stored.
    async with Session.from_base(base) as later:
        failures += not await _step(later, len(STEPS) + 1, *LATER)
    return 1 if failures else 0


async def _step(session: Session, number: int, title: str, code: str) -> bool:
    source = textwrap.dedent(code).strip("\n")
    result = await session.run(source, timeout=60)
    print(render_step(number, title, source, result))
    return result.is_ok


def render_step(number: int, title: str, source: str, result: ExecutionResult) -> str:
    """One step as a person reads it: title, the agent's code, what came back."""
    lines = [f"── step {number}: {title}", textwrap.indent(source, "   │ ", lambda _: True)]
    if result.stdout:
        lines.append(textwrap.indent(result.stdout.rstrip("\n"), "   stdout: "))
    if result.error:
        lines.append(textwrap.indent(result.error, "   error: "))
    elif result.value is not None:
        shown = json.dumps(result.value, indent=2, ensure_ascii=False)
        lines.append(textwrap.indent(shown, "   ⇒ "))
    lines.append(f"   ({result.execution_time_ms:.0f} ms)\n")
    return "\n".join(lines)
