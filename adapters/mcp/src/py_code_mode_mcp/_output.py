"""Stream `run_code` output to the MCP client while the code runs.

The channel is the request's progress notifications: each carries the text printed since
the last one as its `message`. MCP's logging notifications would fit too, but the SDK
deprecates them (SEP-2577), and progress is what a client asks for per call by sending a
progress token; without one nothing is sent. The result still carries the whole (cut)
output, so streaming is a view for people watching, never the only copy.
"""

from __future__ import annotations

import logging
import math
from typing import Literal

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.server.session import ServerSession

__all__ = ["STREAM_LIMIT", "OutputRelay"]

logger = logging.getLogger(__name__)

STREAM_LIMIT = 1_000_000
"""The most characters streamed per call: a print loop must not flood the client."""


class OutputRelay:
    """Turns the executor's output callback into progress notifications for one request.

    The executor calls the relay on the event loop's thread, from code that must never
    fail because a client went away, so the callback only queues; `forward` sends, batching
    whatever queued up while the previous notification was being written.
    """

    def __init__(self, session: ServerSession, *, limit: int = STREAM_LIMIT) -> None:
        self._session = session
        self._limit = limit
        self._sent = 0
        self._send: MemoryObjectSendStream[str]
        self._receive: MemoryObjectReceiveStream[str]
        self._send, self._receive = anyio.create_memory_object_stream[str](math.inf)

    def __call__(self, stream: Literal["stdout", "stderr"], text: str) -> None:
        try:
            self._send.send_nowait(text)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            pass  # the call is over or the client is gone; the result keeps the output

    def close(self) -> None:
        """No more output: `forward` sends what is queued and returns."""
        self._send.close()

    async def forward(self) -> None:
        """Send queued output as progress notifications until `close`."""
        with self._receive:
            async for text in self._receive:
                batch = [text]
                while True:
                    try:
                        batch.append(self._receive.receive_nowait())
                    except (anyio.WouldBlock, anyio.EndOfStream):
                        break
                if not await self._notify("".join(batch)):
                    return

    async def _notify(self, text: str) -> bool:
        if not text or self._sent >= self._limit:
            return True  # progress must grow with every notification; nothing to add
        if self._sent + len(text) > self._limit:
            text = text[: self._limit - self._sent] + (
                f"\n... [streaming stopped after {self._limit:,} characters; the result "
                "holds the head and tail of the output] ...\n"
            )
        self._sent += len(text)
        try:
            await self._session.report_progress(self._sent, message=text)
        except Exception:  # a task's top level: losing the live view must not fail the call
            logger.exception("could not stream run_code output to the client; stopping")
            return False
        return True
