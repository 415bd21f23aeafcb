"""The host side of the channel: every namespace request from agent code is answered here.

The host holds one service per namespace and dispatches by the operations table
(`py_code_mode._operations`): a request names a verb, its arguments are validated once by
that operation's model, and the service's handler runs. The Session's facade and the agent
tools perform the same operations through `perform`, so every caller gets the same
validation, the same errors and the same data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from py_code_mode._artifacts import ArtifactStore
from py_code_mode._deps.manager import DepsManager
from py_code_mode._operations import Grant, Operation, by_verb
from py_code_mode._skills.library import SkillLibrary
from py_code_mode._tools.service import ToolService
from py_code_mode.errors import InputError, ToolCallLimitError

__all__ = ["CallBudget", "Host"]


@dataclass
class CallBudget:
    """Tool calls agent code may make in one run, so a looping program cannot hammer an API.

    Attributes:
        limit: Calls allowed per run; None for no limit.
        used: Calls made since the run began.
    """

    limit: int | None
    used: int = 0

    def begin_run(self) -> None:
        """A run starts: its calls count from zero."""
        self.used = 0

    def spend(self, verb: str) -> None:
        """Count one call; raise `ToolCallLimitError` past the limit."""
        self.used += 1
        if self.limit is not None and self.used > self.limit:
            raise ToolCallLimitError(
                f"{verb} refused: this run has made {self.limit} tool calls, the most one run "
                "may make (Session(max_tool_calls=...)). Is a loop calling a tool without "
                "end? Make fewer, larger calls, or split the work over several runs"
            )


@dataclass(frozen=True)
class Host:
    """The namespaces' services, and the dispatch of requests to them."""

    tools: ToolService
    skills: SkillLibrary
    artifacts: ArtifactStore
    deps: DepsManager
    withheld: frozenset[Grant] = field(default_factory=frozenset)
    """Grants agent code does not get: its calls of operations that need them are refused."""
    budget: CallBudget = field(default_factory=lambda: CallBudget(None))
    """The tool calls agent code may still make in the current run."""

    async def handle(self, verb: str, args: dict[str, Any]) -> Any:
        """Answer one request from agent code: validate its arguments, then perform it.

        Raises:
            InputError: The verb is unknown or the arguments do not fit it.
            ToolCallLimitError: A tool call past the run's budget.
            CodeModeError: The operation needs a grant this session withholds (the grant
                says which error, e.g. `RuntimeDepsDisabledError`).
        """
        operation = by_verb().get(verb)
        if operation is None:
            raise InputError(f"Unknown request {verb!r}; known: {', '.join(sorted(by_verb()))}")
        if operation.needs is not None and operation.needs in self.withheld:
            raise operation.needs.refuse(verb)
        if operation.verb == "tools.call":
            self.budget.spend(f"tools.{args.get('tool')}()")
        return await self.perform(operation, operation.validate(args, where=f"{verb}()"))

    async def perform(
        self, operation: Operation[Any, Any, Any], arguments: Mapping[str, Any]
    ) -> Any:
        """Run an operation whose arguments were validated by its model."""
        return await operation.perform(getattr(self, operation.namespace), arguments)
