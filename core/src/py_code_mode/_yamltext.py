"""YAML errors said in one line: what is wrong and where, without PyYAML's drawings.

PyYAML's own message spans several lines, with the offending line and a caret under it;
a terminal, a log line or a model reads the problem and the position better.
"""

from __future__ import annotations

import yaml

__all__ = ["yaml_problem"]


def yaml_problem(exc: yaml.YAMLError) -> str:
    """``expected ',' or ']', but got '<stream end>' (line 2, column 1)``."""
    problem = getattr(exc, "problem", None)
    if not isinstance(problem, str):
        return " ".join(str(exc).split())
    mark = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context", None)
    said = f"{context}: {problem}" if isinstance(context, str) else problem
    if mark is None:
        return said
    return f"{said} (line {mark.line + 1}, column {mark.column + 1})"
