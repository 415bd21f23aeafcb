"""Ships the capability packages (the repository's top-level `packages/`) inside the wheel.

They live beside the distributions in the source tree, as the design lays out, and are
installed as `py_code_mode/packages`, where `Session(packages=["web"])` finds them. An
sdist carries them at its own top level; an editable install reads the checkout's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CustomBuildHook(BuildHookInterface):
    """Adds `packages/` to the wheel as `py_code_mode/packages`."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Find `packages/`: beside core in a checkout, or inside an unpacked sdist."""
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        for source in (root.parent / "packages", root / "packages"):
            if source.is_dir():
                build_data["force_include"][str(source)] = "py_code_mode/packages"
                return
        raise FileNotFoundError(f"no packages/ beside or inside {root}: the tree is incomplete")
