"""HTTP APIs as tools: each endpoint is `tools.<api>.<endpoint>(**kw)`, requested with httpx.

A `type: http` definition lists endpoints, or names an OpenAPI 3 document whose operations
become the endpoints. Requests are made on the host, so tokens (``${NAME}`` in `headers`)
never reach the worker. Agent code chooses values, never the shape of the request:

- path parameters are percent-encoded, so a value cannot add path segments (``../``) or
  change host; ``.``, ``..`` and empty values are refused;
- query values go as query parameters (also upstream's ``query_params={...}``), a body as
  JSON; agent code sets no headers;
- redirects are followed only on the same scheme, host and port;
- a response is read up to `max_response_bytes` (decoded), then the call fails.

A JSON response comes back parsed, text as `str`, binary media as `bytes`, an empty one as
None. A response that is not 2xx raises `ToolFailedError` with its status and the start of
its body. One client per tool keeps connections open for the session.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import yaml
from pydantic import ValidationError

from py_code_mode._tools._hostvars import Resolved, resolve
from py_code_mode._tools._openapi import endpoints_from_openapi
from py_code_mode._tools._spec import HTTPToolSpec
from py_code_mode._tools.base import LateTool, callable_dict, pick, rejected
from py_code_mode._tools.definition import short_repr
from py_code_mode._tools.endpoint import Endpoint, endpoint_from_spec
from py_code_mode._yamltext import yaml_problem
from py_code_mode.errors import ToolArgumentError, ToolFailedError

if TYPE_CHECKING:
    import httpx

__all__ = ["HTTP_MISSING", "HTTPTool"]

HTTP_MISSING = "HTTP tools need httpx, which is not installed: pip install 'py-code-mode[http]'"

_MAX_REDIRECTS = 5
_ERROR_EXCERPT = 2000
"""Characters of a failed response's body quoted in the error."""
_MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
_BINARY_PREFIXES = ("image/", "audio/", "video/", "font/")
_BINARY_TYPES = ("application/octet-stream", "application/pdf", "application/zip")


class HTTPTool(LateTool):
    """An HTTP API as a `Tool`; its endpoints are the callables.

    Args:
        spec: The checked definition.
        source: Its file; a relative `openapi` path is relative to it.
        cwd: Unused: requests have no working directory.
    """

    kind = "HTTP"
    _spec: HTTPToolSpec

    def __init__(self, spec: HTTPToolSpec, source: str, cwd: Path | None = None) -> None:
        super().__init__(spec, source)
        self._endpoints: dict[str, Endpoint] | None = None
        self._base_url = spec.base_url
        self._client: httpx.AsyncClient | None = None
        if spec.openapi is None:
            self._endpoints = {
                name: endpoint_from_spec(name, endpoint)
                for name, endpoint in spec.endpoints.items()
            }

    @property
    def description(self) -> str:
        return self._spec.description or f"The HTTP API at {self._base_url or self._spec.openapi}"

    def _entry(self, item: Any, *, schemas: bool) -> dict[str, Any]:
        description = item.description or f"{item.method} {item.path}"
        return callable_dict(item.name, description, item.input_schema, "Any", schemas=schemas)

    async def call(self, function: str | None, args: Mapping[str, Any]) -> Any:
        """Request one endpoint with keyword arguments checked by its model."""
        endpoints = await self._ready(retry=True)
        endpoint, where = pick(self.name, endpoints, function, args)
        try:
            checked = endpoint.model.model_validate(dict(args))
        except ValidationError as exc:
            raise ToolArgumentError(rejected(where, exc)) from None
        values = {key: value for key, value in checked.__dict__.items() if value is not None}
        return await self._request(where, endpoint, values)

    async def aclose(self) -> None:
        """Close the client's connections; the next call opens new ones."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    # --- the request --------------------------------------------------------------------

    async def _request(self, where: str, endpoint: Endpoint, values: dict[str, Any]) -> Any:
        import httpx

        url = httpx.URL(self._base().rstrip("/") + _fill(where, endpoint, values))
        query: dict[str, Any] = dict(values.pop("query_params", None) or {})
        query.update(
            (p.name, values[p.argument]) for p in endpoint.query_params if p.argument in values
        )
        headers = resolve(self._spec.headers, tool=self.name, source=self._source, key="headers")
        for name, value in headers.items():
            if "\r" in value or "\n" in value:
                raise ToolFailedError(
                    f"Tool {self.name!r}: the host's value for header {name} holds a line break"
                )
        request = self._http().build_request(
            endpoint.method,
            url,
            params=_query(query),
            headers=dict(headers),
            json=values["body"] if "body" in values else None,
        )
        try:
            return await self._send(where, request, headers)
        except httpx.TimeoutException:
            raise ToolFailedError(
                f"{where}() got no answer from {url.host} within {self._spec.timeout:g}s; "
                f"raise `timeout` in {self._source} if it needs longer"
            ) from None
        except httpx.HTTPError as exc:
            raise ToolFailedError(
                headers.redact(f"{where}() could not reach {url.host}: {exc or type(exc).__name__}")
            ) from None

    def _base(self) -> str:
        """The base URL, with any host variables it names resolved now."""
        assert self._base_url is not None
        if "$" not in self._base_url:
            return self._base_url
        base = resolve(
            {"base_url": self._base_url}, tool=self.name, source=self._source, key="base_url"
        )["base_url"]
        scheme, separator, rest = base.partition("://")
        if not separator or scheme.lower() not in ("http", "https") or not rest.strip("/"):
            raise ToolFailedError(
                f"Tool {self.name!r}: base_url {self._base_url!r} comes to {base!r} on this "
                f"host, which is not an http:// or https:// URL; fix the host variable it "
                f"names, or {self._source}"
            )
        return base

    async def _send(self, where: str, request: httpx.Request, headers: Resolved) -> Any:
        client = self._http()
        for _ in range(_MAX_REDIRECTS + 1):
            response = await client.send(request, stream=True)
            try:
                if response.has_redirect_location:
                    request = _redirected(where, request, response)
                    continue
                body = await self._read(where, response, request)
            finally:
                await response.aclose()
            if not response.is_success:
                excerpt = body[:_ERROR_EXCERPT].decode("utf-8", errors="replace").strip()
                more = "..." if len(body) > _ERROR_EXCERPT else ""
                raise ToolFailedError(
                    headers.redact(
                        f"{where}() got HTTP {response.status_code} {response.reason_phrase} "
                        f"from {request.method} {request.url.path}: {excerpt or '(no body)'}{more}"
                    )
                )
            return _value(where, response, body)
        raise ToolFailedError(f"{where}() was redirected more than {_MAX_REDIRECTS} times")

    async def _read(self, where: str, response: httpx.Response, request: httpx.Request) -> bytes:
        cap = self._spec.max_response_bytes
        if request.method == "HEAD":
            return b""
        chunks: list[bytes] = []
        total = 0
        async for chunk in response.aiter_bytes():
            total += len(chunk)
            if total > cap:
                raise ToolFailedError(
                    f"{where}() got a response larger than {cap} bytes and stopped reading; "
                    f"raise `max_response_bytes` in {self._source} if it is expected"
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self._spec.timeout), follow_redirects=False
            )
        return self._client

    # --- an OpenAPI document ------------------------------------------------------------

    async def _ready(self, *, retry: bool) -> dict[str, Endpoint]:
        try:
            import httpx  # noqa: F401
        except ImportError:
            raise ToolFailedError(f"{HTTP_MISSING} (for {self._source})") from None
        async with self._lock:
            if self._endpoints is not None:
                return self._endpoints
            if self._failure is not None and not retry:
                raise ToolFailedError(self._failure)
            try:
                endpoints, server = endpoints_from_openapi(
                    await self._document(), f"the OpenAPI document {self._spec.openapi}"
                )
                self._base_url = self._spec.base_url or self._server_url(server)
            except ToolFailedError as exc:
                self._failure = f"Tool {self.name!r} ({self._source}): {exc}"
                raise ToolFailedError(self._failure) from None
            self._endpoints = {endpoint.name: endpoint for endpoint in endpoints}
            self._failure = None
            return self._endpoints

    async def _document(self) -> Any:
        location = self._spec.openapi
        assert location is not None
        if location.startswith(("http://", "https://")):
            text = await self._fetch_document(location)
        else:
            path = Path(location)
            if not path.is_absolute():
                home = Path(self._source).parent
                if not home.is_dir():
                    raise ToolFailedError(
                        f"the OpenAPI document {location!r} is a relative path, but the "
                        "definition is not a file; give a URL or an absolute path"
                    )
                path = home / path
            try:
                with path.open("rb") as file:
                    raw = file.read(_MAX_DOCUMENT_BYTES + 1)
            except OSError as exc:
                raise ToolFailedError(
                    f"the OpenAPI document {str(path)!r} cannot be read: {exc.strerror}"
                ) from None
            if len(raw) > _MAX_DOCUMENT_BYTES:
                raise ToolFailedError(f"the OpenAPI document {str(path)!r} is over 10 MiB")
            text = raw.decode("utf-8", errors="replace")
        try:
            return yaml.safe_load(text)  # JSON is YAML
        except yaml.YAMLError as exc:
            raise ToolFailedError(
                f"the OpenAPI document {location!r} is neither JSON nor YAML: {yaml_problem(exc)}"
            ) from None

    async def _fetch_document(self, url: str) -> str:
        import httpx

        try:
            async with (
                httpx.AsyncClient(timeout=self._spec.timeout, follow_redirects=True) as client,
                client.stream("GET", url) as response,
            ):
                response.raise_for_status()
                raw = bytearray()
                async for chunk in response.aiter_bytes():
                    raw += chunk
                    if len(raw) > _MAX_DOCUMENT_BYTES:
                        raise ToolFailedError(f"the OpenAPI document {url!r} is over 10 MiB")
        except httpx.HTTPError as exc:
            raise ToolFailedError(
                f"the OpenAPI document {url!r} cannot be fetched: {exc}"
            ) from None
        return raw.decode("utf-8", errors="replace")

    def _server_url(self, server: str | None) -> str:
        location = self._spec.openapi or ""
        if server is None:
            raise ToolFailedError(
                "the OpenAPI document names no server; give `base_url` in the definition"
            )
        if server.startswith(("http://", "https://")):
            return server
        if location.startswith(("http://", "https://")):
            import httpx

            return str(httpx.URL(location).join(server))
        raise ToolFailedError(
            f"the OpenAPI document's server {server!r} is relative; give `base_url` in the "
            "definition"
        )


def _fill(where: str, endpoint: Endpoint, values: dict[str, Any]) -> str:
    """The endpoint's path with each ``{name}`` replaced by its value, percent-encoded."""
    path = endpoint.path
    for param in endpoint.path_params:
        text = str(values.pop(param.argument))
        if text in ("", ".", ".."):
            raise ToolArgumentError(
                f"{where}() argument {param.argument!r} is {short_repr(text)}, which would change "
                "the path rather than fill a segment of it"
            )
        path = path.replace("{" + param.name + "}", quote(text, safe=""))
    return path


def _query(query: Mapping[str, Any]) -> list[tuple[str, str | int | float | bool | None]]:
    """Query pairs; a list repeats its key, booleans are written as JSON writes them."""
    pairs: list[tuple[str, str | int | float | bool | None]] = []
    for key, value in query.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((key, json.dumps(item) if isinstance(item, bool) else str(item)))
    return pairs


def _redirected(where: str, request: httpx.Request, response: httpx.Response) -> httpx.Request:
    """The request a redirect asks for, if it stays on the same scheme, host and port."""
    import httpx

    target = request.url.join(response.headers["location"])
    if (target.scheme, target.host, target.port) != (
        request.url.scheme,
        request.url.host,
        request.url.port,
    ):
        raise ToolFailedError(
            f"{where}() was redirected to {target.scheme}://{target.host}, another host; "
            "redirects are followed only on the same host"
        )
    keep = response.status_code in (307, 308)
    method = request.method if keep or request.method == "HEAD" else "GET"
    headers = {k: v for k, v in request.headers.items() if keep or k.lower() not in (
        "content-length", "content-type"
    )}  # fmt: skip
    return httpx.Request(method, target, headers=headers, content=request.content if keep else None)


def _value(where: str, response: httpx.Response, body: bytes) -> Any:
    if not body:
        return None
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        try:
            return json.loads(body)
        except ValueError:
            excerpt = body[:200].decode("utf-8", errors="replace")
            raise ToolFailedError(
                f"{where}() got a response declared as JSON that is not JSON: {excerpt!r}"
            ) from None
    if kind.startswith(_BINARY_PREFIXES) or kind in _BINARY_TYPES:
        return body
    encoding = response.charset_encoding or "utf-8"
    try:
        return body.decode(encoding, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")
