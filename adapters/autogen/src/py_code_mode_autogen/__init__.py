"""py-code-mode for AutoGen: a persistent Python session as a workbench or as tools.

`CodeModeWorkbench(session)` is the whole catalogue as one `Workbench` (with streaming of
run_code's output and a component config); `code_mode_tools(session)` is the same
catalogue as `BaseTool`s for `AssistantAgent(tools=...)`.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from py_code_mode_autogen._events import CodeOutputEvent
from py_code_mode_autogen._tools import code_mode_tools
from py_code_mode_autogen._workbench import CodeModeWorkbench

__all__ = ["CodeModeWorkbench", "CodeOutputEvent", "__version__", "code_mode_tools"]

try:
    __version__ = version("py-code-mode")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0.0.0"
