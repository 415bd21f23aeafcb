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
from py_code_mode.errors import InputError

__all__ = ["Host"]


@dataclass(frozen=True)
class Host:
    """The namespaces' services, and the dispatch of requests to them."""

    tools: ToolService
    skills: SkillLibrary
    artifacts: ArtifactStore
    deps: DepsManager
    withheld: frozenset[Grant] = field(default_factory=frozenset)
    """Grants agent code does not get: its calls of operations that need them are refused."""

    async def handle(self, verb: str, args: dict[str, Any]) -> Any:
        """Answer one request from agent code: validate its arguments, then perform it.

        Raises:
            InputError: The verb is unknown or the arguments do not fit it.
            CodeModeError: The operation needs a grant this session withholds (the grant
                says which error, e.g. `RuntimeDepsDisabledError`).
        """
        operation = by_verb().get(verb)
        if operation is None:
            raise InputError(f"Unknown request {verb!r}; known: {', '.join(sorted(by_verb()))}")
        if operation.needs is not None and operation.needs in self.withheld:
            raise operation.needs.refuse(verb)
        return await self.perform(operation, operation.validate(args, where=f"{verb}()"))

    async def perform(
        self, operation: Operation[Any, Any, Any], arguments: Mapping[str, Any]
    ) -> Any:
        """Run an operation whose arguments were validated by its model."""
        return await operation.perform(getattr(self, operation.namespace), arguments)
