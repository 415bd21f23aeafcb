"""Upstream's old `args:` template format, rewritten in today's format for the error message.

Old definitions rendered a command line from one template, ``args: "-s -L {url}"``. Today a
definition declares its options and positionals (`schema`) and names ways of calling it
(`recipes`), so that every argument is typed and nothing is spliced into a string. A
definition in the old format is refused, with the same tool written the new way, ready to
paste.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

import yaml

__all__ = ["rewrite_args_template"]

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_OPTION_NAME = re.compile(r"[^A-Za-z0-9_]")


def rewrite_args_template(data: Any) -> str | None:
    """The definition `data` in today's format, as YAML; None if it is not a simple template.

    Handled: literal words (they join `command`), ``{name}`` (a required positional),
    ``--flag {name}`` and ``-f {fname}`` (a string option), ``-f value`` and ``-f`` (fixed
    in the recipe's preset). A placeholder inside a longer word (``--user={u}``) cannot
    be rewritten.
    """
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        return None
    args = data.get("args")
    if not isinstance(args, str | list):
        return None
    try:
        tokens = shlex.split(args) if isinstance(args, str) else [str(a) for a in args]
    except ValueError:  # unbalanced quotes
        return None
    command = data.get("command") or data["name"]
    command = [command] if isinstance(command, str) else list(command)
    options: dict[str, Any] = {}
    positional: list[dict[str, Any]] = []
    preset: dict[str, Any] = {}
    params: dict[str, Any] = {}
    index = 0
    while index < len(tokens):
        token = tokens[index]
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        placeholder = _PLACEHOLDER.fullmatch(token)
        if placeholder:
            positional.append({"name": placeholder[1], "type": "string", "required": True})
            params[placeholder[1]] = {}
        elif "{" in token:
            return None
        elif token.startswith("-"):
            name = _OPTION_NAME.sub("_", token.lstrip("-")) or "flag"
            taken = _PLACEHOLDER.fullmatch(following) if following is not None else None
            if taken and _takes(token, taken[1]):
                options[taken[1]] = {"type": "string", "flag": token}
                params[taken[1]] = {}
                index += 1
            elif following is not None and not following.startswith("-") and "{" not in following:
                options[name] = {"type": "string", "flag": token}
                preset[name] = following
                index += 1
            else:
                options[name] = {"type": "boolean", "flag": token}
                preset[name] = True
        elif positional or options:
            return None  # a literal after the parameters: the order cannot be kept
        else:
            command.append(token)
        index += 1
    recipe: dict[str, Any] = {"description": data.get("description") or data["name"]}
    if preset:
        recipe["preset"] = preset
    recipe["params"] = params
    return _yaml(data, command, options, positional, recipe)


def _yaml(
    data: dict[str, Any],
    command: list[str],
    options: dict[str, Any],
    positional: list[dict[str, Any]],
    recipe: dict[str, Any],
) -> str:
    rewritten: dict[str, Any] = {"name": data["name"]}
    if data.get("description"):
        rewritten["description"] = data["description"]
    rewritten["command"] = command
    schema: dict[str, Any] = {}
    if options:
        schema["options"] = options
    if positional:
        schema["positional"] = positional
    if schema:
        rewritten["schema"] = schema
    rewritten["recipes"] = {data["name"]: recipe}
    text: str = yaml.safe_dump(rewritten, sort_keys=False, default_flow_style=None)
    return text


def _takes(flag: str, placeholder: str) -> bool:
    """Whether `flag {placeholder}` reads as an option with a value, not a flag then a word.

    A long option followed by a placeholder takes it (``--max-time {seconds}``); a short
    one only when the placeholder starts with its letter (``-H {header}``, but ``-s {url}``
    is a flag and a positional).
    """
    if flag.startswith("--"):
        return True
    return len(flag) == 2 and placeholder[:1].lower() == flag[1].lower()
