"""`CodeModeToolSpec`: the py-code-mode catalogue as a LlamaIndex tool spec."""

from __future__ import annotations

from collections.abc import Sequence

from llama_index.core.tools import BaseTool, FunctionTool, ToolMetadata
from llama_index.core.tools.tool_spec.base import SPEC_FUNCTION_TYPE, BaseToolSpec
from py_code_mode import Session, Toolkit, ToolkitOptions

from py_code_mode_llamaindex._host_tools import function_tools
from py_code_mode_llamaindex._tool import to_function_tool

__all__ = ["CodeModeToolSpec"]


class CodeModeToolSpec(BaseToolSpec):
    """The agent-facing tools of one Session (`run_code`, `search_skills`, ...) for LlamaIndex.

    `BaseToolSpec` derives each tool from a method's signature and docstring; these tools
    come from `py_code_mode._toolkit.Toolkit` instead, so `to_tool_list` is overridden to
    pass the catalogue's names, descriptions and argument models through unchanged.
    `spec_functions` holds the offered tool names.

    Each `FunctionTool` works both ways: `acall` (what workflow agents use) awaits the
    session, `call` blocks from any thread, inside or outside a running loop. Mistakes
    of the model come back as `ToolOutput(is_error=True)` with a message saying what to
    do; the session stays usable.

    Args:
        session: The session every tool acts on; it starts on first use.
        options: Which tools to offer and how much text they return.
        tools: LlamaIndex tools the agent already has, offered inside `run_code` as
            `tools.<name>(**kw)` so the model chains them in one program; they run on the
            host. Give them before the session starts.

    Example:
        ```python
        spec = CodeModeToolSpec(session=Session.from_base("./data"))
        agent = FunctionAgent(tools=await spec.to_tool_list_async(), llm=llm)
        ```
    """

    def __init__(
        self,
        session: Session,
        options: ToolkitOptions | None = None,
        *,
        tools: Sequence[BaseTool] = (),
    ) -> None:
        if tools:
            session.add_tools(function_tools(tools))
        self._toolkit = Toolkit(session, options)
        self.spec_functions: list[SPEC_FUNCTION_TYPE] = [t.name for t in self._toolkit.tools]

    @property
    def toolkit(self) -> Toolkit:
        """The catalogue the tools translate."""
        return self._toolkit

    def to_tool_list(
        self,
        spec_functions: list[SPEC_FUNCTION_TYPE] | None = None,
        func_to_metadata_mapping: dict[str, ToolMetadata] | None = None,
    ) -> list[FunctionTool]:
        """The tools, with the `run_code` description as of the last refresh.

        The `run_code` description lists the session's tools and skills; reading them
        needs the session, so this sync method does not. `to_tool_list_async` does.

        Args:
            spec_functions: The tool names to include (default: all offered), in order.
            func_to_metadata_mapping: Metadata to use instead of the catalogue's, by name.

        Raises:
            ValueError: A name in `spec_functions` is not an offered tool.
        """
        mapping = func_to_metadata_mapping or {}
        names = [_name(spec) for spec in spec_functions or self.spec_functions]
        unknown = [name for name in names if name not in self.spec_functions]
        if unknown:
            raise ValueError(
                f"not offered by this spec: {', '.join(map(repr, unknown))}; "
                f"offered: {', '.join(map(str, self.spec_functions))}"
            )
        return [
            to_function_tool(self._toolkit, self._toolkit.get(name), mapping.get(name))
            for name in names
        ]

    async def to_tool_list_async(
        self,
        spec_functions: list[SPEC_FUNCTION_TYPE] | None = None,
        func_to_metadata_mapping: dict[str, ToolMetadata] | None = None,
    ) -> list[FunctionTool]:
        """The tools with a fresh `run_code` description: call it again after new skills.

        Args:
            spec_functions: The tool names to include (default: all offered), in order.
            func_to_metadata_mapping: Metadata to use instead of the catalogue's, by name.

        Raises:
            ValueError: A name in `spec_functions` is not an offered tool.
        """
        await self._toolkit.refresh()
        return self.to_tool_list(spec_functions, func_to_metadata_mapping)


def _name(spec: SPEC_FUNCTION_TYPE) -> str:
    # BaseToolSpec also takes (sync_name, async_name) pairs; every tool here has both.
    return spec if isinstance(spec, str) else spec[0]
