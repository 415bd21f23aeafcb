"""The registry: names, listing, search, and finding the tool and recipe a call names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest
from py_code_mode._tools import ToolRegistry
from py_code_mode.errors import InputError, ToolNotFoundError

from tests._support import require_binary

pytestmark = pytest.mark.anyio

Build = Callable[..., ToolRegistry]

CATALOGUE = (
    """
    name: fetcher
    description: Download web pages over HTTP
    tags: [web, network]
    recipes:
      get: {description: fetch a URL}
      post: {description: send a form}
    """,
    """
    name: archiver
    description: Pack files
    tags: [compression, zip]
    recipes:
      pack: {description: create a tarball}
    """,
    """
    name: grepper
    description: Find lines in text files
    tags: [text, search]
    recipes:
      find: {description: match a regular expression}
    """,
)


@pytest.fixture
def catalogue(registry_of: Build) -> ToolRegistry:
    return registry_of(*CATALOGUE)


def test_names_and_list_are_sorted_by_name(catalogue: ToolRegistry) -> None:
    assert catalogue.names() == ["archiver", "fetcher", "grepper"]
    assert [tool["name"] for tool in anyio.run(catalogue.list)] == [
        "archiver",
        "fetcher",
        "grepper",
    ]


def test_an_empty_registry_has_no_tools() -> None:
    registry = ToolRegistry.empty()

    assert registry.names() == []
    assert anyio.run(registry.list) == []
    assert anyio.run(registry.search, "anything") == []


def test_no_definitions_make_an_empty_registry() -> None:
    assert ToolRegistry.from_definitions([]).names() == []


@pytest.mark.parametrize(
    ("query", "best"),
    [
        ("fetcher", "fetcher"),
        ("download pages", "fetcher"),
        ("compression", "archiver"),
        ("tarball", "archiver"),
        ("regular expression", "grepper"),
        ("network", "fetcher"),
    ],
)
def test_search_finds_tools_by_name_description_tags_and_recipes(
    catalogue: ToolRegistry, query: str, best: str
) -> None:
    results = anyio.run(catalogue.search, query)

    assert results[0]["name"] == best
    assert results[0] == next(t for t in anyio.run(catalogue.list) if t["name"] == best)


def test_search_leaves_out_tools_that_match_nothing(catalogue: ToolRegistry) -> None:
    assert anyio.run(catalogue.search, "kubernetes") == []


def test_search_returns_at_most_limit_tools(catalogue: ToolRegistry) -> None:
    assert len(anyio.run(catalogue.search, "web text files pack", 2)) == 2
    assert len(anyio.run(catalogue.search, "web text files pack", 1)) == 1


@pytest.mark.parametrize(
    ("query", "limit"),
    [(None, 10), (["web"], 10), ("web", 0), ("web", -1), ("web", True), ("web", 2.0), ("web", "3")],
)
def test_search_rejects_a_query_that_is_not_a_string_or_a_bad_limit(
    catalogue: ToolRegistry, query: Any, limit: Any
) -> None:
    with pytest.raises(InputError):
        anyio.run(catalogue.search, query, limit)


async def test_calling_an_unknown_tool_names_the_available_ones(catalogue: ToolRegistry) -> None:
    with pytest.raises(ToolNotFoundError) as excinfo:
        await catalogue.call("fetch", "get", {})

    assert "archiver, fetcher, grepper" in str(excinfo.value)


async def test_calling_a_tool_of_an_empty_registry_raises_tool_not_found() -> None:
    with pytest.raises(ToolNotFoundError, match=r"tools/\*\.yaml"):
        await ToolRegistry.empty().call("curl", "get", {"url": "http://x"})


@pytest.mark.parametrize("name", [None, 3, ["fetcher"], ""])
async def test_a_tool_name_that_is_not_a_known_string_raises_tool_not_found(
    catalogue: ToolRegistry, name: Any
) -> None:
    with pytest.raises(ToolNotFoundError):
        await catalogue.call(name, None, {})


async def test_calling_an_unknown_recipe_names_the_available_ones(catalogue: ToolRegistry) -> None:
    with pytest.raises(ToolNotFoundError) as excinfo:
        await catalogue.call("fetcher", "put", {})

    assert "get, post" in str(excinfo.value)


async def test_a_recipe_name_that_is_not_a_string_raises_tool_not_found(
    catalogue: ToolRegistry,
) -> None:
    not_a_name: Any = ["get"]

    with pytest.raises(ToolNotFoundError):
        await catalogue.call("fetcher", not_a_name, {})


async def test_calling_the_tool_itself_uses_the_recipe_named_like_it(registry_of: Build) -> None:
    require_binary("echo")
    registry = registry_of(
        """
        name: echo
        schema:
          options: {no_newline: {type: boolean, short: n}}
          positional: [{name: text}]
        recipes:
          shout: {preset: {text: HEY}}
          echo: {preset: {no_newline: true}}
        """
    )

    with anyio.fail_after(30):
        output = await registry.call("echo", None, {"text": "hi"})

    assert output == "hi"


async def test_calling_the_tool_itself_without_a_same_named_recipe_uses_the_raw_schema(
    registry_of: Build,
) -> None:
    require_binary("echo")
    registry = registry_of(
        """
        name: echo
        schema:
          options: {no_newline: {type: boolean, short: n}}
          positional: [{name: text}]
        recipes:
          shout: {preset: {text: HEY}}
        """
    )

    with anyio.fail_after(30):
        output = await registry.call("echo", None, {"text": "hi"})

    assert output == "hi\n"
