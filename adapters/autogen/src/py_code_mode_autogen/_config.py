"""A workbench's component config: enough plain data to build the same session again."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from py_code_mode import (
    TOOL_NAMES,
    FileStorage,
    InProcessExecutor,
    Session,
    SubprocessExecutor,
    ToolkitOptions,
    UsageError,
)
from pydantic import BaseModel, Field

__all__ = ["CodeModeWorkbenchConfig", "build_session", "describe", "options_from"]

ExecutorKind = Literal["subprocess", "inprocess"]

_EXECUTOR_KINDS: dict[type, ExecutorKind] = {
    SubprocessExecutor: "subprocess",
    InProcessExecutor: "inprocess",
}


class CodeModeWorkbenchConfig(BaseModel):
    """How to rebuild a `CodeModeWorkbench`: a workspace, an executor kind and the options.

    Executor settings (interpreter, environment, output limits) and a custom installer are
    not recorded: a workbench loaded from this config uses their defaults.
    """

    base_path: str = Field(description="The workspace directory (tools/, skills/, artifacts/).")
    executor: ExecutorKind = Field(
        default="subprocess", description="Where code runs: a child process or this process."
    )
    allow_runtime_deps: bool = Field(
        default=True, description="Whether agent code may add and remove packages."
    )
    default_timeout: float | None = Field(
        default=None, gt=0, description="Seconds a run may take unless it says otherwise."
    )
    sync_deps: bool = Field(
        default=False, description="Whether the deps list is installed at session start."
    )
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="The `ToolkitOptions` fields that differ from their defaults.",
    )


def describe(session: Session, options: ToolkitOptions) -> CodeModeWorkbenchConfig:
    """The config that rebuilds `session` and `options`.

    Raises:
        UsageError: The session's storage or executor is not one a config can name.
    """
    storage = session.storage
    if type(storage) is not FileStorage:
        raise UsageError(
            f"cannot describe this session as a component config: its storage is {storage!r}, "
            "and only a FileStorage workspace can be rebuilt from a path; build the "
            "workbench in code instead of dumping it"
        )
    kind = _EXECUTOR_KINDS.get(type(session.executor))
    if kind is None:
        raise UsageError(
            "cannot describe this session as a component config: its executor is "
            f"{type(session.executor).__name__!r}, and a config can only name "
            "SubprocessExecutor or InProcessExecutor; build the workbench in code instead"
        )
    return CodeModeWorkbenchConfig(
        base_path=str(storage.base_path),
        executor=kind,
        allow_runtime_deps=session.allow_runtime_deps,
        default_timeout=session.default_timeout,
        sync_deps=session.sync_deps_on_start,
        options=_changed(options),
    )


def build_session(config: CodeModeWorkbenchConfig) -> Session:
    """A new, unstarted session as `config` describes it."""
    executor = SubprocessExecutor() if config.executor == "subprocess" else InProcessExecutor()
    return Session.from_base(
        config.base_path,
        executor=executor,
        allow_runtime_deps=config.allow_runtime_deps,
        default_timeout=config.default_timeout,
        sync_deps=config.sync_deps,
    )


def options_from(config: CodeModeWorkbenchConfig) -> ToolkitOptions:
    """The toolkit options `config` records.

    Raises:
        ValueError: The recorded options are not valid `ToolkitOptions`.
    """
    try:
        return ToolkitOptions(**config.options)
    except TypeError as exc:  # an unknown field name
        raise ValueError(f"invalid toolkit options in the config: {exc}") from exc


def _changed(options: ToolkitOptions) -> dict[str, Any]:
    changed: dict[str, Any] = {}
    for field in dataclasses.fields(options):
        value = getattr(options, field.name)
        if value == field.default:
            continue
        if field.name == "include":
            value = [name for name in TOOL_NAMES if name in value]
        changed[field.name] = value
    return changed
