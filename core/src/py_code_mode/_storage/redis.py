"""Redis as storage: skills, artifacts, the deps list and tool definitions under one prefix.

The key layout lives in `redis_keys` (and docs/storage.md); it is upstream py-code-mode's
for skills and artifacts. Every operation is one round trip, two at most, and what must land
together goes in one MULTI/EXEC or one Lua script (atomic as well, and cheaper in redis-py
than a transaction), so processes on many hosts never lose each other's writes:

- a skill or tool definition write or delete bumps ``P:skills:__version__`` in the same
  step; a skill listing is cached and re-read only when the counter moved, which costs one
  GET, and the counter is the storage's `revision`;
- an artifact's bytes and index entry are written and read together; an artifact saved with
  a TTL expires natively, and its index entry is dropped lazily (by `load` or `list`), by a
  script that removes an entry only if its bytes are really gone.

Connections: a storage built from a URL opens them on the event loop that first uses it,
with connect and socket timeouts and a short retry, so a restarted server is reconnected on
the next call and an unreachable one fails fast with `StorageError` naming the URL (its
password redacted). `close()`, which `Session.close()` calls, releases them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from py_code_mode import _names
from py_code_mode._storage import _records
from py_code_mode._storage.base import (
    ArtifactInfo,
    SkillStats,
    SkillUse,
    SkillVersion,
    StoredSkill,
    artifact_not_found,
    case_twin,
    checked_verification,
    seconds_until,
    source_hash,
    utc_now,
)
from py_code_mode._storage.redis_keys import DEFAULT_PREFIX, RedisKeys
from py_code_mode._tools._spec import read_spec
from py_code_mode.errors import (
    InvalidNameError,
    StorageError,
    ToolDefinitionError,
    UsageError,
)

try:
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialWithJitterBackoff
    from redis.commands.core import AsyncScript
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import RedisError, ResponseError
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "RedisStorage needs the redis client: pip install 'py-code-mode[redis]'"
    ) from exc

__all__ = ["RedisStorage"]

logger = logging.getLogger(__name__)

_SCHEMES = ("redis", "rediss", "unix")
_RETRIES = 3
"""Attempts after the first on a connection error: enough to step over a restart."""

# KEYS[1] is the artifact index, KEYS[i + 1] the bytes of artifact ARGV[i]. An entry goes
# only if its bytes are gone at this moment, so a fresh save by another process (which
# writes bytes and entry in one transaction) is never dropped.
_PRUNE_LAPSED = """
local gone = {}
for i, name in ipairs(ARGV) do
  if redis.call('EXISTS', KEYS[i + 1]) == 0 then
    redis.call('HDEL', KEYS[1], name)
    gone[#gone + 1] = name
  end
end
return gone
"""

# Keeps a current record that was written without a history entry (by another tool, or
# before histories existed) as one more version; returns the number of history entries.
_KEEP_UNRECORDED = """
local function keep_unrecorded(history, old)
  local n = redis.call('LLEN', history)
  if not old then return n end
  local ok, record = pcall(cjson.decode, old)
  if not ok or type(record) ~= 'table' or type(record['source']) ~= 'string' then return n end
  if n > 0 then
    local fine, last = pcall(cjson.decode, redis.call('LINDEX', history, -1))
    if fine and type(last) == 'table' and last['deleted'] ~= true
        and last['source'] == record['source'] then
      return n
    end
  end
  n = n + 1
  redis.call('RPUSH', history, cjson.encode({version = n,
    created_at = record['updated_at'] or record['created_at'] or '',
    source = record['source'], description = record['description'],
    author = record['author']}))
  return n
end
"""

# KEYS: the skills hash, the version counter, the skill's history, the names by lower case
# (filled from the skills hash the first time). A name that differs from a skill's only in
# case is refused with a CASE_TWIN error. ARGV[2] is the record's
# JSON up to its last keys, "created_at":, whose value is kept from the stored record if
# there is one, else ARGV[3]; the script adds "version". ARGV[4..7]: the version's time,
# source, description and author ("" for none); ARGV[8] the verification record as JSON
# ("" for none), kept in the entry as a string (cjson turns [] into {}). One round trip,
# atomic: the record, its
# history entry and the version counter move together.
_SAVE_SKILL = (
    _KEEP_UNRECORDED
    + """
if redis.call('EXISTS', KEYS[4]) == 0 then
  for _, known in ipairs(redis.call('HKEYS', KEYS[1])) do
    redis.call('HSET', KEYS[4], string.lower(known), known)
  end
end
local twin = redis.call('HGET', KEYS[4], string.lower(ARGV[1]))
if twin and twin ~= ARGV[1] then
  return redis.error_reply('CASE_TWIN ' .. twin)
end
redis.call('HSET', KEYS[4], string.lower(ARGV[1]), ARGV[1])
local created = ARGV[3]
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  local ok, record = pcall(cjson.decode, old)
  if ok and type(record) == 'table' and type(record['created_at']) == 'string' then
    created = record['created_at']
  end
end
local n = keep_unrecorded(KEYS[3], old) + 1
local entry = {version = n, created_at = ARGV[4], source = ARGV[5]}
if ARGV[6] ~= '' then entry['description'] = ARGV[6] end
if ARGV[7] ~= '' then entry['author'] = ARGV[7] end
if ARGV[8] ~= '' then entry['verification'] = ARGV[8] end
redis.call('RPUSH', KEYS[3], cjson.encode(entry))
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. cjson.encode(created) .. ',"version":' .. n .. '}')
return redis.call('INCR', KEYS[2])
"""
)

# KEYS as for saving; ARGV: the name, the time. The delete is recorded in the history.
_DELETE_SKILL = (
    _KEEP_UNRECORDED
    + """
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return 0 end
local n = keep_unrecorded(KEYS[3], old) + 1
redis.call('RPUSH', KEYS[3], cjson.encode({version = n, created_at = ARGV[2], deleted = true}))
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HGET', KEYS[4], string.lower(ARGV[1])) == ARGV[1] then
  redis.call('HDEL', KEYS[4], string.lower(ARGV[1]))
end
redis.call('INCR', KEYS[2])
return 1
"""
)

# KEYS as for saving; ARGV: the name. The record and the whole history go.
_PURGE_SKILL = """
if redis.call('HGET', KEYS[4], string.lower(ARGV[1])) == ARGV[1] then
  redis.call('HDEL', KEYS[4], string.lower(ARGV[1]))
end
local gone = redis.call('HDEL', KEYS[1], ARGV[1]) + redis.call('DEL', KEYS[3])
if gone > 0 then redis.call('INCR', KEYS[2]) end
return gone
"""


# KEYS[1] holds the artifact's bytes, KEYS[2] is the index. ARGV: bytes, name, entry JSON,
# TTL in milliseconds or "" for none. A script rather than MULTI/EXEC: as atomic, one
# round trip either way, and redis-py runs one command at half the cost of a transaction.
_SAVE_ARTIFACT = """
if ARGV[4] == '' then
  redis.call('SET', KEYS[1], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

# The bytes and the index entry of one artifact, read at one instant.
_LOAD_ARTIFACT = """
return {redis.call('GET', KEYS[1]), redis.call('HGET', KEYS[2], ARGV[1])}
"""


class _Scripts:
    """The Lua scripts, registered with one client (their SHA is computed once)."""

    def __init__(self, client: Redis) -> None:
        self.prune_lapsed: AsyncScript = client.register_script(_PRUNE_LAPSED)
        self.save_skill: AsyncScript = client.register_script(_SAVE_SKILL)
        self.delete_skill: AsyncScript = client.register_script(_DELETE_SKILL)
        self.purge_skill: AsyncScript = client.register_script(_PURGE_SKILL)
        self.save_artifact: AsyncScript = client.register_script(_SAVE_ARTIFACT)
        self.load_artifact: AsyncScript = client.register_script(_LOAD_ARTIFACT)


class RedisStorage:
    """Skills, artifacts, deps and tool definitions in Redis, one tenant per prefix.

    Args:
        url: ``redis://[user:password@]host:port/db`` (or ``rediss://``, ``unix://``).
        redis: An existing `redis.asyncio.Redis` client instead of a URL; it must not
            decode responses (artifacts are bytes). Its owner closes it.
        prefix: Starts every key; storages with different prefixes never see each other.
        timeout: Seconds to connect and to wait for a reply before the call fails.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        redis: Redis | None = None,
        prefix: str = DEFAULT_PREFIX,
        timeout: float = 5.0,
    ) -> None:
        if (url is None) == (redis is None):
            raise TypeError(
                "RedisStorage needs exactly one of url='redis://host:6379/0' or redis=<client>"
            )
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        self._keys = RedisKeys(prefix)
        self._timeout = float(timeout)
        self._url = url
        self._given = redis
        self._client: Redis | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._scripts_for: _Scripts | None = None
        self._skills_cache: tuple[int, list[StoredSkill]] | None = None
        if url is not None:
            if not isinstance(url, str):
                raise TypeError(f"url must be a string, got {type(url).__name__}")
            if urlsplit(url).scheme not in _SCHEMES:
                raise ValueError(
                    "RedisStorage url must start with redis://, rediss:// or unix://, "
                    f"got {_redact(url)[0]!r}"
                )
            self._where, self._secrets = _redact(url)
        else:
            if not isinstance(redis, Redis):
                raise TypeError(
                    f"redis= takes a redis.asyncio.Redis client, got {type(redis).__name__}"
                )
            kwargs = redis.connection_pool.connection_kwargs
            if kwargs.get("decode_responses"):
                raise ValueError(
                    "RedisStorage needs a client with decode_responses=False: artifacts are "
                    "bytes, and names are decoded by the storage itself"
                )
            self._where, self._secrets = _describe(kwargs)
            self._client = redis
            self._scripts_for = _Scripts(redis)

    def __repr__(self) -> str:
        return f"RedisStorage(url={self._where!r}, prefix={self._keys.prefix!r})"

    async def __aenter__(self) -> RedisStorage:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def prefix(self) -> str:
        """The prefix every key of this storage starts with."""
        return self._keys.prefix

    @property
    def keys(self) -> RedisKeys:
        """This storage's key layout."""
        return self._keys

    @property
    def url(self) -> str:
        """Where the server is, with any password replaced by ``***``."""
        return self._where

    @property
    def root(self) -> None:
        """Redis has no workspace directory: the worker runs in the host's."""
        return None

    def redact(self, text: str) -> str:
        """`text` with this storage's password replaced by ``***``: safe to print or log."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    # --- connections -------------------------------------------------------------------

    def _redis(self) -> Redis:
        if self._given is not None:
            return self._given
        loop = asyncio.get_running_loop()
        if self._client is not None and self._client_loop is not loop:
            if self._client_loop is not None and not self._client_loop.is_closed():
                raise UsageError(
                    f"{self!r} has connections on another event loop; await its close() "
                    "there (Session.close() does) before using it from this one"
                )
            self._client = None  # its loop has ended, and its connections with it
        if self._client is None:
            assert self._url is not None
            self._client = Redis.from_url(
                self._url,
                socket_connect_timeout=self._timeout,
                socket_timeout=self._timeout,
                retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), _RETRIES),
            )
            self._client_loop = loop
            if self._scripts_for is None:
                self._scripts_for = _Scripts(self._client)
        return self._client

    @property
    def _scripts(self) -> _Scripts:
        # Set up with the first client; a script object only holds its source and SHA, and
        # every call passes the client to run it on.
        assert self._scripts_for is not None, "call _redis() first"
        return self._scripts_for

    async def close(self) -> None:
        """Release this storage's connections; the next call opens new ones.

        A client passed in as `redis=` belongs to the caller and stays open.
        """
        client, loop = self._client, self._client_loop
        if self._given is not None or client is None:
            return
        self._client = self._client_loop = None
        if loop is asyncio.get_running_loop():
            await client.aclose()

    def _failed(self, exc: RedisError) -> StorageError:
        message = str(exc).rstrip(". ")
        for secret in self._secrets:
            message = message.replace(secret, "***")
        if isinstance(exc, RedisConnectionError | RedisTimeoutError):
            return StorageError(
                f"Redis at {self._where} is unavailable: {message}. Check that the server "
                "is running and the URL is right; the next call connects again"
            )
        return StorageError(f"Redis at {self._where} failed: {message}")

    async def open(self) -> None:
        """Prepare the client; connections open on first use (and again after a restart)."""
        self._redis()

    async def revision(self) -> str:
        """The version counter that every skill and tool definition write bumps."""
        try:
            raw = await self._redis().get(self._keys.skills_version)
        except RedisError as exc:
            raise self._failed(exc) from exc
        version = _version(raw)
        if self._skills_cache is not None and self._skills_cache[0] != version:
            # The caller will list the skills next: one pipelined read, not a GET first.
            self._skills_cache = None
        return str(version or 0)

    # --- tools -------------------------------------------------------------------------

    async def load_tool_definitions(self) -> list[tuple[str, Any]]:
        """Tool definitions from the tools hash, sorted by tool name."""
        try:
            raw = await self._redis().hgetall(self._keys.tools)
        except RedisError as exc:
            raise self._failed(exc) from exc
        found = []
        for name, value in sorted(_decoded_items(raw)):
            where = f"{self._keys.tools}[{name}]"
            try:
                data: Any = json.loads(value)
            except ValueError as exc:
                data = ToolDefinitionError(f"{where}: not valid JSON: {exc}")
            found.append((where, data))
        return found

    async def save_tool_definition(self, definition: Mapping[str, Any]) -> None:
        """Store a tool definition (the mapping a tools/*.yaml file holds), checked first.

        Raises:
            ToolDefinitionError: The definition is malformed; nothing was written.
        """
        where = f"{self._keys.tools}[{definition.get('name')!r}]"
        tool = read_spec(where, definition)
        try:
            record = json.dumps(dict(definition), separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            raise ToolDefinitionError(f"{where}: must be plain JSON data: {exc}") from exc
        try:
            async with self._redis().pipeline(transaction=True) as pipe:
                pipe.hset(self._keys.tools, tool.name, record)
                pipe.incr(self._keys.skills_version)
                await pipe.execute()
        except RedisError as exc:
            raise self._failed(exc) from exc

    async def delete_tool_definition(self, name: str) -> bool:
        """Delete a tool definition; False if there was none. Bumps the version."""
        return await self._delete_listed(self._keys.tools, _names.tool_name(name))

    async def _delete_listed(self, hash_key: str, field: str) -> bool:
        """Delete a skill or tool and bump the version, in one transaction."""
        try:
            async with self._redis().pipeline(transaction=True) as pipe:
                pipe.hdel(hash_key, field)
                pipe.incr(self._keys.skills_version)
                removed, _ = await pipe.execute()
        except RedisError as exc:
            raise self._failed(exc) from exc
        return bool(removed)

    # --- skills ------------------------------------------------------------------------

    async def list_skills(self) -> list[StoredSkill]:
        """Every skill, sorted by name; one GET when nothing changed since the last call."""
        client = self._redis()
        keys = self._keys
        try:
            cached = self._skills_cache
            if cached is not None and _version(await client.get(keys.skills_version)) == cached[0]:
                return list(cached[1])
            async with client.pipeline(transaction=True) as pipe:
                pipe.get(keys.skills_version)
                pipe.hgetall(keys.skills)
                raw_version, records = await pipe.execute()
        except RedisError as exc:
            raise self._failed(exc) from exc
        skills = []
        for name, record in sorted(_decoded_items(records)):
            skill = _stored_skill(name, record)
            if skill is not None:
                skills.append(skill)
        version = _version(raw_version)
        self._skills_cache = (version, skills) if version is not None else None
        return list(skills)

    async def get_skill(self, name: str) -> StoredSkill | None:
        """One skill, or None."""
        field = _names.skill_name(name)
        try:
            record = await self._redis().hget(self._keys.skills, field)
        except RedisError as exc:
            raise self._failed(exc) from exc
        return None if record is None else _stored_skill(field, record)

    async def save_skill(self, skill: StoredSkill) -> None:
        """Create or replace a skill and record the version, keeping the first creation time."""
        field = _names.skill_name(skill.name)
        head = _skill_record(skill)[:-1] + ',"created_at":'
        keys = self._skill_keys(field)
        args = [field, head, skill.created_at, skill.updated_at, skill.source]
        args += [skill.description or "", skill.author or ""]
        args += [_compact(skill.verification) if skill.verification else ""]
        client = self._redis()
        try:
            await self._scripts.save_skill(keys, args, client)
        except ResponseError as exc:
            if str(exc).startswith("CASE_TWIN "):
                raise InvalidNameError(case_twin(field, str(exc).split(" ", 1)[1])) from None
            raise self._failed(exc) from exc
        except RedisError as exc:
            raise self._failed(exc) from exc

    def _skill_keys(self, field: str) -> list[str]:
        """The keys the skill scripts touch, in their KEYS order."""
        keys = self._keys
        return [keys.skills, keys.skills_version, keys.skill_history(field), keys.skill_names]

    async def delete_skill(self, name: str) -> bool:
        """Delete a skill, recording the delete in its history; False if there was none."""
        field = _names.skill_name(name)
        keys = self._skill_keys(field)
        try:
            gone = await self._scripts.delete_skill(keys, [field, utc_now()], self._redis())
        except RedisError as exc:
            raise self._failed(exc) from exc
        return bool(gone)

    async def purge_skill(self, name: str) -> bool:
        """Remove a skill, its whole history and its usage stats."""
        field = _names.skill_name(name)
        keys = self._skill_keys(field)
        counters = [f"{field}:{c}" for c in ("calls", "failures", "seconds", "last_used")]
        try:
            await self._redis().hdel(self._keys.skill_stats, *counters)
            gone = await self._scripts.purge_skill(keys, [field], self._redis())
        except RedisError as exc:
            raise self._failed(exc) from exc
        return bool(gone)

    async def _history(self, name: str) -> tuple[list[dict[str, Any]], StoredSkill | None]:
        """The history entries and the current skill, read at one instant."""
        field = _names.skill_name(name)
        try:
            async with self._redis().pipeline(transaction=True) as pipe:
                pipe.lrange(self._keys.skill_history(field), 0, -1)
                pipe.hget(self._keys.skills, field)
                raw_entries, record = await pipe.execute()
        except RedisError as exc:
            raise self._failed(exc) from exc
        entries = [entry for entry in map(_json, raw_entries) if isinstance(entry, dict)]
        current = None if record is None else _stored_skill(field, record)
        if current is not None and _unrecorded(current, entries):
            entries.append(
                {
                    "version": (int(entries[-1].get("version", 0)) if entries else 0) + 1,
                    "created_at": current.updated_at,
                    "source": current.source,
                    "description": current.description,
                    "author": current.author,
                }
            )
        return entries, current

    async def skill_history(self, name: str) -> list[SkillVersion]:
        """Every recorded version and delete, oldest first, plus an unrecorded current."""
        entries, _ = await self._history(name)
        return [_skill_version(name, entry) for entry in entries]

    async def get_skill_version(self, name: str, version: int) -> StoredSkill | None:
        """One version's source and record, or None."""
        entries, _ = await self._history(name)
        for entry in entries:
            if entry.get("version") == version and isinstance(entry.get("source"), str):
                return _skill_version(name, entry).with_source(entry["source"])
        return None

    async def record_skill_uses(self, uses: list[SkillUse]) -> None:
        """Increment each skill's counters in the stats hash, in one round trip."""
        key, when = self._keys.skill_stats, utc_now()
        try:
            async with self._redis().pipeline(transaction=False) as pipe:
                for use in uses:
                    field = _names.skill_name(use.name)
                    pipe.hincrby(key, f"{field}:calls", use.calls)
                    pipe.hincrby(key, f"{field}:failures", use.failures)
                    pipe.hincrbyfloat(key, f"{field}:seconds", use.seconds)
                    pipe.hset(key, f"{field}:last_used", when)
                await pipe.execute()
        except RedisError as exc:
            raise self._failed(exc) from exc

    async def skill_stats(self) -> dict[str, SkillStats]:
        """Every used skill's stats, from the stats hash."""
        try:
            fields = await self._redis().hgetall(self._keys.skill_stats)
        except RedisError as exc:
            raise self._failed(exc) from exc
        counters: dict[str, dict[str, Any]] = {}
        for field, value in _decoded_items(fields):
            name, _, counter = field.rpartition(":")
            counters.setdefault(name, {})[counter] = value
        found = {}
        for name, values in counters.items():
            try:
                found[name] = SkillStats(
                    calls=int(values.get("calls", 0)),
                    failures=int(values.get("failures", 0)),
                    total_seconds=float(values.get("seconds", 0.0)),
                    last_used=values.get("last_used"),
                )
            except (TypeError, ValueError):
                logger.warning("skipping the damaged usage stats of skill %r in Redis", name)
        return found

    async def load_search_index(self, name: str) -> bytes | None:
        """The search index STRING, or None."""
        try:
            raw = await self._redis().get(self._keys.search_index(name))
        except RedisError as exc:
            raise self._failed(exc) from exc
        return raw.encode() if isinstance(raw, str) else raw

    async def save_search_index(self, name: str, data: bytes) -> None:
        """Replace the search index STRING; it bumps no version."""
        try:
            await self._redis().set(self._keys.search_index(name), data)
        except RedisError as exc:
            raise self._failed(exc) from exc

    # --- artifacts ---------------------------------------------------------------------

    async def save_artifact(self, info: ArtifactInfo, payload: bytes) -> None:
        """Write the bytes (with a native TTL if `info` expires) and the entry at once."""
        key = self._keys.artifact(info.name)
        entry = {**_records.index_entry(info), "size": len(payload)}
        ttl_ms = ""
        if info.expires_at is not None:
            ttl_ms = str(max(1, math.ceil(seconds_until(info.expires_at) * 1000)))
        keys = [key, self._keys.artifact_index]
        client = self._redis()
        try:
            await self._scripts.save_artifact(
                keys, [payload, info.name, _compact(entry), ttl_ms], client
            )
        except RedisError as exc:
            raise self._failed(exc) from exc

    async def load_artifact(self, name: str) -> tuple[ArtifactInfo, bytes]:
        """The record and bytes, read together; an entry left by an expired artifact goes."""
        key = self._keys.artifact(name)
        client = self._redis()
        keys = [key, self._keys.artifact_index]
        try:
            payload, raw_entry = await self._scripts.load_artifact(keys, [name], client)
            if payload is None and raw_entry is not None:
                await self._prune_lapsed(client, [name])
        except RedisError as exc:
            raise self._failed(exc) from exc
        if payload is None:
            available = [info.name for info in await self.list_artifacts()]
            raise artifact_not_found(name, available)
        entry = _records.as_entry(_json(raw_entry))
        return self._info(name, entry, payload), payload

    async def artifact_exists(self, name: str) -> bool:
        """Whether the artifact's bytes exist (expired ones do not)."""
        key = self._keys.artifact(name)
        try:
            return bool(await self._redis().exists(key))
        except RedisError as exc:
            raise self._failed(exc) from exc

    async def list_artifacts(self) -> list[ArtifactInfo]:
        """Every artifact's record, sorted by name; entries of expired artifacts go."""
        client = self._redis()
        try:
            raw_index = await client.hgetall(self._keys.artifact_index)
            entries = {
                name: _records.as_entry(_json(raw))
                for name, raw in _decoded_items(raw_index)
                if _is_artifact_name(name)
            }
            timed = [name for name, e in entries.items() if _records.expires_at(e) is not None]
            for name in await self._prune_lapsed(client, timed) if timed else ():
                del entries[name]
            # Entries another writer made without type or size: read the bytes to tell.
            foreign = [n for n, e in entries.items() if not _complete(e)]
            fetched = []
            if foreign:
                fetched = await client.mget([self._keys.artifact(n) for n in foreign])
        except RedisError as exc:
            raise self._failed(exc) from exc
        payloads: dict[str, bytes] = {}
        for name, payload in zip(foreign, fetched, strict=True):
            if payload is None:
                del entries[name]  # the bytes went out of band: nothing left to load
            else:
                payloads[name] = payload if isinstance(payload, bytes) else payload.encode()
        return [self._info(n, entries[n], payloads.get(n)) for n in sorted(entries)]

    def _info(self, name: str, entry: dict[str, Any], payload: bytes | None) -> ArtifactInfo:
        data_type = _records.stored_type(entry)
        if data_type is None:
            assert payload is not None
            data_type = _records.guess_type(payload, name)
        size = len(payload) if payload is not None else int(entry["size"])
        return _records.info_from_entry(
            name, entry, size=size, data_type=data_type, created_at=utc_now()
        )

    async def _prune_lapsed(self, client: Redis, names: list[str]) -> list[str]:
        keys = [self._keys.artifact_index, *(self._keys.artifact(name) for name in names)]
        gone = await self._scripts.prune_lapsed(keys, names, client)
        return [_text(name) for name in gone]

    async def delete_artifact(self, name: str) -> bool:
        """Delete an artifact's bytes and entry together."""
        key = self._keys.artifact(name)
        try:
            async with self._redis().pipeline(transaction=True) as pipe:
                pipe.delete(key)
                pipe.hdel(self._keys.artifact_index, name)
                deleted, _ = await pipe.execute()
        except RedisError as exc:
            raise self._failed(exc) from exc
        return bool(deleted)

    # --- deps --------------------------------------------------------------------------

    async def list_deps(self) -> list[str]:
        """The requirement lines, sorted by distribution name."""
        try:
            raw = await self._redis().hgetall(self._keys.deps)
        except RedisError as exc:
            raise self._failed(exc) from exc
        return [line for _, line in sorted(_decoded_items(raw))]

    async def add_dep(self, requirement: str) -> None:
        """Add a line, replacing the line for the same distribution."""
        field = canonicalize_name(Requirement(requirement).name)
        try:
            await self._redis().hset(self._keys.deps, field, requirement)
        except RedisError as exc:
            raise self._failed(exc) from exc

    async def remove_dep(self, name: str) -> bool:
        """Remove the line for distribution `name`."""
        try:
            return bool(await self._redis().hdel(self._keys.deps, canonicalize_name(name)))
        except RedisError as exc:
            raise self._failed(exc) from exc


def _redact(url: str) -> tuple[str, list[str]]:
    """The URL with its password (in the authority or the query) replaced by ``***``."""
    parts = urlsplit(url)
    secrets: list[str] = []
    netloc = parts.netloc
    if parts.password:
        secrets += [parts.password, unquote(parts.password)]
        userinfo, _, host = netloc.rpartition("@")
        netloc = f"{userinfo.partition(':')[0]}:***@{host}"
    query = parse_qsl(parts.query, keep_blank_values=True)
    for key, value in query:
        if key == "password" and value:
            secrets.append(value)
    safe_query = [(k, "***" if k == "password" else v) for k, v in query]
    redacted = urlunsplit(
        (parts.scheme, netloc, parts.path, urlencode(safe_query, safe="*"), parts.fragment)
    )
    return redacted, sorted(set(secrets), key=len, reverse=True)


def _describe(kwargs: Mapping[str, Any]) -> tuple[str, list[str]]:
    """A URL-like description of a client's connection settings, without its password."""
    password = kwargs.get("password")
    secrets = [password] if isinstance(password, str) and password else []
    if "path" in kwargs:
        return f"unix://{kwargs['path']}", secrets
    host, port, db = kwargs.get("host", "localhost"), kwargs.get("port", 6379), kwargs.get("db", 0)
    return f"redis://{host}:{port}/{db}", secrets


def _text(value: bytes | str) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _decoded_items(raw: Mapping[Any, Any]) -> Iterable[tuple[str, str]]:
    """Hash fields and values as text; fields that are not UTF-8 are not ours and are skipped."""
    for field, value in raw.items():
        try:
            yield _text(field), _text(value)
        except UnicodeDecodeError:
            continue


def _json(raw: bytes | str | None) -> Any:
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _version(raw: bytes | str | None) -> int | None:
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def _is_artifact_name(name: str) -> bool:
    try:
        _names.artifact_name(name)
    except InvalidNameError:
        return False
    return True


def _complete(entry: dict[str, Any]) -> bool:
    size = entry.get("size")
    return _records.stored_type(entry) is not None and isinstance(size, int) and size >= 0


def _skill_record(skill: StoredSkill) -> str:
    """Upstream's record ({name, description, source, parameters}) plus `updated_at`.

    `created_at` is appended by the save script, which keeps the stored one.
    """
    return _compact(
        {
            "name": skill.name,
            "description": skill.description or "",
            "source": skill.source,
            "parameters": list(skill.parameters),
            "updated_at": skill.updated_at,
            **({"author": skill.author} if skill.author else {}),
            **({"input_schema": skill.input_schema} if skill.input_schema else {}),
            **({"verification": skill.verification} if skill.verification else {}),
        }
    )


def _stored_skill(name: str, record: bytes | str) -> StoredSkill | None:
    try:
        _names.skill_name(name)
    except InvalidNameError:
        return None  # written by another tool; it cannot be reached as skills.<name>
    value = _json(record)
    if not isinstance(value, dict) or not isinstance(value.get("source"), str):
        logger.warning("skipping skill %r in Redis: its record is not a skill record", name)
        return None
    description = value.get("description")
    parameters = value.get("parameters")
    now = utc_now()
    return StoredSkill(
        name=name,
        source=value["source"],
        description=(description.strip() or None) if isinstance(description, str) else None,
        created_at=str(value.get("created_at") or now),
        updated_at=str(value.get("updated_at") or now),
        author=value.get("author") if isinstance(value.get("author"), str) else None,
        version=value.get("version") if isinstance(value.get("version"), int) else None,
        input_schema=schema if isinstance(schema := value.get("input_schema"), dict) else None,
        verification=checked_verification(value.get("verification")),
        parameters=tuple(p for p in parameters if isinstance(p, dict))
        if isinstance(parameters, list)
        else (),
    )


def _unrecorded(current: StoredSkill, entries: list[dict[str, Any]]) -> bool:
    last = entries[-1] if entries else None
    return last is None or bool(last.get("deleted")) or last.get("source") != current.source


def _skill_version(name: str, entry: dict[str, Any]) -> SkillVersion:
    source = entry.get("source")
    description = entry.get("description")
    author = entry.get("author")
    return SkillVersion(
        name=name,
        version=int(entry.get("version", 0)),
        created_at=str(entry.get("created_at") or ""),
        sha256=source_hash(source) if isinstance(source, str) else None,
        description=(description.strip() or None) if isinstance(description, str) else None,
        author=author if isinstance(author, str) else None,
        deleted=bool(entry.get("deleted", False)),
        verification=checked_verification(_json(verification))
        if isinstance(verification := entry.get("verification"), str)
        else None,
    )
