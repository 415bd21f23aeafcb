"""The argument types of namespace operations, each described once for models and for code.

A handler in the operations table annotates its parameters with these types. The table
turns the annotations into the operation's pydantic argument model: the `Field`
description is what a model reads in a tool's JSON schema, and the validators give the
same typed error (`InvalidNameError`, ...) whether the call came from agent code, the
Session facade or an agent tool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from py_code_mode import _names
from py_code_mode._runtime.verify import MAX_EXAMPLES
from py_code_mode.errors import InputError, InvalidSkillError

__all__ = [
    "ArtifactData",
    "Author",
    "ArtifactName",
    "Description",
    "Examples",
    "Limit",
    "Metadata",
    "Package",
    "Query",
    "RecipeName",
    "Requires",
    "SkillName",
    "SkillSource",
    "SkillSort",
    "SkillUses",
    "Tests",
    "ToolArguments",
    "ToolName",
    "ToolOrCallable",
    "Ttl",
    "Version",
]


def _must_be_text(error: type[InputError], what: str) -> Callable[[Any], Any]:
    """A validator that rejects a non-string with `error`, the domain's own class."""

    def check(value: Any) -> Any:
        if value is not None and not isinstance(value, str):
            raise error(f"{what} must be a string, got {type(value).__name__}")
        return value

    return check


Query = Annotated[
    str, Field(description="Words describing what you need, e.g. 'fetch a web page'.")
]
Limit = Annotated[int, Field(ge=1, le=100, description="The most results to return.")]

SkillName = Annotated[
    str,
    BeforeValidator(_names.skill_name),
    Field(description="The skill's name: a Python identifier, e.g. 'fetch_repo_stats'."),
]
SkillSource = Annotated[
    str,
    BeforeValidator(_must_be_text(InvalidSkillError, "a skill's source (Python code)")),
    Field(
        description="Python source defining `def run(...)` or `async def run(...)`; tools, "
        "skills, artifacts and deps are in scope inside it."
    ),
]
Description = Annotated[
    str | None,
    Field(
        description="One line saying what it is, does or returns; by default the source's "
        "docstring."
    ),
]


def _examples(value: Any) -> Any:
    """Each example a mapping of "args" (keyword arguments) and, optionally, "expect"."""
    if value is None:
        return None
    shape = 'examples=[{"args": {"text": "Hi there"}, "expect": "hi-there"}, ...]'
    if not isinstance(value, list | tuple):
        raise InvalidSkillError(
            f"examples must be a list of examples, got {type(value).__name__}: {shape}"
        )
    if len(value) > MAX_EXAMPLES:
        raise InvalidSkillError(f"at most {MAX_EXAMPLES} examples, got {len(value)}")
    for number, example in enumerate(value, start=1):
        if not isinstance(example, dict):
            raise InvalidSkillError(
                f"example {number} must be a dict, got {type(example).__name__}: {shape}"
            )
        unknown = sorted(set(example) - {"args", "expect"})
        if unknown or not isinstance(example.get("args", {}), dict):
            extra = f", not {', '.join(map(repr, unknown))}" if unknown else ""
            raise InvalidSkillError(
                f"example {number} must have 'args' (a dict of run's keyword arguments) and "
                f"may have 'expect' (the value run returns){extra}: {shape}"
            )
        if not all(isinstance(key, str) for key in example.get("args", {})):
            raise InvalidSkillError(f"example {number}: the names in 'args' must be strings")
    return list(value)


def _requirements(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise InvalidSkillError(
            "requires must be a list of requirement strings, e.g. ['pandas>=2', 'httpx']"
        )
    for item in value:
        if not isinstance(item, str):
            raise InvalidSkillError(
                f"requires must hold requirement strings, got {type(item).__name__}"
            )
    return list(value)


Examples = Annotated[
    list[dict[str, Any]] | None,
    BeforeValidator(_examples),
    Field(
        description='Calls to check before saving, e.g. [{"args": {"text": "Hi"}, "expect": '
        '"hi"}]: run in the worker, each must return its "expect"; any failure and nothing '
        "is saved."
    ),
]
Tests = Annotated[
    str | None,
    BeforeValidator(_must_be_text(InvalidSkillError, "tests (Python code)")),
    Field(
        description="Python code run beside the skill before saving: its `assert` lines and "
        "`def test_...()` functions, with `run` in scope; any failure and nothing is saved."
    ),
]
Requires = Annotated[
    list[str] | None,
    BeforeValidator(_requirements),
    Field(
        description="Packages the skill needs, e.g. ['pandas>=2']; written into its source as "
        "__requires__, checked when it runs."
    ),
]


class SkillUseReport(BaseModel):
    """Invocations of one skill in a run, as the worker reports them."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: SkillName
    calls: int = Field(ge=1, le=10**9)
    failures: int = Field(ge=0, le=10**9)
    seconds: float = Field(ge=0, le=10**9, allow_inf_nan=False)

    @model_validator(mode="after")
    def _no_more_failures_than_calls(self) -> SkillUseReport:
        if self.failures > self.calls:
            raise ValueError(f"{self.failures} failures of {self.calls} calls")
        return self


SkillUses = Annotated[
    list[SkillUseReport],
    Field(max_length=10_000, description="Each skill invoked, how often, failures, seconds."),
]
SkillSort = Annotated[
    Literal["name", "calls", "failures", "last_used", "mean_seconds", "success_rate"],
    Field(
        description="Order of the list: by name (the default), or by usage, greatest first: "
        "calls, failures, last_used (most recent), mean_seconds (slowest), success_rate."
    ),
]
Version = Annotated[
    int, Field(ge=1, description="A version number from the skill's history, e.g. 2.")
]
Author = Annotated[
    str | None, Field(max_length=200, description="Who saves it, kept in the skill's history.")
]

ArtifactName = Annotated[
    str,
    BeforeValidator(_names.artifact_name),
    Field(description="A relative path such as 'results.json' or 'scans/host1.txt'."),
]
ArtifactData = Annotated[
    Any, Field(description="str, bytes, or JSON values (dict, list, number, bool, None).")
]
Metadata = Annotated[
    dict[str, Any] | None, Field(description="JSON values to keep beside the artifact.")
]
Ttl = Annotated[
    float | None,
    Field(description="Seconds until the artifact expires; leave out to keep it until deleted."),
]

Package = Annotated[
    str, Field(description="A PEP 508 requirement such as 'pandas>=2' or 'requests'.")
]

ToolName = Annotated[str, Field(description="The tool's name, as tools.list() shows it.")]
ToolOrCallable = Annotated[
    str,
    Field(description="A tool's name (github), or one of its callables (github.get_repo)."),
]
RecipeName = Annotated[
    str | None, Field(description="The recipe's name; none calls the tool itself.")
]
ToolArguments = Annotated[dict[str, Any], Field(description="The keyword arguments of the call.")]
