"""Runtime deps: which package specs are allowed, installing them, and the deps list.

`requirements` checks specs from agent code, `installer` runs uv or pip against a
per-workspace target directory, and `manager` keeps the stored deps list and that directory
in step.
"""

from py_code_mode._deps.installer import Installer
from py_code_mode._deps.manager import DepsManager
from py_code_mode._deps.requirements import normalize, parse_requirement

__all__ = ["DepsManager", "Installer", "normalize", "parse_requirement"]
