"""One HTTP endpoint as a callable: its parameters, and the pydantic model of a call.

Endpoints come from an HTTP definition's `endpoints` or from an OpenAPI document; either
way a call is validated once, by the endpoint's model (strict, unknown keywords refused),
whose JSON Schema is what `tools.describe` shows.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from py_code_mode._tools._spec import EndpointSpec
from py_code_mode._tools.definition import tidy_schema

__all__ = ["Endpoint", "Param", "endpoint_from_spec"]

Scalar = str | int | float | bool
_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float | int,
    "boolean": bool,
    "array": list[Scalar],
}


@dataclass(frozen=True)
class Param:
    """A path or query parameter.

    Attributes:
        name: The API's own name, sent in the path or the query.
        type: Its JSON type: string, integer, number, boolean or array.
        required: Whether a call must give it (path parameters always).
        description: Shown to the agent.
        keyword: The Python keyword a call gives it by, where `name` is not one (an
            OpenAPI `page-size` is `page_size`); None when they are the same.
    """

    name: str
    type: str
    required: bool
    description: str = ""
    keyword: str | None = None

    @property
    def argument(self) -> str:
        """The keyword of a call that gives this parameter."""
        return self.keyword or self.name

    @property
    def shown(self) -> str:
        """The description, with the API's name where the keyword differs from it."""
        if self.keyword is None:
            return self.description
        return " ".join(filter(None, [self.description, f"(sent as {self.name})"]))


@dataclass(frozen=True)
class Endpoint:
    """`tools.<tool>.<name>(**kw)`: one request to the API.

    Attributes:
        name: The callable's name.
        method: GET, POST, PUT, PATCH, DELETE or HEAD.
        path: Below the base URL, with ``{name}`` path parameters.
        description: Shown to the agent.
        path_params: Filled into the path, percent-encoded.
        query_params: Sent as query parameters.
        body: Whether the call takes `body=` (sent as JSON).
        body_required: Whether `body` must be given.
        body_schema: The body's JSON Schema, shown to the agent, or None.
    """

    name: str
    method: str
    path: str
    description: str
    path_params: tuple[Param, ...]
    query_params: tuple[Param, ...]
    body: bool = False
    body_required: bool = False
    body_schema: dict[str, Any] | None = None

    @functools.cached_property
    def model(self) -> type[BaseModel]:
        """The pydantic model of a call's keyword arguments, built on first use."""
        return self._build()

    @functools.cached_property
    def input_schema(self) -> dict[str, Any]:
        """The JSON Schema of a call's keyword arguments."""
        schema: dict[str, Any] = tidy_schema(self.model.model_json_schema())
        if self.body and self.body_schema is not None:
            schema["properties"]["body"] = {**self.body_schema, "description": "Sent as JSON."}
        return schema

    def _build(self) -> type[BaseModel]:
        fields: dict[str, Any] = {}
        for param in self.path_params:
            fields[param.argument] = (str | int, Field(description=param.shown))
        for param in self.query_params:
            kind = _TYPES.get(param.type, Scalar | list[Scalar])
            if param.required:
                fields[param.argument] = (kind, Field(description=param.shown))
            else:
                fields[param.argument] = (kind | None, Field(None, description=param.shown))
        fields["query_params"] = (
            dict[str, Scalar | list[Scalar]] | None,
            Field(None, description="More query parameters, by name."),
        )
        if self.body:
            body = Field(description="Sent as JSON.") if self.body_required else Field(None)
            fields["body"] = (Any, body)
        title = "".join(part.title() for part in (*self.name.split("_"), "Arguments"))
        model: type[BaseModel] = create_model(
            title, __config__=ConfigDict(extra="forbid", strict=True), **fields
        )
        model.__doc__ = self.description
        return model


def endpoint_from_spec(name: str, spec: EndpointSpec) -> Endpoint:
    """An endpoint of a definition's `endpoints` mapping."""
    return Endpoint(
        name=name,
        method=spec.method,
        path=spec.path,
        description=spec.description,
        path_params=tuple(Param(p, "string", True) for p in spec.path_parameters),
        query_params=tuple(Param(q, "any", False) for q in spec.query),
        body=spec.body,
    )
