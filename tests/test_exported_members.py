"""The public surface is a decision: this pins it."""

from __future__ import annotations

from pathlib import Path

import py_code_mode


def test_the_public_names_are_exactly_these() -> None:
    assert py_code_mode.__all__ == [
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


def test_every_public_name_resolves() -> None:
    for name in py_code_mode.__all__:
        assert getattr(py_code_mode, name) is not None
    assert py_code_mode.__version__ == "0.1.0"


def test_every_module_behind_the_public_names_is_private() -> None:
    # httpx's way: one public __init__, everything else underscored, so a user can tell
    # at a glance what is API. errors.py is the exception, by design: agent code imports
    # from it to catch our errors.
    package = Path(py_code_mode.__file__).parent
    public = sorted(
        path.name
        for path in package.iterdir()
        if not path.name.startswith("_") and (path.suffix == ".py" or path.is_dir())
    )
    assert public == ["errors.py"]
