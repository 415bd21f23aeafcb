"""py-code-mode for LangChain: a Session's agent-facing tools as a `BaseToolkit`.

```python
toolkit = CodeModeToolkit(session=session)
agent = create_agent(model, await toolkit.aget_tools())
```
"""

from importlib.metadata import PackageNotFoundError, version

from py_code_mode_langchain._streaming import OUTPUT_EVENT
from py_code_mode_langchain._tool import CodeModeTool
from py_code_mode_langchain._toolkit import CodeModeToolkit

try:
    __version__ = version("py-code-mode")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["CodeModeTool", "CodeModeToolkit", "OUTPUT_EVENT", "__version__"]
