"""py-code-mode for LlamaIndex: a session's agent-facing tools as a `BaseToolSpec`.

`CodeModeToolSpec(session=...).to_tool_list()` gives `FunctionTool`s for any LlamaIndex
agent; in workflow agents, `run_code` streams what the code prints as `CodeOutputEvent`s.
"""

from __future__ import annotations

from importlib.metadata import version

try:
    import llama_index.core  # noqa: F401
except ImportError as exc:  # pragma: no cover - the distribution depends on it
    raise ImportError(
        "py_code_mode_llamaindex needs llama-index-core: pip install 'py-code-mode[llamaindex]'"
    ) from exc

from py_code_mode_llamaindex._spec import CodeModeToolSpec
from py_code_mode_llamaindex._stream import CodeOutputEvent

__version__ = version("py-code-mode")

__all__ = ["CodeModeToolSpec", "CodeOutputEvent", "__version__"]
