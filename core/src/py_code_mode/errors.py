"""Every error py-code-mode raises, in one tree.

Errors are sorted by who has to act on them::

    CodeModeError                      root: catch this to catch everything of ours
    ├── UsageError                     the developer called the API wrongly
    │   └── SessionClosedError
    ├── InputError (ValueError)        input from agent code was rejected; nothing was written
    │   ├── InvalidNameError           a skill, artifact or tool name is not allowed
    │   ├── InvalidSkillError          skill source does not parse or has no `run`
    │   │   └── SkillVerificationError its examples or tests failed; it was not saved
    │   ├── ToolArgumentError          tool arguments do not match the tool's schema
    │   ├── InvalidRequirementError    a deps spec is not an allowed PEP 508 requirement
    │   ├── RuntimeDepsDisabledError   deps.add/remove while runtime deps are off
    │   ├── ArtifactDataError          a value artifacts cannot store exactly
    │   ├── ReadOnlyError              a write to what a capability package provides
    │   └── NotFoundError (LookupError)
    │       ├── SkillNotFoundError
    │       ├── ArtifactNotFoundError
    │       └── ToolNotFoundError      (also AttributeError: tools.<unknown>)
    ├── ToolFailedError                a tool ran and failed (non-zero exit, timeout)
    ├── ToolCallLimitError             a run made more tool calls than its session allows
    ├── DepsInstallError               the installer could not install a package
    ├── ToolDefinitionError            a tools/*.yaml file is malformed
    └── InfrastructureError            something underneath broke, not the caller's input
        ├── WorkerLostError            the executing process died or was killed
        └── StorageError               the storage backend failed

Failures *inside agent code* are never raised by `Session.run`; they land in
`ExecutionResult.error`. Inside agent code, a rejected namespace call raises the same class
as the facade would, so `except ArtifactNotFoundError:` works in both places.

This module imports nothing beyond the standard library: the worker process imports it to
rebuild typed errors that cross the channel, and the worker's start must stay cheap.
"""

from __future__ import annotations

__all__ = [
    "ArtifactDataError",
    "ArtifactNotFoundError",
    "CodeModeError",
    "DepsInstallError",
    "InfrastructureError",
    "InputError",
    "InvalidNameError",
    "InvalidRequirementError",
    "InvalidSkillError",
    "NotFoundError",
    "ReadOnlyError",
    "RuntimeDepsDisabledError",
    "SandboxUnavailableError",
    "SessionClosedError",
    "SkillNotFoundError",
    "SkillVerificationError",
    "StorageError",
    "ToolArgumentError",
    "ToolCallLimitError",
    "ToolDefinitionError",
    "ToolFailedError",
    "ToolNotFoundError",
    "UsageError",
    "WorkerLostError",
]


class CodeModeError(Exception):
    """Root of every error py-code-mode raises on purpose."""


class UsageError(CodeModeError):
    """The developer used the API in a way it does not support."""


class SessionClosedError(UsageError):
    """The session was closed; create a new one."""


class InputError(CodeModeError, ValueError):
    """Input that came from agent code was rejected before anything was written."""


class InvalidNameError(InputError):
    """A skill, artifact or tool name breaks the naming rules."""


class InvalidSkillError(InputError):
    """Skill source that cannot become a skill (syntax error, no top-level `run`)."""


class SkillVerificationError(InvalidSkillError):
    """A skill's examples or tests failed in the worker, so it was not saved.

    The version that was current before stays current; the message says which example or
    test failed and how.
    """


class ToolArgumentError(InputError):
    """Arguments that do not fit the tool's schema; the command was not run."""


class InvalidRequirementError(InputError):
    """A package spec that is not a plain PEP 508 requirement from an index."""


class RuntimeDepsDisabledError(InputError):
    """Agent code tried to change deps while the session forbids it."""


class ArtifactDataError(InputError):
    """A value that artifacts cannot store and give back exactly."""


class ReadOnlyError(InputError):
    """A delete of a skill or tool that a capability package provides: packages are read-only.

    Saving one of the same name is allowed: the workspace's own copy then takes its place.
    """


class NotFoundError(InputError, LookupError):
    """A named thing does not exist."""


class SkillNotFoundError(NotFoundError):
    """No skill has that name."""


class ArtifactNotFoundError(NotFoundError):
    """No artifact has that name."""


class ToolNotFoundError(NotFoundError, AttributeError):
    """No tool (or no callable of a tool) has that name.

    Also an `AttributeError`, because agent code meets it as ``tools.nonexistent``:
    `hasattr` and `getattr(tools, name, default)` then work as for any object.
    """


class ToolFailedError(CodeModeError):
    """The tool's command ran and failed: non-zero exit status or timeout."""


class ToolCallLimitError(CodeModeError):
    """A run made more tool calls than its session allows (`Session(max_tool_calls=)`)."""


class DepsInstallError(CodeModeError):
    """The installer failed; the deps list was left as it was."""


class ToolDefinitionError(CodeModeError):
    """A tool definition (tools/*.yaml) is malformed."""


class InfrastructureError(CodeModeError):
    """Something beneath the caller broke: a process, a pipe, a disk, a server."""


class WorkerLostError(InfrastructureError):
    """The process running agent code died or had to be killed."""


class StorageError(InfrastructureError):
    """The storage backend could not complete an operation."""


class SandboxUnavailableError(InfrastructureError):
    """The sandbox cannot run on this machine: no bubblewrap, or namespaces refused."""


def error_class(name: str) -> type[CodeModeError] | None:
    """Return our error class called `name`, or None: how typed errors cross the channel."""
    cls = globals().get(name)
    if isinstance(cls, type) and issubclass(cls, CodeModeError):
        return cls
    return None
