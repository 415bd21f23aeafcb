"""The worker's end of the channel over real pipes, with the test playing the host.

Who reads the pipe changes between runs, during a run, and while the main thread waits for
its own reply; every reply must reach its waiter whichever thread happens to read it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from py_code_mode._runtime import protocol
from py_code_mode._runtime.channel import PipeChannel
from py_code_mode.errors import ArtifactNotFoundError

WAIT = 10.0
"""Seconds a waiter may take to get a reply that is already in the pipe; generous for CI."""


@dataclass
class Host:
    """The test's side: reads what the worker sends, writes frames to it."""

    channel: PipeChannel
    from_worker: int
    to_worker: int

    frames: protocol.FrameBuffer = field(default_factory=protocol.FrameBuffer)

    def read(self) -> dict[str, Any]:
        while (frame := self.frames.pop()) is None:
            chunk = os.read(self.from_worker, self.frames.read_size())
            assert chunk, "the worker's end closed"
            self.frames.feed(chunk)
        return dict(frame)

    def write(self, *frames: dict[str, Any]) -> None:
        """All frames in one write, so the worker reads them in one chunk."""
        os.write(self.to_worker, b"".join(protocol.dumps(frame) for frame in frames))


@pytest.fixture
def host() -> Iterator[Host]:
    worker_read, host_write = os.pipe()
    host_read, worker_write = os.pipe()
    channel = PipeChannel(worker_read, worker_write)  # this thread is its main thread
    ends = Host(channel, host_read, host_write)
    try:
        yield ends
    finally:
        # Only the host's ends: the channel's parked reader thread lives on (a real worker
        # exits instead) and must never see its descriptors reused by another test.
        os.close(ends.from_worker)
        os.close(ends.to_worker)


def in_thread(host: Host, verb: str) -> tuple[threading.Thread, list[Any]]:
    """A thread of agent code making one plain request; its answer lands in the list."""
    answers: list[Any] = []
    thread = threading.Thread(
        target=lambda: answers.append(host.channel.request(verb, {})), daemon=True
    )
    thread.start()
    return thread, answers


def answered(thread: threading.Thread, answers: list[Any], expected: Any) -> bool:
    thread.join(WAIT)
    return not thread.is_alive() and answers == [expected]


def test_a_reply_read_with_the_next_command_reaches_its_waiter(host: Host) -> None:
    # Between runs a background thread asks; its reply and the next command arrive in one
    # read. The main thread takes the command and runs it, so nobody would read the pipe
    # again for the reply: it must be routed at once.
    thread, answers = in_thread(host, "tools.list")
    request = host.read()
    host.write(
        {"kind": "run", "id": 1, "code": "x = 1"},
        {"kind": "reply", "id": request["id"], "value": "late"},
    )
    assert host.channel.next_command() == {"kind": "run", "id": 1, "code": "x = 1"}
    assert answered(thread, answers, "late")
    host.channel.end_run()


def test_during_a_run_the_reader_thread_answers_other_threads(host: Host) -> None:
    host.write({"kind": "run", "id": 1, "code": "..."})
    assert host.channel.next_command() is not None  # the main thread now runs code
    thread, answers = in_thread(host, "skills.list")
    request = host.read()
    host.write({"kind": "reply", "id": request["id"], "value": ["from the reader"]})
    assert answered(thread, answers, ["from the reader"])
    host.channel.end_run()
    # The main thread reads again: the next command reaches it, not the reader thread.
    host.write({"kind": "reset", "id": 2})
    assert host.channel.next_command() == {"kind": "reset", "id": 2}
    host.channel.end_run()


def test_the_main_thread_reads_its_own_reply_and_routes_others_it_meets(host: Host) -> None:
    host.write({"kind": "run", "id": 1, "code": "..."})
    assert host.channel.next_command() is not None
    # The main thread's request: answer it together with a background thread's reply
    # in one write, the background one first.
    background, answers = in_thread(host, "artifacts.list")
    theirs = host.read()

    def reply_when_asked() -> None:
        mine = host.read()
        host.write(
            {"kind": "reply", "id": theirs["id"], "value": "theirs"},
            {"kind": "reply", "id": mine["id"], "value": "mine"},
        )

    replier = threading.Thread(target=reply_when_asked, daemon=True)
    replier.start()
    assert host.channel.request("artifacts.exists", {"name": "a"}) == "mine"
    assert answered(background, answers, "theirs")
    replier.join(WAIT)
    host.channel.end_run()


def test_an_error_reply_is_raised_as_our_own_error_class(host: Host) -> None:
    host.write({"kind": "run", "id": 1, "code": "..."})
    assert host.channel.next_command() is not None

    def reply_when_asked() -> None:
        asked = host.read()
        error = {"type": "ArtifactNotFoundError", "message": "No artifact named 'a'"}
        host.write({"kind": "reply", "id": asked["id"], "error": error})

    replier = threading.Thread(target=reply_when_asked, daemon=True)
    replier.start()
    with pytest.raises(ArtifactNotFoundError, match="No artifact named 'a'"):
        host.channel.request("artifacts.load", {"name": "a"})
    replier.join(WAIT)
    host.channel.end_run()


def test_the_host_going_away_between_runs_ends_the_command_loop(host: Host) -> None:
    os.close(host.to_worker)
    host.to_worker = os.open(os.devnull, os.O_WRONLY)  # for the fixture to close
    assert host.channel.next_command() is None
