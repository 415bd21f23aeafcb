"""py-code-mode: agents write Python in a persistent session with tools, skills, artifacts, deps.

Every public name is here; the modules behind them are private (underscored), as in httpx.
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
    from py_code_mode._deps.installer import Installer
    from py_code_mode._execution.base import OutputCallback
    from py_code_mode._execution.container import ContainerExecutor
    from py_code_mode._execution.inprocess import InProcessExecutor
    from py_code_mode._execution.limits import Limits
    from py_code_mode._execution.sandbox import SandboxExecutor
    from py_code_mode._execution.subprocess import SubprocessExecutor
    from py_code_mode._result import ExecutionResult
    from py_code_mode._session import Session
    from py_code_mode._skills.embedders import (
        Embedder,
        FastEmbedEmbedder,
        LangChainEmbedder,
        LlamaIndexEmbedder,
        Model2VecEmbedder,
        SentenceTransformerEmbedder,
        StaticModelEmbedder,
    )
    from py_code_mode._storage.base import ArtifactInfo, Storage, StoredSkill
    from py_code_mode._storage.file import FileStorage
    from py_code_mode._storage.redis import RedisStorage
    from py_code_mode._sync import SyncSession
    from py_code_mode._toolkit import TOOL_NAMES, AgentTool, Toolkit, ToolkitOptions, ToolOutput
    from py_code_mode._tools.mcp import MCPTools
    from py_code_mode._tools.python import FunctionTools, HostFunction
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
        ReadOnlyError,
        RuntimeDepsDisabledError,
        SandboxUnavailableError,
        SessionClosedError,
        SkillNotFoundError,
        SkillVerificationError,
        StorageError,
        ToolArgumentError,
        ToolCallLimitError,
        ToolDefinitionError,
        ToolFailedError,
        ToolNotFoundError,
        UsageError,
        WorkerLostError,
    )

_LOCATIONS = {
    "AgentTool": "py_code_mode._toolkit",
    "ArtifactInfo": "py_code_mode._storage.base",
    "ContainerExecutor": "py_code_mode._execution.container",
    "Embedder": "py_code_mode._skills.embedders",
    "ExecutionResult": "py_code_mode._result",
    "FileStorage": "py_code_mode._storage.file",
    "FunctionTools": "py_code_mode._tools.python",
    "HostFunction": "py_code_mode._tools.python",
    "InProcessExecutor": "py_code_mode._execution.inprocess",
    "FastEmbedEmbedder": "py_code_mode._skills.embedders",
    "LangChainEmbedder": "py_code_mode._skills.embedders",
    "LlamaIndexEmbedder": "py_code_mode._skills.embedders",
    "Installer": "py_code_mode._deps.installer",
    "Limits": "py_code_mode._execution.limits",
    "MCPTools": "py_code_mode._tools.mcp",
    "Model2VecEmbedder": "py_code_mode._skills.embedders",
    "OutputCallback": "py_code_mode._execution.base",
    "RedisStorage": "py_code_mode._storage.redis",  # needs the [redis] extra
    "SandboxExecutor": "py_code_mode._execution.sandbox",
    "SentenceTransformerEmbedder": "py_code_mode._skills.embedders",
    "Session": "py_code_mode._session",
    "StaticModelEmbedder": "py_code_mode._skills.embedders",
    "Storage": "py_code_mode._storage.base",
    "StoredSkill": "py_code_mode._storage.base",
    "SubprocessExecutor": "py_code_mode._execution.subprocess",
    "SyncSession": "py_code_mode._sync",
    "TOOL_NAMES": "py_code_mode._toolkit",
    "ToolOutput": "py_code_mode._toolkit",
    "Toolkit": "py_code_mode._toolkit",
    "ToolkitOptions": "py_code_mode._toolkit",
}
_LOCATIONS.update(dict.fromkeys(_errors.__all__, "py_code_mode.errors"))

__all__ = [
    "AgentTool",
    "ArtifactDataError",
    "ArtifactInfo",
    "ArtifactNotFoundError",
    "CodeModeError",
    "ContainerExecutor",
    "DepsInstallError",
    "Embedder",
    "ExecutionResult",
    "FastEmbedEmbedder",
    "FileStorage",
    "FunctionTools",
    "HostFunction",
    "InProcessExecutor",
    "InfrastructureError",
    "InputError",
    "Installer",
    "InvalidNameError",
    "InvalidRequirementError",
    "InvalidSkillError",
    "LangChainEmbedder",
    "Limits",
    "LlamaIndexEmbedder",
    "MCPTools",
    "Model2VecEmbedder",
    "NotFoundError",
    "OutputCallback",
    "ReadOnlyError",
    "RedisStorage",
    "RuntimeDepsDisabledError",
    "SandboxExecutor",
    "SandboxUnavailableError",
    "SentenceTransformerEmbedder",
    "Session",
    "SessionClosedError",
    "SkillNotFoundError",
    "SkillVerificationError",
    "StaticModelEmbedder",
    "Storage",
    "StorageError",
    "StoredSkill",
    "SubprocessExecutor",
    "SyncSession",
    "TOOL_NAMES",
    "ToolArgumentError",
    "ToolCallLimitError",
    "ToolDefinitionError",
    "ToolFailedError",
    "ToolNotFoundError",
    "ToolOutput",
    "Toolkit",
    "ToolkitOptions",
    "UsageError",
    "WorkerLostError",
    "__version__",
]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("py-code-mode")
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
