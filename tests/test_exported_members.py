"""The public surface is a decision: this pins it."""

from __future__ import annotations

import py_code_mode


def test_the_public_names_are_exactly_these() -> None:
    assert py_code_mode.__all__ == [
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


def test_every_public_name_resolves() -> None:
    for name in py_code_mode.__all__:
        assert getattr(py_code_mode, name) is not None
    assert py_code_mode.__version__ == "0.1.0"
