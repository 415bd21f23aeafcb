"""py-code-mode: agents write Python in a persistent session with tools, skills, artifacts, deps.

Names are imported on first use (PEP 562): the worker process imports this package to reach
its standard-library runtime, and must not pay for pydantic, yaml or the storage backends.
"""

from __future__ import annotations

import importlib

from py_code_mode import errors as _errors  # standard library only: cheap for the worker

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: the worker imports this package

if TYPE_CHECKING:
    from typing import Any

    __version__: str
    from py_code_mode.errors import (
        ArtifactDataError,
        ArtifactNotFoundError,
        CodeModeError,
        DepsInstallError,
        InfrastructureError,
        InputError,
        InvalidNameError,
        InvalidRequirementError,
        InvalidSkillError,
        NotFoundError,
        RuntimeDepsDisabledError,
        SessionClosedError,
        SkillNotFoundError,
        StorageError,
        ToolArgumentError,
        ToolDefinitionError,
        ToolFailedError,
        ToolNotFoundError,
        UsageError,
        WorkerLostError,
    )
    from py_code_mode.execution.inprocess import InProcessExecutor
    from py_code_mode.execution.subprocess import SubprocessExecutor
    from py_code_mode.result import ExecutionResult
    from py_code_mode.session import Session
    from py_code_mode.storage.file import FileStorage
    from py_code_mode.storage.redis import RedisStorage
    from py_code_mode.sync import SyncSession

_LOCATIONS = {
    "ExecutionResult": "py_code_mode.result",
    "FileStorage": "py_code_mode.storage.file",
    "InProcessExecutor": "py_code_mode.execution.inprocess",
    "RedisStorage": "py_code_mode.storage.redis",  # needs the [redis] extra
    "Session": "py_code_mode.session",
    "SubprocessExecutor": "py_code_mode.execution.subprocess",
    "SyncSession": "py_code_mode.sync",
}
_LOCATIONS.update(dict.fromkeys(_errors.__all__, "py_code_mode.errors"))

__all__ = [
    "ArtifactDataError",
    "ArtifactNotFoundError",
    "CodeModeError",
    "DepsInstallError",
    "ExecutionResult",
    "FileStorage",
    "InProcessExecutor",
    "InfrastructureError",
    "InputError",
    "InvalidNameError",
    "InvalidRequirementError",
    "InvalidSkillError",
    "NotFoundError",
    "RedisStorage",
    "RuntimeDepsDisabledError",
    "Session",
    "SessionClosedError",
    "SkillNotFoundError",
    "StorageError",
    "SubprocessExecutor",
    "SyncSession",
    "ToolArgumentError",
    "ToolDefinitionError",
    "ToolFailedError",
    "ToolNotFoundError",
    "UsageError",
    "WorkerLostError",
    "__version__",
]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("py-code-mode-core")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0.0.0"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        globals()[name] = value = _version()
        return value
    module = _LOCATIONS.get(name)
    if module is None:
        raise AttributeError(f"module 'py_code_mode' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
