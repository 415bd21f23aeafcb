"""run_code output, chunk by chunk, as LangChain custom callback events.

LangChain's channel for a tool to report progress is the custom event
(`dispatch_custom_event` / `adispatch_custom_event`): every callback handler with
`on_custom_event` receives it, and `astream_events(version="v2")` yields it as an
`on_custom_event` whose `run_id` is the tool run's. The session calls `on_output` on the
thread of its own event loop, so the two paths differ in where handlers run:

- async (`_arun`): chunks are queued to the caller's loop and dispatched there in order,
  so async handlers run where LangChain expects them;
- sync (`_run`): the caller's thread is blocked waiting for the result, so each chunk is
  dispatched at once on the session's thread. Handlers should be quick there and must not
  call the session synchronously.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

from langchain_core.callbacks import (
    AsyncCallbackManager,
    AsyncCallbackManagerForToolRun,
    CallbackManagerForToolRun,
    adispatch_custom_event,
    dispatch_custom_event,
)
from py_code_mode import OutputCallback

__all__ = ["OUTPUT_EVENT", "forward_output", "has_listeners", "stream_output"]

logger = logging.getLogger(__name__)

OUTPUT_EVENT = "py_code_mode.output"
"""The custom event name; its data is `{"stream": "stdout" | "stderr", "text": chunk}`."""

_Chunk = tuple[Literal["stdout", "stderr"], str]


def forward_output(run_manager: CallbackManagerForToolRun) -> OutputCallback:
    """An `on_output` that dispatches each chunk as it arrives, on the session's thread."""
    children = run_manager.get_child()

    def on_output(stream: Literal["stdout", "stderr"], text: str) -> None:
        try:
            dispatch_custom_event(
                OUTPUT_EVENT, {"stream": stream, "text": text}, config={"callbacks": children}
            )
        except Exception:
            # A handler that raises must not break the session's output reader, which is
            # what called us; the run itself goes on.
            logger.exception("a callback handler failed on %s", OUTPUT_EVENT)

    return on_output


@asynccontextmanager
async def stream_output(
    run_manager: AsyncCallbackManagerForToolRun,
) -> AsyncIterator[OutputCallback]:
    """An `on_output` whose chunks are dispatched in order on the current loop.

    On a clean exit every chunk received before it has been dispatched.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[_Chunk | None] = asyncio.Queue()

    def put(item: _Chunk | None) -> None:
        # Called on the session's loop, which may be this one or another thread's; a
        # thread-safe hand-off costs a wake-up, so it is only used when needed.
        try:
            same_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            same_loop = False
        if same_loop:
            queue.put_nowait(item)
        else:
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def on_output(stream: Literal["stdout", "stderr"], text: str) -> None:
        put((stream, text))

    pump = asyncio.create_task(_dispatch(queue, run_manager.get_child()))
    try:
        yield on_output
    except BaseException:
        pump.cancel()
        raise
    # Chunks were queued (or scheduled onto this loop) before the run's result arrived,
    # so the end marker, queued now, comes after all of them.
    put(None)
    await pump


def has_listeners(run_manager: AsyncCallbackManagerForToolRun | CallbackManagerForToolRun) -> bool:
    """Whether any callback handler could receive output events; streaming costs nothing else."""
    return bool(run_manager.handlers or run_manager.inheritable_handlers)


async def _dispatch(queue: asyncio.Queue[_Chunk | None], children: AsyncCallbackManager) -> None:
    while (chunk := await queue.get()) is not None:
        stream, text = chunk
        await adispatch_custom_event(
            OUTPUT_EVENT, {"stream": stream, "text": text}, config={"callbacks": children}
        )
