"""Child processes, one way everywhere: bounded output, exits in words, merged streams.

That a timeout or a cancellation kills a command's whole group is tested through the tools
that use it (tests/core/tools/test_tools_cli.py).
"""

from __future__ import annotations

import sys

import anyio
import pytest
from py_code_mode._process import Bounded, Command, Lines, describe_exit

pytestmark = pytest.mark.anyio


def test_bounded_keeps_the_head_and_the_tail_and_counts_the_rest() -> None:
    kept = Bounded(head=4, tail=3)
    for chunk in (b"ab", b"cdef", b"ghij" * 100, b"xyz"):
        kept.add(chunk)
    assert (kept.head, kept.tail, kept.total) == (b"abcd", b"xyz", 409)
    assert kept.dropped == 402
    assert kept.text().startswith("abcd\n[... 402 bytes of output cut; 409 bytes in all ...]")
    assert kept.text().endswith("xyz")
    small = Bounded(head=10, tail=10)
    small.add(b"short")
    assert (small.text(), small.dropped, small.raw()) == ("short", 0, b"short")


def test_lines_are_emitted_as_they_complete_and_long_ones_are_cut() -> None:
    seen: list[str] = []
    lines = Lines(seen.append, longest=8)
    lines.add(b"one\r\ntw")
    assert seen == ["one"]
    lines.add(b"o\nabcdefghijkl")
    assert seen == ["one", "two", "abcdefghijkl"]
    lines.add(b"\xfflast")
    lines.close()
    assert seen[-1] == "\ufffdlast"


@pytest.mark.parametrize(
    ("code", "words"),
    [(0, "exit status 0"), (3, "exit status 3"), (-9, "killed by SIGKILL"), (None, "stopped")],
)
def test_an_exit_is_named_in_words(code: int | None, words: str) -> None:
    assert words in describe_exit(code)


async def test_a_command_that_cannot_start_raises_the_os_error() -> None:
    command = Command(["/no/such/program"], stdout=Bounded(head=10), timeout=5)
    with pytest.raises(FileNotFoundError):
        await command.run()


async def test_stderr_can_be_merged_into_stdout() -> None:
    seen: list[str] = []
    lines = Lines(seen.append)
    code = "import sys; print('out', flush=True); print('err', file=sys.stderr, flush=True)"
    command = Command([sys.executable, "-c", code], stdout=lines, timeout=30)
    with anyio.fail_after(30):
        assert await command.run() is True
    lines.close()
    assert seen == ["out", "err"] and command.returncode == 0
