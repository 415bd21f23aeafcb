"""The event `run_code` streams: one chunk of what the code printed, as it printed it."""

from __future__ import annotations

from typing import Literal

from autogen_agentchat.messages import BaseAgentEvent

__all__ = ["CodeOutputEvent"]


class CodeOutputEvent(BaseAgentEvent):
    """A chunk of stdout or stderr from code that is still running.

    An AgentChat event, so a custom agent can pass it on from `on_messages_stream` and
    `Console` renders it. A team only accepts event types it knows: pass
    `custom_message_types=[CodeOutputEvent]` when you build one that relays these.
    """

    content: str
    """The text, exactly as the code wrote it (no line buffering)."""

    stream: Literal["stdout", "stderr"]
    """Which stream the text was written to."""

    call_id: str | None = None
    """The tool call the output belongs to, when the caller gave one."""

    type: Literal["CodeOutputEvent"] = "CodeOutputEvent"

    def to_text(self) -> str:
        return self.content
