"""Every code block of the docs and the README runs, as `_blocks.py` describes.

One test per page: its blocks run in order in a child process (`_runner.py`) in a
directory of their own, against real local servers where the page names them. A block
that is code but neither runs nor says why is a failure, so a new block cannot slip by.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.docs._blocks import NOT_CODE, Block, Page, read_page
from tests.docs._servers import SERVERS

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted((ROOT / "docs").rglob("*.md"))
INCLUDED = sorted(
    {
        ROOT / name
        for page in DOCS
        for name in re.findall(r'^--8<-- "([^"]+\.md)"$', page.read_text(), re.MULTILINE)
    }
)
"""Files a docs page shows whole (the adapters' and packages' READMEs): their blocks too."""
PAGES = [ROOT / "README.md", *DOCS, *INCLUDED]
DEFAULT_SESSION = 'Session(storage=FileStorage("./data"))'


def plan(page: Page) -> list[dict[str, Any]]:
    """The page's steps, or an AssertionError naming each block that says nothing."""
    steps: list[dict[str, Any]] = []
    unexplained: list[str] = []
    for block in page.blocks:
        step = _step(block)
        if step is None:
            if block.language not in NOT_CODE and not _explained(block):
                unexplained.append(block.where)
            continue
        steps.append(step)
    assert not unexplained, (
        "code blocks that neither run nor say why not (see tests/docs/_blocks.py): "
        + ", ".join(unexplained)
    )
    return steps


def _explained(block: Block) -> bool:
    return (block.marker or "").startswith("skip:") or block.text.strip().startswith("--8<--")


def _step(block: Block) -> dict[str, Any] | None:
    marker = block.marker or ""
    base = {"where": block.where, "text": block.text}
    if block.text.strip().startswith("--8<--"):
        return None  # a file of the repository, shown whole; tested where it lives
    if marker.startswith("skip:"):
        assert marker.removeprefix("skip:").strip(), f"{block.where}: skip: needs a reason"
        return None
    if marker == "output":
        return {**base, "kind": "output"}
    if block.title is not None:
        return {**base, "kind": "file", "path": block.title}
    if block.language == "python":
        if marker.startswith("agent"):
            raises = marker.removeprefix("agent").strip().removeprefix("raises").strip()
            return {**base, "kind": "agent", "raises": raises or None}
        if marker.startswith("raises"):
            return {**base, "kind": "host", "raises": marker.removeprefix("raises").strip()}
        assert not marker, f"{block.where}: unknown marker {marker!r}"
        return {**base, "kind": "host"}
    if block.language in ("bash", "sh", "shell") and marker == "run":
        return {**base, "kind": "bash"}
    return None


def matches(shown: str, printed: str) -> bool:
    """Whether printed output is what a page shows.

    `...` on a line of its own stands for any lines; within a line, for any text.
    """
    pattern = ""
    for line in shown.rstrip("\n").splitlines():
        if line.strip() == "...":
            pattern += r"(?:.*\n)*?"
        elif "..." in line:
            pattern += ".*".join(re.escape(part) for part in line.rstrip().split("...")) + r"\n"
        else:
            pattern += re.escape(line.rstrip()) + r"[ \t]*\n"
    return re.fullmatch(pattern, printed if printed.endswith("\n") else printed + "\n") is not None


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_page_runs(path: Path, tmp_path: Path) -> None:
    page = read_page(path, ROOT)
    steps = plan(page)
    runnable = [step for step in steps if step["kind"] != "output"]
    if not runnable:
        return
    with ExitStack() as stack:
        rewrites: dict[str, str] = {}
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        for name in _listed(page.settings.get("servers", [])):
            assert name in SERVERS, f"{page.path.name}: unknown server {name!r}; {list(SERVERS)}"
            found, variables = stack.enter_context(SERVERS[name](tmp_path))
            rewrites.update(found)
            env.update(variables)

        def local(text: str) -> str:
            for original, replacement in rewrites.items():
                text = text.replace(original, replacement)
            return text

        def public(text: str) -> str:
            """Printed output as the page shows it: the local servers' URLs back to the page's."""
            for original, replacement in rewrites.items():
                text = text.replace(replacement, original)
            return text

        plan_file = tmp_path / ".plan.json"
        results_file = tmp_path / ".results.json"
        plan_file.write_text(
            json.dumps(
                {
                    "session": (page.settings.get("session") or [DEFAULT_SESSION])[-1],
                    "before": [local(code) for code in page.settings.get("before", [])],
                    "steps": [{**s, "text": local(s["text"])} for s in runnable],
                }
            )
        )
        done = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("_runner.py")), plan_file, results_file],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=110,
        )
    results = json.loads(results_file.read_text()) if results_file.exists() else []
    context = f"\n--- stdout\n{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-4000:]}"
    for result in results:
        assert result["error"] is None, f"{result['where']}:\n{result['error']}{context}"
    assert done.returncode == 0 and len(results) == len(runnable), context
    printed = {result["where"]: public(result["stdout"]) for result in results}
    previous: str | None = None
    for step in steps:
        if step["kind"] == "output":
            assert previous is not None, f"{step['where']}: output of no block"
            assert matches(step["text"], printed[previous]), (
                f"{step['where']} shows output that {previous} does not print:\n"
                f"--- shown\n{step['text']}--- printed\n{printed[previous]}"
            )
        elif step["kind"] in ("host", "agent", "bash"):
            previous = step["where"]


def _listed(values: list[str]) -> list[str]:
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def test_a_block_that_says_nothing_fails_the_page(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# A page\n\n```python\nprint(1)\n```\n\n```bash\nrm -rf /\n```\n")
    with pytest.raises(AssertionError, match=r"page.md:7"):
        plan(read_page(page, tmp_path))


def test_shown_output_is_matched_line_by_line_with_ellipses() -> None:
    assert matches("a\n...\nd\n", "a\nb\nc\nd\n")
    assert matches("total: ...\n", "total: 12 files\n")
    assert matches("failed: ... exit status 1.\n", "failed: uv ended with exit status 1.\n")
    assert not matches("a\nd\n", "a\nb\nd\n")
    assert not matches("total: 3\n", "total: 4\n")
