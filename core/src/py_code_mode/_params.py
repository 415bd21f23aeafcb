"""The argument types of namespace operations, each described once for models and for code.

A handler in the operations table annotates its parameters with these types. The table
turns the annotations into the operation's pydantic argument model: the `Field`
description is what a model reads in a tool's JSON schema, and the validators give the
same typed error (`InvalidNameError`, ...) whether the call came from agent code, the
Session facade or an agent tool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from py_code_mode import _names
from py_code_mode.errors import InputError, InvalidSkillError

__all__ = [
    "ArtifactData",
    "Author",
    "ArtifactName",
    "Description",
    "Limit",
    "Metadata",
    "Package",
    "Query",
    "RecipeName",
    "SkillName",
    "SkillSource",
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
