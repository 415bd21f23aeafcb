"""Tool YAML definitions: what loads, what is rejected, and how tools are described."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import anyio
import jsonschema
import pytest
from py_code_mode._tools import ToolRegistry
from py_code_mode._tools.definition import parse_definition
from py_code_mode.errors import ToolDefinitionError, ToolNotFoundError
from pydantic import ValidationError

SOURCE = "/workspace/tools/fetcher.yaml"

VALID: dict[str, Any] = {
    "name": "fetcher",
    "description": "Get URLs",
    "command": "curl",
    "timeout": 20,
    "tags": ["web", "http"],
    "schema": {
        "options": {
            "quiet": {"type": "boolean", "short": "s", "description": "no progress"},
            "hdr": {"type": "array", "short": "H"},
            "retries": {"type": "integer", "description": "retry count"},
            "max_time": {"type": "number", "flag": "--max-time"},
        },
        "positional": [{"name": "url", "type": "string", "required": True, "description": "URL"}],
    },
    "recipes": {
        "get": {
            "description": "quiet GET",
            "preset": {"quiet": True},
            "params": {"url": {}, "retries": {"default": 2}},
        },
        "raw": {"description": "everything"},
    },
}


def changed(path: str, value: Any) -> dict[str, Any]:
    """VALID with the dotted `path` set to `value` (or removed when value is DELETE)."""
    data = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


DELETE = object()


def load(data: Any, source: str = SOURCE) -> ToolRegistry:
    return ToolRegistry.from_definitions([(source, data)])


def test_a_valid_definition_loads_with_its_tags_and_schema_types() -> None:
    [tool] = anyio.run(load(VALID).list)

    assert tool["name"] == "fetcher"
    assert tool["description"] == "Get URLs"
    assert tool["tags"] == ["web", "http"]
    get, raw = tool["callables"]
    assert get == {
        "name": "get",
        "description": "quiet GET",
        "parameters": [
            {
                "name": "url",
                "type": "string",
                "required": True,
                "default": None,
                "description": "URL",
            },
            {
                "name": "retries",
                "type": "integer",
                "required": False,
                "default": 2,
                "description": "retry count",
            },
        ],
    }
    # Without `params`, a recipe advertises every positional, then every option.
    assert [p["name"] for p in raw["parameters"]] == ["url", "quiet", "hdr", "retries", "max_time"]
    assert [p["type"] for p in raw["parameters"]] == [
        "string",
        "boolean",
        "array",
        "integer",
        "number",
    ]


def test_a_minimal_definition_gets_defaults_for_everything_optional(
    registry_of: Callable[..., ToolRegistry],
) -> None:
    registry = registry_of("{name: date, recipes: {now: {}}}")

    assert anyio.run(registry.list) == [
        {
            "name": "date",
            "description": "",
            "tags": [],
            "callables": [{"name": "now", "description": "", "parameters": []}],
        }
    ]


def test_a_recipe_may_be_left_empty_in_yaml(registry_of: Callable[..., ToolRegistry]) -> None:
    registry = registry_of("name: date\nrecipes:\n  now:\n")

    assert anyio.run(registry.list)[0]["callables"][0]["name"] == "now"


def test_preset_and_defaults_make_a_required_positional_optional_in_the_description() -> None:
    data = changed("recipes.get.preset", {"url": "https://example.org"})

    [tool] = anyio.run(load(data).list)

    url = tool["callables"][0]["parameters"][0]
    assert url["required"] is False
    assert url["default"] == "https://example.org"


def test_a_boolean_parameter_is_described_with_default_false() -> None:
    [tool] = anyio.run(load(VALID).list)

    quiet = tool["callables"][1]["parameters"][1]
    assert quiet == {
        "name": "quiet",
        "type": "boolean",
        "required": False,
        "default": False,
        "description": "no progress",
    }


def test_recipe_param_descriptions_override_the_schema_description() -> None:
    data = changed("recipes.get.params.url", {"description": "Where to go"})

    [tool] = anyio.run(load(data).list)

    assert tool["callables"][0]["parameters"][0]["description"] == "Where to go"


def test_a_recipe_param_may_repeat_the_schema_type() -> None:
    data = changed("recipes.get.params.retries", {"type": "integer", "default": 2})

    assert load(data).names() == ["fetcher"]


def test_descriptions_are_fresh_copies_that_callers_may_change() -> None:
    data = changed("recipes.get.params.hdr", {"default": ["A: 1"]})
    registry = load(data)

    first = anyio.run(registry.list)
    first[0]["callables"][0]["parameters"][2]["default"].append("B: 2")
    first[0]["tags"].append("changed")

    again = anyio.run(registry.list)[0]
    assert again["callables"][0]["parameters"][2]["default"] == ["A: 1"]
    assert again["tags"] == ["web", "http"]


def test_the_definition_is_not_changed_through_the_yaml_mapping_it_came_from() -> None:
    data = changed("recipes.get.params.hdr", {"default": ["A: 1"]})
    registry = load(data)

    data["recipes"]["get"]["params"]["hdr"]["default"].append("B: 2")

    assert anyio.run(registry.list)[0]["callables"][0]["parameters"][2]["default"] == ["A: 1"]


MALFORMED: dict[str, Any] = {
    "empty file": None,
    "not a mapping": ["name", "fetcher"],
    "missing name": changed("name", DELETE),
    "hyphenated name": changed("name", "my-tool"),
    "name not a string": changed("name", 42),
    "reserved name list": changed("name", "list"),
    "reserved name search": changed("name", "search"),
    "keyword name": changed("name", "class"),
    "unknown type": changed("type", "http"),
    "unknown top-level key": changed("recipe", {"get": {}}),
    "description not a string": changed("description", ["Get", "URLs"]),
    "command empty list": changed("command", []),
    "command empty string": changed("command", ""),
    "command not a string": changed("command", 7),
    "command list with a number": changed("command", ["python3", 3]),
    "timeout zero": changed("timeout", 0),
    "timeout negative": changed("timeout", -5),
    "timeout boolean": changed("timeout", True),
    "timeout string": changed("timeout", "20"),
    "timeout infinite": changed("timeout", float("inf")),
    "tags not a list": changed("tags", "web"),
    "tags with a number": changed("tags", ["web", 1]),
    "schema not a mapping": changed("schema", ["quiet"]),
    "unknown schema key": changed("schema.arguments", {}),
    "options not a mapping": changed("schema.options", ["quiet"]),
    "unknown option type": changed("schema.options.quiet.type", "str"),
    "unknown option key": changed("schema.options.quiet.alias", "q"),
    "option spec not a mapping": changed("schema.options.quiet", "boolean"),
    "hyphenated option name": changed("schema.options.max-time", {"type": "number"}),
    "option named input": changed("schema.options.input", {"type": "string"}),
    "option short with a dash": changed("schema.options.quiet.short", "-s"),
    "option short and flag": changed("schema.options.quiet.flag", "--quiet"),
    "option flag without dash": changed("schema.options.max_time.flag", "max-time"),
    "option flag with a space": changed("schema.options.max_time.flag", "--max time"),
    "option flag with a value": changed("schema.options.max_time.flag", "--max-time=5"),
    "option required not a boolean": changed("schema.options.quiet.required", "yes"),
    "option default of the wrong type": changed("schema.options.retries.default", "two"),
    "positional not a list": changed("schema.positional", {"name": "url"}),
    "positional not a mapping": changed("schema.positional.0", "url"),
    "positional without a name": changed("schema.positional.0.name", DELETE),
    "positional named input": changed("schema.positional.0.name", "input"),
    "unknown positional key": changed("schema.positional.0.short", "u"),
    "unknown positional type": changed("schema.positional.0.type", "url"),
    "required positional with a default": changed("schema.positional.0.default", "http://x"),
    "required positional after optional": changed(
        "schema.positional",
        [{"name": "path"}, {"name": "url", "required": True}],
    ),
    "name in options and positionals": changed("schema.options.url", {"type": "string"}),
    "missing recipes": changed("recipes", DELETE),
    "empty recipes": changed("recipes", {}),
    "recipes as a list": changed("recipes", ["get"]),
    "recipe not a mapping": changed("recipes.get", "quiet GET"),
    "unknown recipe key": changed("recipes.get.flags", ["-s"]),
    "old args template": changed("recipes.get.args", "-s {url}"),
    "hyphenated recipe name": changed("recipes.get-it", {}),
    "reserved recipe name": changed("recipes.call_async", {}),
    "recipe name not a string": {**VALID, "recipes": {1: {}}},
    "preset names an unknown parameter": changed("recipes.get.preset", {"verbose": True}),
    "preset value of the wrong type": changed("recipes.get.preset", {"quiet": "yes"}),
    "preset string for an array": changed("recipes.get.preset", {"hdr": "A: 1"}),
    "preset null value": changed("recipes.get.preset", {"quiet": None}),
    "preset sets input": changed("recipes.get.preset", {"input": "x"}),
    "params as a list": changed("recipes.get.params", ["url"]),
    "param not in the schema": changed("recipes.get.params.verbose", {}),
    "param type differs from the schema": changed("recipes.get.params.url", {"type": "str"}),
    "param default of the wrong type": changed("recipes.get.params.retries", {"default": "2"}),
    "param default boolean for integer": changed("recipes.get.params.retries", {"default": True}),
    "unknown param key": changed("recipes.get.params.url", {"required": True}),
}


@pytest.mark.parametrize("data", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_definition_is_rejected_naming_its_file(data: Any) -> None:
    with pytest.raises(ToolDefinitionError) as excinfo:
        load(data)

    assert SOURCE in str(excinfo.value)


def test_two_definitions_with_one_name_are_rejected_naming_both_files() -> None:
    first, second = "/ws/tools/a.yaml", "/ws/tools/b.yaml"

    with pytest.raises(ToolDefinitionError) as excinfo:
        ToolRegistry.from_definitions([(first, VALID), (second, VALID)])

    assert first in str(excinfo.value)
    assert second in str(excinfo.value)


def test_type_cli_is_accepted_explicitly() -> None:
    assert load(changed("type", "cli")).names() == ["fetcher"]


def test_a_definition_without_a_schema_has_no_parameters(
    registry_of: Callable[..., ToolRegistry],
) -> None:
    registry = registry_of({"name": "date", "recipes": {"now": {"params": {}}}})

    assert anyio.run(registry.list)[0]["callables"][0]["parameters"] == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            changed("schema.options.quiet.alias", "q"),
            "unknown key 'alias' in schema.options.quiet; allowed keys are type, short, flag, "
            "description, required, default",
        ),
        (
            changed("recipes.get.args", "-s {url}"),
            "unknown key 'args' in recipes.get (the old `args:` template format is gone",
        ),
        (
            changed("recipes.get.params.retries", {"default": "2"}),
            "recipes.get.params.retries: `default` expects an integer, got str '2'",
        ),
        (
            changed("schema.positional.0.type", "url"),
            "schema.positional[0].type: Input should be 'boolean', 'string', 'integer'",
        ),
        (changed("timeout", "20"), "timeout: Input should be a valid number"),
    ],
)
def test_an_error_names_the_place_in_the_yaml_and_what_is_allowed(data: Any, expected: str) -> None:
    with pytest.raises(ToolDefinitionError) as excinfo:
        load(data)

    assert str(excinfo.value).startswith(f"{SOURCE}: ")
    assert expected in str(excinfo.value)


def test_each_recipe_has_a_json_schema_that_agrees_with_its_argument_model() -> None:
    [tool] = [anyio.run(load(VALID).describe, "fetcher")]
    get, raw = tool["callables"]
    # The preset and the recipe's default make nothing but url required.
    assert get["input_schema"]["required"] == ["url"]
    assert get["input_schema"]["properties"]["quiet"] == {
        "type": "boolean",
        "default": True,
        "description": "no progress",
    }
    assert get["input_schema"]["properties"]["retries"]["default"] == 2
    assert get["input_schema"]["additionalProperties"] is False
    assert "input" in raw["input_schema"]["properties"]

    definition = parse_definition(SOURCE, VALID)
    model = definition.arguments_model(definition.recipes["get"])
    calls: list[dict[str, Any]] = [
        {"url": "https://example.org"},
        {"url": "u", "hdr": ["A: 1", 2], "max_time": 1.5, "retries": 3, "input": "body"},
        {},
        {"url": 5},
        {"url": "u", "retries": True},
        {"url": "u", "hdr": "A: 1"},
        {"url": "u", "colour": "red"},
    ]
    for call in calls:
        try:
            model.model_validate(call)
            accepted = True
        except ValidationError:
            accepted = False
        valid = jsonschema.Draft202012Validator(get["input_schema"]).is_valid(call)
        assert accepted == valid, call


def test_describing_an_unknown_tool_names_the_ones_there_are() -> None:
    with pytest.raises(ToolNotFoundError, match="Available: fetcher"):
        anyio.run(load(VALID).describe, "nope")
