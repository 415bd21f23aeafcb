"""`CodeModeToolkit`: the py-code-mode catalogue of a Session as a LangChain toolkit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from langchain_core.tools import BaseTool, BaseToolkit
from py_code_mode import AgentTool, Session, Toolkit, ToolkitOptions
from py_code_mode.errors import UsageError
from pydantic import ConfigDict, InstanceOf, PrivateAttr

from py_code_mode_langchain._host_tools import function_tools
from py_code_mode_langchain._tool import CodeModeTool

__all__ = ["CodeModeToolkit"]


class CodeModeToolkit(BaseToolkit):
    """The tools of one py-code-mode Session (`run_code`, `search_skills`, ...) for LangChain.

    The tools are made once and handed out again by every `get_tools()` /
    `aget_tools()`. Those calls also refresh the `run_code` description, which lists the
    session's tools and skills, and update it on the tools in place: an agent built from
    them sees the new listing on its next model call. Refresh after skills change, or
    rely on the model calling `list_skills` / `search_skills`.

    Attributes:
        session: The session every tool acts on.
        options: Which tools to offer and how much text they return (default: all).
        tools: LangChain tools the agent already has, offered inside `run_code` as
            `tools.<name>(**kw)` instead of as separate tools, so the model chains them in
            one program. They run on the host. Give them before the session starts.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    session: InstanceOf[Session]
    options: InstanceOf[ToolkitOptions] | None = None
    tools: list[InstanceOf[BaseTool]] | None = None

    _toolkit: Toolkit = PrivateAttr()
    _tools: dict[str, CodeModeTool] = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        if self.tools:
            self.session.add_tools(function_tools(self.tools))
        self._toolkit = Toolkit(self.session, self.options)
        self._tools = {
            tool.name: CodeModeTool(toolkit=self._toolkit, tool=tool)
            for tool in self._toolkit.tools
        }

    @property
    def toolkit(self) -> Toolkit:
        """The framework-neutral catalogue the tools translate."""
        return self._toolkit

    def get_tools(self) -> list[BaseTool]:
        """The tools, with the `run_code` listing refreshed from the session if it can be.

        The refresh runs on the session's own loop through its portal, so this works from
        plain sync code, from worker threads and from a thread whose loop does not run the
        session. If the session has not started, it starts on a background loop (stop it
        with `close()`). On the thread that runs the session's loop, blocking would
        deadlock, so the listing stays as of the last refresh there; `await aget_tools()`
        refreshes it.
        """
        if "run_code" not in self._tools:  # nothing to refresh: don't touch the session
            return self._update(self._toolkit.tools)
        try:
            catalogue = self._toolkit.portal.call_sync(self._toolkit.list)
        except UsageError:
            catalogue = self._toolkit.tools
        return self._update(catalogue)

    async def aget_tools(self) -> list[BaseTool]:
        """The tools, with the `run_code` listing refreshed from the session."""
        return self._update(await self._toolkit.list())

    def close(self) -> None:
        """Stop the background loop the sync path may have started for the session.

        If the session runs on that loop (it was first used from sync code), it is closed
        too; a session started by the caller's own loop is left to its owner.
        """
        self._toolkit.portal.close()

    def _update(self, catalogue: Iterable[AgentTool]) -> list[BaseTool]:
        for agent_tool in catalogue:
            tool = self._tools[agent_tool.name]
            if tool.description != agent_tool.description:
                tool.description = agent_tool.description
        return list(self._tools.values())
