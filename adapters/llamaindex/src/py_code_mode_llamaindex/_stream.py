"""`CodeOutputEvent`: what run_code prints, on a workflow's event stream as it is printed."""

from __future__ import annotations

import asyncio
from typing import Literal

from llama_index.core.workflow import Context, Event
from py_code_mode import OutputCallback

__all__ = ["CodeOutputEvent", "stream_to"]


class CodeOutputEvent(Event):
    """A chunk of what `run_code` printed, streamed while the code still runs.

    Workflow agents (`FunctionAgent`, `ReActAgent`, `AgentWorkflow`) publish it on their
    event stream next to `ToolCall` and `ToolCallResult`; read it with
    `handler.stream_events()`. The full output still arrives in the tool's result.
    """

    stream: Literal["stdout", "stderr"]
    """Which stream the agent's code wrote to."""
    text: str
    """The text, exactly as written (not split into lines)."""


def stream_to(ctx: Context) -> OutputCallback:
    """An `on_output` callback that writes each chunk to `ctx`'s event stream.

    Must be called on the loop that runs the workflow step. The session calls back on its
    own loop, which may be another thread's (a session first used from sync code lives on
    a background loop); the context only accepts events on the workflow's loop, so the
    chunk is handed over there. `call_soon_threadsafe` keeps the chunks in order and ahead
    of the tool's result, which comes back the same way.
    """
    workflow_loop = asyncio.get_running_loop()

    def write(stream: Literal["stdout", "stderr"], text: str) -> None:
        event = CodeOutputEvent(stream=stream, text=text)
        if _running_loop() is workflow_loop:
            ctx.write_event_to_stream(event)
        else:
            workflow_loop.call_soon_threadsafe(ctx.write_event_to_stream, event)

    return write


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
