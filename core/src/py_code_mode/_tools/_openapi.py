"""An OpenAPI 3 document's operations, as the endpoints of an HTTP tool.

Each operation becomes a callable named by its `operationId` in snake_case (or its method
and path without one): path parameters and query parameters become keywords, a JSON request
body becomes `body=`. Header and cookie parameters are left out: agent code never sets
headers. Local references (``#/components/...``) are resolved; the document is data, so
nothing in it runs.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from py_code_mode._tools._spec import RESERVED_HTTP_ARGUMENTS
from py_code_mode._tools.base import python_names
from py_code_mode._tools.endpoint import Endpoint, Param
from py_code_mode.errors import ToolFailedError

__all__ = ["endpoints_from_openapi", "snake_case"]

_METHODS = ("get", "put", "post", "delete", "patch", "head")
_MAX_REF_DEPTH = 32


def snake_case(text: str) -> str:
    """``getRepo`` and ``repos/get-content`` as ``get_repo`` and ``repos_get_content``."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    text = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", "_", text)
    return re.sub(r"\W+", "_", text).strip("_").lower()


def _keywords(names: list[str]) -> list[str]:
    """A Python keyword for each parameter name, in order: `page-size` is `page_size`.

    `body` and `query_params` are a call's own keywords, so a parameter of that name gets a
    trailing underscore, as a Python keyword does (`class_`).
    """
    wanted = [f"{name}_" if name in RESERVED_HTTP_ARGUMENTS else name for name in names]
    return list(python_names(wanted))


def endpoints_from_openapi(document: Any, where: str) -> tuple[list[Endpoint], str | None]:
    """The document's operations as endpoints, and its first server's URL (or None).

    Raises:
        ToolFailedError: It is not an OpenAPI 3 document with paths; the message names
            `where` and says what is wrong.
    """
    if not isinstance(document, Mapping) or not str(document.get("openapi", "")).startswith("3"):
        raise ToolFailedError(f"{where} is not an OpenAPI 3 document (no `openapi: 3.x` key)")
    paths = document.get("paths")
    if not isinstance(paths, Mapping):
        raise ToolFailedError(f"{where} has no `paths` mapping")
    found: list[tuple[str, Endpoint]] = []
    for path, item in paths.items():
        item = _resolve(document, item)
        if not isinstance(path, str) or not path.startswith("/") or not isinstance(item, Mapping):
            continue
        shared = item.get("parameters") or []
        for method in _METHODS:
            operation = _resolve(document, item.get(method))
            if not isinstance(operation, Mapping):
                continue
            found.append(_endpoint(document, path, method, operation, shared))
    if not found:
        raise ToolFailedError(f"{where} has no operations under `paths`")
    names = python_names([snake_case(name) for name, _ in found])
    endpoints = [
        dataclasses.replace(endpoint, name=python)
        for python, (_, endpoint) in zip(names, found, strict=True)
    ]
    return endpoints, _server(document)


def _endpoint(
    document: Any, path: str, method: str, operation: Mapping[str, Any], shared: Any
) -> tuple[str, Endpoint]:
    by_key: dict[tuple[str, str], Mapping[str, Any]] = {}
    for raw in [
        *(shared if isinstance(shared, list) else []),
        *(operation.get("parameters") or []),
    ]:
        parameter = _resolve(document, raw)
        if isinstance(parameter, Mapping) and isinstance(parameter.get("name"), str):
            by_key[(str(parameter.get("in")), parameter["name"])] = parameter  # the operation's win
    path_params, query_params = [], []
    sent = [(place, name) for place, name in by_key if place in ("path", "query")]
    keywords = _keywords([name for _, name in sent])
    for (place, name), keyword in zip(sent, keywords, strict=True):
        parameter = by_key[(place, name)]
        schema = _resolve(document, parameter.get("schema")) or {}
        param = Param(
            name=name,
            type=_json_type(schema),
            required=place == "path" or bool(parameter.get("required")),
            description=str(parameter.get("description") or ""),
            keyword=None if keyword == name else keyword,
        )
        if place == "path":
            path_params.append(param)
        elif place == "query":
            query_params.append(param)
    body, body_required, body_schema = False, False, None
    request_body = _resolve(document, operation.get("requestBody"))
    if isinstance(request_body, Mapping):
        content = request_body.get("content")
        media = _json_media(content) if isinstance(content, Mapping) else None
        if media is not None:
            body, body_required = True, bool(request_body.get("required"))
            body_schema = _inline(document, media.get("schema"), 0)
    summary = str(operation.get("summary") or operation.get("description") or "").strip()
    name = str(operation.get("operationId") or f"{method}_{path}")
    return name, Endpoint(
        name=name,
        method=method.upper(),
        path=path,
        description=summary.split("\n\n")[0].strip(),
        path_params=tuple(path_params),
        query_params=tuple(query_params),
        body=body,
        body_required=body_required,
        body_schema=body_schema if isinstance(body_schema, dict) else None,
    )


def _json_media(content: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for media_type, media in content.items():
        kind = str(media_type).split(";")[0].strip().lower()
        if (kind == "application/json" or kind.endswith("+json")) and isinstance(media, Mapping):
            return media
    return None


def _json_type(schema: Any) -> str:
    kind = schema.get("type") if isinstance(schema, Mapping) else None
    return kind if kind in ("string", "integer", "number", "boolean", "array") else "string"


def _resolve(document: Any, value: Any) -> Any:
    """`value`, or what its local ``$ref`` points at (a few levels of refs to refs)."""
    for _ in range(_MAX_REF_DEPTH):
        if not isinstance(value, Mapping) or not isinstance(value.get("$ref"), str):
            return value
        value = _pointer(document, value["$ref"])
    return None


def _pointer(document: Any, ref: str) -> Any:
    if not ref.startswith("#/"):
        return None  # only references inside the document are followed
    node = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _inline(document: Any, schema: Any, depth: int) -> Any:
    """A schema with its local refs replaced by what they point at, to a bounded depth."""
    schema = _resolve(document, schema)
    if depth > _MAX_REF_DEPTH:
        return {}
    if isinstance(schema, Mapping):
        return {key: _inline(document, value, depth + 1) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_inline(document, item, depth + 1) for item in schema]
    return schema


def _server(document: Mapping[str, Any]) -> str | None:
    servers = document.get("servers")
    if isinstance(servers, list) and servers and isinstance(servers[0], Mapping):
        url = servers[0].get("url")
        return url if isinstance(url, str) and url else None
    return None
