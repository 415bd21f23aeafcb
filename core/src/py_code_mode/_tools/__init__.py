"""CLI tools: YAML definitions checked into a registry, called as `tools.<name>.<recipe>()`.

`definition` turns one `tools/*.yaml` mapping into a checked definition, `cli` renders a
call to argv and runs it, `registry` holds the tools of a session and finds them.
"""

from py_code_mode._tools.registry import ToolRegistry

__all__ = ["ToolRegistry"]
