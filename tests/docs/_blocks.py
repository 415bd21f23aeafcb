"""Reads the code blocks of a Markdown page, with what the page says about running them.

Every fenced block of code is run by `test_snippets.py` unless the page says why not. What a
block is, and how it runs, comes from its language, its `title="..."` and an HTML comment
on the line just before it (invisible on the site and on GitHub):

- ```` ```python ````: host code. A page's host blocks run in order in one interpreter,
  sharing their globals; top-level `await` and `async with` run on one event loop, as in
  `python -m asyncio` or a notebook.
- `<!-- docs-test: agent -->` before a python block: agent code, run with `session.run`
  in the page's agent session (`<!-- docs-test-page session: EXPR -->`, by default
  `Session(storage=FileStorage("./data"))`); the run must end without an error, or with
  the one named by `<!-- docs-test: agent raises NameError -->`.
- `<!-- docs-test: raises KeyError -->` before a host block: it must raise that.
- `title="path"` on any block: the block is a file, written at that path (relative to the
  page's directory) before the blocks after it run. A tool definition under `tools/` must
  load.
- ```` ```bash ```` with `<!-- docs-test: run -->`: the commands run in the page's directory
  with `bash -euo pipefail`, the project's commands on `PATH`.
- `<!-- docs-test: output -->` before a block: what the block before it printed, compared
  line by line; `...` on a line of its own stands for any lines, and within a line for any
  text.
- `<!-- docs-test: skip: why -->`: not run, with the reason.
- ```` ```text ````, ```` ``` ```` and ```` ```mermaid ```` blocks are pictures and shown
  output, not code.

Page-wide comments: `<!-- docs-test-page servers: redis, github -->` starts those servers
for the page and points the page's URLs at them; `<!-- docs-test-page before: CODE -->`
runs hidden host code first (kept for what a reader need not see, such as a stand-in).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Block", "Page", "read_page"]

NOT_CODE = {"", "text", "mermaid", "console-output"}

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_MARKER = re.compile(r"^\s*<!--\s*docs-test:\s*(?P<what>.*?)\s*-->\s*$")
_PAGE_MARKER = re.compile(r"<!--\s*docs-test-page\s+(?P<key>\w[\w-]*):\s*(?P<value>.*?)-->", re.S)
_TITLE = re.compile(r"""title=(?:"([^"]*)"|'([^']*)'|(\S+))""")


@dataclass
class Block:
    """One fenced block: where it is, its language, title, marker and text."""

    page: str
    line: int
    language: str
    title: str | None
    marker: str | None
    text: str

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


@dataclass
class Page:
    """A page's blocks and its page-wide settings."""

    path: Path
    blocks: list[Block] = field(default_factory=list)
    settings: dict[str, list[str]] = field(default_factory=dict)


def read_page(path: Path, root: Path) -> Page:
    """Every fenced block of `path`, with the marker on the line before each."""
    text = path.read_text(encoding="utf-8")
    name = path.relative_to(root).as_posix()
    page = Page(path)
    for found in _PAGE_MARKER.finditer(text):
        page.settings.setdefault(found["key"], []).append(found["value"].strip())
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, fence, info = opening["indent"], opening["fence"], opening["info"].strip()
        body: list[str] = []
        end = index + 1
        while end < len(lines):
            closing = lines[end].strip()
            if closing.startswith(fence[0] * len(fence)) and not closing.strip(fence[0]):
                break
            body.append(lines[end][len(indent) :] if lines[end].startswith(indent) else lines[end])
            end += 1
        else:
            raise ValueError(f"{name}:{index + 1}: a code block that never closes")
        previous = _previous_line(lines, index)
        marked = _MARKER.match(previous) if previous is not None else None
        title = _TITLE.search(info)
        page.blocks.append(
            Block(
                page=name,
                line=index + 1,
                language=info.split()[0].lstrip("{.").rstrip("}") if info else "",
                title=next((g for g in title.groups() if g), None) if title else None,
                marker=marked["what"] if marked else None,
                text="\n".join(body) + "\n",
            )
        )
        index = end + 1
    return page


def _previous_line(lines: list[str], index: int) -> str | None:
    """The closest line above a fence that is not blank."""
    for line in reversed(lines[:index]):
        if line.strip():
            return line
    return None
