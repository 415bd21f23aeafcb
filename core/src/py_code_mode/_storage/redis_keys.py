"""Where RedisStorage keeps everything: the key layout, in one place (docs/storage.md).

Every key starts with ``<prefix>:``, so one Redis holds many tenants apart::

    P:skills:__skills__      HASH   field = skill name, value = JSON {name, description,
                                    source, parameters, created_at, updated_at}
    P:skills:__history__:<name>  LIST   the skill's versions and deletes, oldest first: JSON
                                    {version, created_at, source, description, author} or
                                    {version, created_at, deleted: true}
    P:skills:__names__       HASH   field = a skill name in lower case, value = the name
    P:skills:__index__:<n>   STRING a skill search index (vectors of one embedder)
    P:skills:__stats__       HASH   usage stats: fields <name>:calls, <name>:failures
                                    (HINCRBY), <name>:seconds (HINCRBYFLOAT), <name>:last_used
    P:skills:__version__     STRING a counter, INCR'd with every skill and tool definition
                                    write and delete: the storage's revision
    P:artifacts:<name>       STRING the artifact's bytes (with a native TTL if it has one)
    P:artifacts:__index__    HASH   field = artifact name, value = JSON {description,
                                    created_at, metadata{..., _data_type}, size, expires_at?}
    P:deps:__deps__          HASH   field = canonical distribution name, value = requirement
    P:tools:__tools__        HASH   field = tool name, value = JSON of the tool's YAML mapping

The skills hash and the artifact keys are upstream py-code-mode 0.10's, so data
moves between the two. Artifact names of the form ``__name__`` are rejected by
`py_code_mode._names`, which is how no artifact can land on ``__index__``. This module
imports nothing from redis: tools that only need the layout can use it without the client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from py_code_mode import _names

__all__ = ["DEFAULT_PREFIX", "RedisKeys", "check_prefix"]

DEFAULT_PREFIX = "py_code_mode"
_PREFIX = re.compile(r"[A-Za-z0-9_.:-]{1,200}")


def check_prefix(prefix: object) -> str:
    """Return `prefix` if keys can start with it, else raise `ValueError`.

    Glob characters and spaces are refused so that ``SCAN MATCH <prefix>:*`` needs no
    escaping.
    """
    if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
        raise ValueError(
            f"Redis prefix {prefix!r} is not allowed: use 1-200 letters, digits and . _ - :, "
            f"e.g. {DEFAULT_PREFIX!r} or 'myapp:tenant1'"
        )
    return prefix


@dataclass(frozen=True)
class RedisKeys:
    """The keys of one tenant (one prefix)."""

    prefix: str = DEFAULT_PREFIX

    def __post_init__(self) -> None:
        check_prefix(self.prefix)

    @property
    def skills(self) -> str:
        """HASH of skill records, upstream's ``P:skills:__skills__``."""
        return f"{self.prefix}:skills:__skills__"

    @property
    def skills_version(self) -> str:
        """Counter bumped with every skill and tool definition write: caches compare it."""
        return f"{self.prefix}:skills:__version__"

    @property
    def skill_names(self) -> str:
        """HASH of skill names by their lower case: no two may differ only in case."""
        return f"{self.prefix}:skills:__names__"

    def skill_history(self, name: str) -> str:
        """LIST of a skill's versions and deletes, oldest first (JSON entries)."""
        return f"{self.prefix}:skills:__history__:{_names.skill_name(name)}"

    @property
    def skill_stats(self) -> str:
        """HASH of usage counters, ``<name>:<counter>`` fields, so hosts' counts add up."""
        return f"{self.prefix}:skills:__stats__"

    def search_index(self, name: str) -> str:
        """STRING holding a skill search index (the vectors of one embedder)."""
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", name):
            raise ValueError(f"search index name {name!r} is not letters, digits and dashes")
        return f"{self.prefix}:skills:__index__:{name}"

    @property
    def artifact_index(self) -> str:
        """HASH of artifact records, upstream's ``P:artifacts:__index__``."""
        return f"{self.prefix}:artifacts:__index__"

    def artifact(self, name: str) -> str:
        """The STRING holding an artifact's bytes; the name is checked first."""
        return f"{self.prefix}:artifacts:{_names.artifact_name(name)}"

    @property
    def deps(self) -> str:
        """HASH of the deps list: canonical distribution name -> requirement line."""
        return f"{self.prefix}:deps:__deps__"

    @property
    def tools(self) -> str:
        """HASH of tool definitions: tool name -> JSON of its YAML mapping."""
        return f"{self.prefix}:tools:__tools__"

    @property
    def pattern(self) -> str:
        """A SCAN pattern for every key of this tenant.

        It also matches tenants whose prefix extends this one after a colon (``a:b`` for
        ``a``); their keys never collide with these, but scans see both.
        """
        return f"{self.prefix}:*"
