"""Ships the capability packages (the repository's top-level `packages/`) inside the wheel.

They live at the top of the source tree, beside the import packages' folders, and are
installed as `py_code_mode/packages`, where `Session(packages=["web"])` finds them. An
sdist carries them as they are; an editable install reads the checkout's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CustomBuildHook(BuildHookInterface):
    """Adds `packages/` to the wheel as `py_code_mode/packages`."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Find `packages/` at the top of the tree (a checkout or an unpacked sdist)."""
        if self.target_name != "wheel" or version == "editable":
            return
        source = Path(self.root) / "packages"
        if not source.is_dir():
            raise FileNotFoundError(f"no packages/ in {self.root}: the tree is incomplete")
        build_data["force_include"][str(source)] = "py_code_mode/packages"
