"""Skill-search benchmark corpus: realistic saved skills and the queries that should find them.

SKILLS is a library of the kind agents build with py-code-mode: terse snake_case names, short
stdlib-only sources whose top-level `run(...)` has typed parameters, a one-line docstring in
about half of them, and the one-line description the agent gave when saving (empty for about
30%, as agents often leave it out). DOMAIN gives each skill's topic area, and CONFUSABLE lists
groups of siblings that differ only by direction or state (csv_to_json / json_to_csv, c_to_f /
f_to_c, open / closed issues...), where a ranker that matches words rather than meaning will
pick the wrong one.

QUERIES pairs a lower-case search, phrased the way someone who never saw the skill would ask,
with the one skill that should come first. The queries were written blind, before the ranker
was tuned and without reading it; do not edit them to suit a ranker. The indexes in PARAPHRASE
are queries that share no content word with their skill's name, description, docstrings or
parameter names (check() enforces it, with light stemming, so "converting" counts as
"convert"): they measure whether search finds meaning rather than vocabulary. The other queries
are natural searches that may reuse some of the skill's words.

The sources are data, never executed here; like agent code they may call tools.*, skills.*
and artifacts.* without importing them.

    uv run python bench/skill_corpus.py   # checks the invariants and prints the counts
"""

from __future__ import annotations

import ast
import re

STOPWORDS: frozenset[str] = frozenset(
    """
    a an the of to in for from with and or my is it this that into on by as be at are was
    were been being am i me we us our you your its their them they he she his her what which
    who whom whose how when where why do does did can could should would will shall may
    might must not no so than then there these those if about some any each every all both
    just also too has have had out up off over per via here
    """.split()
)

# Each block holds one domain's skills: a line "@@ name | description" (the description may be
# empty), then the skill's source up to the next such line.

_FILES = r'''
@@ csv_to_json | Convert a CSV file into a list of JSON records
import csv
import json
def run(path: str, delimiter: str = ",") -> str:
    """Read a CSV file and dump its rows as a JSON array."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter=delimiter))
    return json.dumps(rows, indent=2, ensure_ascii=False)

@@ json_to_csv | write a list of JSON objects out as CSV
import csv
import json
def run(json_path: str, csv_path: str) -> int:
    with open(json_path, encoding="utf-8") as f:
        records = json.load(f)
    fields = sorted({key for rec in records for key in rec})
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(records)
    return len(records)

@@ yaml_to_json | convert simple yaml config to json
import json
def run(text: str) -> str:
    """Parse flat `key: value` YAML (no nesting) into JSON."""
    data = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].rstrip()
        if not line.strip() or ":" not in line:
            continue
        key, _, value = line.partition(":")
        value = value.strip().strip("'\"")
        data[key.strip()] = int(value) if value.isdigit() else value
    return json.dumps(data, indent=2)

@@ json_to_yaml | Dump a dict as YAML text
"""Tiny YAML emitter for nested dicts and lists of scalars."""

def run(data: dict, indent: int = 2) -> str:
    def emit(obj, level):
        pad = " " * (indent * level)
        out = []
        for key, value in obj.items():
            if isinstance(value, dict):
                out += [f"{pad}{key}:", *emit(value, level + 1)]
            elif isinstance(value, list):
                out += [f"{pad}{key}:", *(f"{pad}  - {v}" for v in value)]
            else:
                out.append(f"{pad}{key}: {value}")
        return out

    return "\n".join(emit(data, 0)) + "\n"

@@ merge_csvs | Concatenate several CSV files that share a header
import csv
def run(paths: list[str], out_path: str) -> int:
    n, writer = 0, None
    with open(out_path, "w", newline="") as out:
        for p in paths:
            with open(p, newline="") as f:
                for row in csv.DictReader(f):
                    if writer is None:
                        writer = csv.DictWriter(out, fieldnames=list(row))
                        writer.writeheader()
                    writer.writerow(row)
                    n += 1
    return n

@@ split_csv | split a big csv into files of N rows
import csv
from itertools import islice
from pathlib import Path
def run(path: str, rows_per_file: int = 1000) -> list[str]:
    """Split a big CSV into chunks that each keep the header."""
    outputs = []
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        while chunk := list(islice(reader, rows_per_file)):
            out = Path(path).with_suffix(f".part{len(outputs)}.csv")
            with open(out, "w", newline="") as part:
                csv.writer(part).writerows([header, *chunk])
            outputs.append(str(out))
    return outputs

@@ dedupe_rows | Remove duplicate rows from a CSV
import csv
def run(path: str, key_cols: list[str] | None = None) -> list[dict]:
    """Keep the first row for each key (all columns by default)."""
    seen, unique = set(), []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            key = tuple(row[c] for c in key_cols) if key_cols else tuple(row.values())
            if key not in seen:
                seen.add(key)
                unique.append(row)
    return unique

@@ dedupe_lines |
def run(text: str, keep_order: bool = True) -> str:
    lines = text.splitlines()
    if not keep_order:
        return "\n".join(sorted(set(lines)))
    return "\n".join(dict.fromkeys(lines))

@@ flatten_json | flatten nested json into dotted keys
def run(obj: dict, sep: str = ".", prefix: str = "") -> dict:
    flat = {}
    for key, value in obj.items():
        full = f"{prefix}{sep}{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(run(value, sep, full))
        else:
            flat[full] = value
    return flat

@@ unflatten_json |
def run(flat: dict, sep: str = ".") -> dict:
    """Turn {"a.b": 1} back into {"a": {"b": 1}}."""
    nested: dict = {}
    for key, value in flat.items():
        *parents, leaf = key.split(sep)
        node = nested
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return nested

@@ pretty_json | pretty print a json file in place
import json
def run(path: str, indent: int = 2, sort_keys: bool = True) -> None:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=indent, sort_keys=sort_keys, ensure_ascii=False)
        f.write("\n")

@@ find_large_files | List files over a size limit under a directory
import os
def run(root: str, min_mb: float = 100) -> list[tuple[str, float]]:
    """Walk root and return (path, MB) for files >= min_mb, biggest first."""
    hits = []
    for dirpath, _, files in os.walk(root):
        for name in files:
            p = os.path.join(dirpath, name)
            try:
                mb = os.path.getsize(p) / 1_048_576
            except OSError:
                continue
            if mb >= min_mb:
                hits.append((p, round(mb, 1)))
    return sorted(hits, key=lambda h: -h[1])

@@ dir_size |
from pathlib import Path
def run(path: str) -> int:
    """Total bytes used by everything under a folder."""
    files = (p for p in Path(path).rglob("*") if p.is_file())
    return sum(p.stat().st_size for p in files)

@@ zip_dir | zip a folder into an archive
import shutil
from pathlib import Path
def run(src_dir: str, dest: str | None = None) -> str:
    base = dest or Path(src_dir).resolve().name
    return shutil.make_archive(base, "zip", root_dir=src_dir)

@@ unzip_file | Unzip an archive into a folder
import zipfile
def run(zip_path: str, out_dir: str = ".") -> list[str]:
    """Extract a .zip archive and return the member names."""
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(out_dir)
        return zf.namelist()

@@ gzip_file | Compress a file with gzip
import gzip
import shutil
def run(path: str, level: int = 6) -> str:
    out = path + ".gz"
    with open(path, "rb") as src, gzip.open(out, "wb", compresslevel=level) as dst:
        shutil.copyfileobj(src, dst)
    return out

@@ gunzip_file |
import gzip
import shutil
def run(gz_path: str) -> str:
    """Decompress a .gz file next to it."""
    out = gz_path.removesuffix(".gz")
    with gzip.open(gz_path, "rb") as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return out

@@ tail_log | show the last lines of a log file
from collections import deque
def run(path: str, n: int = 50) -> str:
    """Like tail -n."""
    with open(path, errors="replace") as f:
        last = deque(f, maxlen=n)
    return "".join(last)

@@ find_dupe_files | Find duplicate files by content hash
import hashlib
from collections import defaultdict
from pathlib import Path
def run(root: str) -> list[list[str]]:
    """Groups of identical files under a directory."""
    by_hash = defaultdict(list)
    for p in Path(root).rglob("*"):
        if p.is_file():
            by_hash[hashlib.sha1(p.read_bytes()).hexdigest()].append(str(p))
    return [group for group in by_hash.values() if len(group) > 1]
'''

_TEXT = r'''
@@ slugify | Make a URL-safe slug from a title
import re
import unicodedata
def run(title: str, max_len: int = 60) -> str:
    """'Hello, World!' -> 'hello-world'"""
    s = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-zA-Z0-9]+", "-", s).strip("-").lower()
    return s[:max_len].rstrip("-")

@@ camel_to_snake | convert CamelCase names to snake_case
import re
def run(name: str) -> str:
    """CamelCase -> snake_case."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()

@@ snake_to_camel | Convert snake_case identifiers to camelCase
def run(name: str, upper_first: bool = False) -> str:
    head, *rest = name.split("_")
    out = head + "".join(w.capitalize() for w in rest)
    return out[:1].upper() + out[1:] if upper_first else out

@@ word_freq | most frequent words in a text
import re
from collections import Counter
def run(text: str, top: int = 10) -> list[tuple[str, int]]:
    words = re.findall(r"[a-z']+", text.lower())
    return Counter(words).most_common(top)

@@ word_count |
def run(text: str) -> dict[str, int]:
    """Count lines, words and characters like wc."""
    lines = text.count("\n") + (not text.endswith("\n") and bool(text))
    return {"lines": lines, "words": len(text.split()), "chars": len(text)}

@@ strip_html | Remove HTML tags and return plain text
import html
import re
def run(markup: str) -> str:
    """Drop tags, scripts and styles; unescape entities."""
    text = re.sub(r"(?is)<(script|style).*?</\1>", " ", markup)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", html.unescape(text)).strip()

@@ extract_emails | Extract email addresses from text
import re
def run(text: str) -> list[str]:
    """Find all email addresses in a string."""
    found = re.findall(r"[\w.+-]+@[\w-]+\.[\w.-]+", text)
    return sorted({f.lower().rstrip(".") for f in found})

@@ extract_phones | pull phone numbers out of free text
import re
PATTERN = r"(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}"

def run(text: str, country: str = "US") -> list[str]:
    digits = [re.sub(r"\D", "", m) for m in re.findall(PATTERN, text)]
    prefix = "+1" if country == "US" else "+"
    return [prefix + d[-10:] for d in digits]

@@ extract_urls | Pull every http(s) link out of a chunk of text
import re
def run(text: str) -> list[str]:
    found = re.findall(r"https?://[^\s<>\"')\]]+", text)
    return list(dict.fromkeys(u.rstrip(".,;") for u in found))

@@ truncate_text | Shorten text to a max length on a word boundary
def run(text: str, limit: int = 100, ellipsis: str = "…") -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ellipsis)].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + ellipsis

@@ wrap_text |
import textwrap
def run(text: str, width: int = 80) -> str:
    """Hard-wrap paragraphs to a fixed width."""
    paras = text.split("\n\n")
    return "\n\n".join(textwrap.fill(p, width=width) for p in paras)

@@ levenshtein | edit distance between two strings
def run(a: str, b: str) -> int:
    """Minimum single-character insertions, deletions and substitutions."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]

@@ fuzzy_match | fuzzy string matching against a list of choices
import difflib
def run(query: str, choices: list[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Closest matches to a string among candidates."""
    lowered = {c.lower(): c for c in choices}
    hits = difflib.get_close_matches(query.lower(), list(lowered), n=n, cutoff=cutoff)
    return [lowered[h] for h in hits]

@@ text_diff | Unified diff of two texts
import difflib
def run(old: str, new: str, context: int = 3) -> str:
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    lines = difflib.unified_diff(a, b, fromfile="old", tofile="new", n=context)
    return "".join(lines)

@@ remove_accents |
import unicodedata
def run(s: str) -> str:
    """Strip diacritics: café -> cafe."""
    nfkd = unicodedata.normalize("NFKD", s)
    return "".join(c for c in nfkd if not unicodedata.combining(c))

@@ redact_pii | Mask emails and phone numbers in text
"""Redact PII before logging or sharing text."""
import re
def run(text: str, mask: str = "[REDACTED]") -> str:
    text = re.sub(r"[\w.+-]+@[\w-]+\.[\w.-]+", mask, text)
    text = re.sub(r"\+?\d[\d\s().-]{7,}\d", mask, text)
    return text

'''

_DATES = r'''
@@ parse_iso_ts | Parse an ISO-8601 timestamp into an aware datetime
from datetime import datetime, timezone
def run(ts: str) -> datetime:
    """Handles a trailing Z; naive times are taken as UTC."""
    dt = datetime.fromisoformat(ts.strip().replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)

@@ epoch_to_iso | Convert a unix epoch to an ISO timestamp
from datetime import datetime, timezone
def run(epoch: float, ms: bool = False) -> str:
    """Unix timestamp -> ISO string (UTC)."""
    if ms:
        epoch /= 1000
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat()

@@ iso_to_epoch | Convert an ISO date string to unix seconds
from datetime import datetime, timezone
def run(iso: str) -> int:
    dt = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp())

@@ utc_to_local | UTC to local time in a given timezone
from datetime import datetime, timezone
from zoneinfo import ZoneInfo
def run(utc_time: str, tz: str = "Europe/Berlin") -> str:
    """Convert a UTC time to a named timezone."""
    dt = datetime.fromisoformat(utc_time).replace(tzinfo=timezone.utc)
    return dt.astimezone(ZoneInfo(tz)).isoformat()

@@ local_to_utc | convert a wall-clock time in some timezone to UTC
from datetime import datetime, timezone
from zoneinfo import ZoneInfo
def run(local_time: str, tz: str) -> str:
    """tz is an IANA name like 'America/New_York'."""
    dt = datetime.fromisoformat(local_time).replace(tzinfo=ZoneInfo(tz))
    return dt.astimezone(timezone.utc).isoformat()

@@ days_between | Number of days between two dates
from datetime import date
def run(start: str, end: str) -> int:
    d0, d1 = date.fromisoformat(start), date.fromisoformat(end)
    return (d1 - d0).days

@@ add_business_days |
from datetime import date, timedelta
def run(start: str, n: int, holidays: list[str] | None = None) -> str:
    """Skip weekends (and given holidays) while adding n working days."""
    skip = set(holidays or [])
    d = date.fromisoformat(start)
    while n > 0:
        d += timedelta(days=1)
        if d.weekday() < 5 and d.isoformat() not in skip:
            n -= 1
    return d.isoformat()

@@ weekday_name | day of week for a date
from datetime import date
def run(day: str) -> str:
    d = date.fromisoformat(day)
    return d.strftime("%A")

@@ age_from_dob | Compute someone's age in years from a birth date
from datetime import date
def run(dob: str, on: str | None = None) -> int:
    """Whole years between dob and today (or `on`)."""
    born = date.fromisoformat(dob)
    today = date.fromisoformat(on) if on else date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

@@ humanize_delta |
from datetime import datetime, timezone
def run(when: str) -> str:
    """Format a past timestamp like '3 hours ago'."""
    secs = int((datetime.now(timezone.utc) - datetime.fromisoformat(when)).total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if secs >= size:
            n = secs // size
            return f"{n} {unit}{'s' if n > 1 else ''} ago"
    return "just now"

@@ parse_duration | parse strings like 1h30m into seconds
import re
UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}

def run(spec: str) -> int:
    """'1h30m' -> 5400; supports d/h/m/s."""
    parts = re.findall(r"(\d+)\s*([dhms])", spec.lower())
    if not parts:
        raise ValueError(f"bad duration: {spec!r}")
    return sum(int(n) * UNITS[u] for n, u in parts)

@@ fmt_duration |
def run(seconds: int) -> str:
    """Seconds -> compact '1h 5m 3s' string."""
    out = []
    for label, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        n, seconds = divmod(seconds, size)
        if n:
            out.append(f"{n}{label}")
    return " ".join(out) or "0s"

@@ is_leap_year | check if a year is a leap year
def run(year: int) -> bool:
    if year % 400 == 0:
        return True
    return year % 4 == 0 and year % 100 != 0

@@ date_range |
from datetime import date, timedelta
def run(start: str, end: str, step_days: int = 1) -> list[str]:
    """Every date from start to end inclusive."""
    d, stop = date.fromisoformat(start), date.fromisoformat(end)
    out = []
    while d <= stop:
        out.append(d.isoformat())
        d += timedelta(days=step_days)
    return out

@@ parse_date_fuzzy | Parse dates written in many common formats to ISO
from datetime import datetime
FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d %b %Y", "%b %d, %Y", "%d.%m.%Y", "%Y%m%d"]

def run(value: str) -> str:
    for fmt in FORMATS:
        try:
            return datetime.strptime(value.strip(), fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"unrecognised date: {value}")
'''

_WEB = r'''
@@ fetch_json | GET a URL and parse the JSON body
import json
async def run(url: str) -> dict | list:
    body = await tools.curl.get(url=url)
    return json.loads(body)

@@ fetch_title | get the title of a web page
import re
def run(url: str) -> str:
    """Return the <title> of a web page."""
    page = tools.curl.get(url=url)
    m = re.search(r"<title[^>]*>(.*?)</title>", page, re.I | re.S)
    return m.group(1).strip() if m else ""

@@ scrape_links | Collect all hyperlinks on a web page
"""Absolute URLs of every <a href> on a page."""
import re
from urllib.parse import urljoin
HREF = re.compile(r"""<a\s[^>]*?href=["']([^"'#]+)""", re.I)

def run(page_url: str, same_host: bool = False) -> list[str]:
    page = tools.curl.get(url=page_url)
    links = {urljoin(page_url, h) for h in HREF.findall(page)}
    if same_host:
        host = page_url.split("/")[2]
        links = {u for u in links if u.split("/")[2:3] == [host]}
    return sorted(links)

@@ check_status | Check the HTTP status code of a URL
import urllib.error
import urllib.request
def run(url: str, timeout: float = 10) -> int:
    """HTTP status code of a URL (0 if unreachable)."""
    req = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0

@@ broken_links | find dead links on a page
def run(url: str) -> list[str]:
    dead = []
    for link in skills.scrape_links(page_url=url):
        code = skills.check_status(url=link)
        if code == 0 or code >= 400:
            dead.append(link)
    artifacts.save("broken_links.json", dead)
    return dead

@@ download_file | Download a URL to a local file
import shutil
import urllib.request
from pathlib import Path
def run(url: str, dest: str | None = None) -> str:
    dest = dest or Path(url.split("?")[0]).name or "download.bin"
    with urllib.request.urlopen(url) as resp, open(dest, "wb") as out:
        shutil.copyfileobj(resp, out)
    return dest

@@ parse_query | Parse a URL query string into a dict
from urllib.parse import parse_qs, urlsplit
def run(url: str, flat: bool = True) -> dict:
    """'?a=1&b=2' -> {'a': '1', 'b': '2'}"""
    params = parse_qs(urlsplit(url).query)
    return {k: v[0] for k, v in params.items()} if flat else params

@@ build_url |
from urllib.parse import urlencode
def run(base: str, params: dict) -> str:
    """Append query parameters to a base URL."""
    sep = "&" if "?" in base else "?"
    return base + sep + urlencode({k: v for k, v in params.items() if v is not None})

@@ url_encode | Percent-encode a string for use in a URL
from urllib.parse import quote, quote_plus
def run(value: str, safe: str = "", plus: bool = False) -> str:
    if plus:
        return quote_plus(value, safe=safe)
    return quote(value, safe=safe)

@@ url_decode |
from urllib.parse import unquote, unquote_plus
def run(encoded: str, plus: bool = True) -> str:
    return unquote_plus(encoded) if plus else unquote(encoded)

@@ robots_allowed | Check robots.txt before crawling a URL
from urllib import robotparser
from urllib.parse import urlsplit
def run(url: str, agent: str = "*") -> bool:
    parts = urlsplit(url)
    rp = robotparser.RobotFileParser(f"{parts.scheme}://{parts.netloc}/robots.txt")
    rp.read()
    return rp.can_fetch(agent, url)

@@ rss_items |
import xml.etree.ElementTree as ET
def run(feed_url: str, limit: int = 10) -> list[dict]:
    """Latest entries of an RSS feed."""
    root = ET.fromstring(tools.curl.get(url=feed_url))
    fields = {"title": "title", "link": "link", "date": "pubDate"}
    items = [{k: it.findtext(tag, "") for k, tag in fields.items()} for it in root.iter("item")]
    return items[:limit]

@@ post_json | POST a JSON payload, optionally with a bearer token
import json
import urllib.request
def run(url: str, payload: dict, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, json.dumps(payload).encode(), headers, method="POST")
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read() or b"{}")

@@ html_tables | Extract tables from an HTML page as lists of rows
import html
import re
def run(url: str) -> list[list[list[str]]]:
    page = tools.curl.get(url=url)
    tables = []
    for tbl in re.findall(r"(?is)<table.*?</table>", page):
        rows = []
        for tr in re.findall(r"(?is)<tr.*?</tr>", tbl):
            cells = re.findall(r"(?is)<t[dh][^>]*>(.*?)</t[dh]>", tr)
            rows.append([html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
        tables.append(rows)
    artifacts.save("tables.json", tables)
    return tables

@@ weather_now | current temperature and wind for a lat/lon (open-meteo)
import json
async def run(lat: float, lon: float) -> dict:
    """Uses the free open-meteo API, no key needed."""
    url = (
        "https://api.open-meteo.com/v1/forecast"
        f"?latitude={lat}&longitude={lon}&current_weather=true"
    )
    return json.loads(await tools.curl.get(url=url))["current_weather"]
'''

_GITHUB = r'''
@@ fetch_repo_stars | Get the star count of a GitHub repo
def run(owner: str, repo: str) -> int:
    """Stargazer count for owner/repo."""
    info = tools.github.get_repo(owner=owner, repo=repo)
    return info["stargazers_count"]

@@ gh_open_issues | List open issues in a GitHub repo
def run(repo: str, label: str | None = None) -> list[dict]:
    """Open issues (not PRs) for owner/name, optionally filtered by label."""
    owner, name = repo.split("/")
    issues = tools.github.list_issues(owner=owner, repo=name, state="open", labels=label)
    return [{"number": i["number"], "title": i["title"]} for i in issues if "pull_request" not in i]

@@ gh_closed_issues | Issues closed in a repo since a given date
def run(repo: str, since: str) -> list[dict]:
    owner, name = repo.split("/")
    issues = tools.github.list_issues(owner=owner, repo=name, state="closed", since=since)
    return [i for i in issues if "pull_request" not in i and (i["closed_at"] or "") >= since]

@@ gh_open_prs | List open pull requests with their authors
def run(owner: str, repo: str, base: str = "main") -> list[dict]:
    pulls = tools.github.list_pulls(owner=owner, repo=repo, state="open", base=base)
    return [{"number": p["number"], "title": p["title"], "by": p["user"]["login"]} for p in pulls]

@@ gh_merged_prs | PRs merged in the last N days
from datetime import datetime, timedelta, timezone
def run(owner: str, repo: str, days: int = 7) -> list[dict]:
    cutoff = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat()
    pulls = tools.github.list_pulls(owner=owner, repo=repo, state="closed")
    return [p for p in pulls if p.get("merged_at") and p["merged_at"] >= cutoff]

@@ gh_repo_langs |
async def run(owner: str, repo: str) -> dict[str, float]:
    """Language breakdown of a repo in percent."""
    raw = await tools.github.get_languages(owner=owner, repo=repo)
    total = sum(raw.values()) or 1
    return {lang: round(100 * n / total, 1) for lang, n in raw.items()}

@@ gh_contributors | Top contributors of a repository by commit count
def run(owner: str, repo: str, top: int = 10) -> list[tuple[str, int]]:
    people = tools.github.list_contributors(owner=owner, repo=repo)
    ranked = sorted(people, key=lambda p: -p["contributions"])
    return [(p["login"], p["contributions"]) for p in ranked[:top]]

@@ gh_latest_release |
def run(owner: str, repo: str) -> str:
    """Tag name of the newest release."""
    rel = tools.github.get_latest_release(owner=owner, repo=repo)
    return rel["tag_name"]

@@ gh_create_issue | open a new issue with title, body and labels
def run(repo: str, title: str, body: str = "", labels: list[str] | None = None) -> int:
    owner, name = repo.split("/")
    issue = tools.github.create_issue(
        owner=owner, repo=name, title=title, body=body, labels=labels or []
    )
    return issue["number"]

@@ gh_comment |
def run(repo: str, number: int, text: str) -> str:
    """Post a comment on an issue or pull request."""
    owner, name = repo.split("/")
    c = tools.github.create_comment(owner=owner, repo=name, issue_number=number, body=text)
    return c["html_url"]

@@ git_recent_commits | Last N commits as short hash and subject
import subprocess
def run(repo_dir: str = ".", n: int = 10) -> list[str]:
    cmd = ["git", "log", f"-{n}", "--pretty=%h %s"]
    out = subprocess.run(cmd, cwd=repo_dir, capture_output=True, text=True, check=True).stdout
    return out.splitlines()

@@ git_diff_stat |
import subprocess
def run(base: str = "main", repo_dir: str = ".") -> dict[str, tuple[int, int]]:
    """Lines added/removed per file versus a base branch."""
    out = subprocess.check_output(["git", "diff", "--numstat", base], cwd=repo_dir, text=True)
    stats = {}
    for line in out.splitlines():
        added, removed, path = line.split("\t")
        stats[path] = (int(added.replace("-", "0")), int(removed.replace("-", "0")))
    return stats

@@ git_blame_line | who last changed a given line of a file
import subprocess
def run(path: str, line: int, repo_dir: str = ".") -> str:
    """Author of one line, via git blame --porcelain."""
    out = subprocess.check_output(
        ["git", "blame", "-L", f"{line},{line}", "--porcelain", path], cwd=repo_dir, text=True
    )
    author = next(ln for ln in out.splitlines() if ln.startswith("author "))
    return author.removeprefix("author ")

@@ git_author_counts | Count commits per author in a local repo
import subprocess
from collections import Counter
def run(repo_dir: str = ".", since: str = "1 year ago") -> list[tuple[str, int]]:
    names = subprocess.check_output(
        ["git", "log", f"--since={since}", "--pretty=%an"], cwd=repo_dir, text=True
    ).splitlines()
    return Counter(names).most_common()

@@ git_stale_branches |
import subprocess
import time
FMT = "--format=%(refname:short) %(committerdate:unix)"

def run(days: int = 90, repo_dir: str = ".") -> list[str]:
    """Remote branches with no commits in the last N days."""
    out = subprocess.check_output(
        ["git", "for-each-ref", FMT, "refs/remotes"], cwd=repo_dir, text=True
    )
    cutoff = time.time() - days * 86400
    refs = (ln.rsplit(" ", 1) for ln in out.splitlines())
    return [ref for ref, ts in refs if int(ts) < cutoff]

@@ parse_gh_url | Split a GitHub URL into owner and repo
"""Accepts https and ssh remotes, with or without .git."""
import re
PATTERN = r"(?:https?://github\.com/|git@github\.com:)([^/]+)/([^/#?]+?)(?:\.git)?/?$"

def run(url: str) -> tuple[str, str]:
    m = re.match(PATTERN, url.strip())
    if not m:
        raise ValueError(f"not a GitHub repo URL: {url}")
    return m.group(1), m.group(2)

@@ gh_workflow_runs | Recent failed GitHub Actions runs for a repo
def run(owner: str, repo: str, status: str = "failure", limit: int = 10) -> list[dict]:
    runs = tools.github.list_workflow_runs(owner=owner, repo=repo, status=status)
    keep = ("name", "head_branch", "html_url", "created_at")
    return [{k: r[k] for k in keep} for r in runs["workflow_runs"][:limit]]

@@ changelog_since_tag | Build a markdown changelog from conventional commits since a tag
import subprocess
GROUPS = {"feat": "Features", "fix": "Bug fixes", "perf": "Performance"}

def run(since_tag: str, repo_dir: str = ".") -> str:
    subjects = subprocess.check_output(
        ["git", "log", f"{since_tag}..HEAD", "--pretty=%s"], cwd=repo_dir, text=True
    ).splitlines()
    out = []
    for prefix, title in GROUPS.items():
        items = [s.split(":", 1)[1].strip() for s in subjects if s.startswith(prefix)]
        if items:
            out.append(f"## {title}\n" + "\n".join(f"- {i}" for i in items))
    return "\n\n".join(out)
'''

_STATS = r'''
@@ mean_col | Average of a numeric CSV column
import csv
import statistics
def run(path: str, column: str) -> float:
    with open(path, newline="") as f:
        vals = [float(r[column]) for r in csv.DictReader(f) if r[column].strip()]
    return statistics.fmean(vals)

@@ median_col | Median of a numeric CSV column
import csv
import statistics
def run(path: str, column: str) -> float:
    """Median of one column of a CSV, skipping blanks."""
    with open(path, newline="") as f:
        vals = [float(r[column]) for r in csv.DictReader(f) if r[column].strip()]
    return statistics.median(vals)

@@ describe | summary stats for a list of numbers
import statistics
def run(values: list[float]) -> dict[str, float]:
    """count/mean/std/min/quartiles/max of a list of numbers."""
    q1, q2, q3 = statistics.quantiles(values, n=4)
    return {
        "count": len(values), "mean": statistics.fmean(values),
        "std": statistics.stdev(values), "min": min(values),
        "q1": q1, "median": q2, "q3": q3, "max": max(values),
    }

@@ percentile | p-th percentile of a list of numbers
def run(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks, p in 0-100."""
    xs = sorted(values)
    k = (len(xs) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)

@@ pearson_corr |
import statistics
def run(xs: list[float], ys: list[float]) -> float:
    """Pearson correlation coefficient of two series."""
    if len(xs) != len(ys):
        raise ValueError("series differ in length")
    return statistics.correlation(xs, ys)

@@ linear_fit | least-squares line fit, returns slope and intercept
import statistics
def run(x: list[float], y: list[float]) -> tuple[float, float]:
    """y = slope * x + intercept by ordinary least squares."""
    slope, intercept = statistics.linear_regression(x, y)
    return slope, intercept

@@ zscore_outliers | indexes of values more than N std devs from the mean
import statistics
def run(values: list[float], threshold: float = 3.0) -> list[int]:
    mu, sd = statistics.fmean(values), statistics.pstdev(values)
    if sd == 0:
        return []
    return [i for i, v in enumerate(values) if abs(v - mu) / sd > threshold]

@@ iqr_outliers | Flag outliers outside 1.5 IQR
import statistics
def run(values: list[float], k: float = 1.5) -> list[float]:
    q1, _, q3 = statistics.quantiles(values, n=4)
    lo, hi = q1 - k * (q3 - q1), q3 + k * (q3 - q1)
    return [v for v in values if v < lo or v > hi]

@@ moving_avg | Rolling mean over a window
from collections import deque
def run(series: list[float], window: int = 7) -> list[float]:
    buf, out = deque(maxlen=window), []
    for v in series:
        buf.append(v)
        out.append(sum(buf) / len(buf))
    return out

@@ histogram | Histogram counts for a list of numbers
def run(data: list[float], bins: int = 10) -> list[tuple[float, int]]:
    """Bucket values into equal-width bins and count them."""
    lo, hi = min(data), max(data)
    width = (hi - lo) / bins or 1
    counts = [0] * bins
    for v in data:
        counts[min(int((v - lo) / width), bins - 1)] += 1
    return [(round(lo + i * width, 4), c) for i, c in enumerate(counts)]

@@ group_sum | Sum a value column grouped by a key column
import csv
from collections import defaultdict
def run(path: str, by: str, value: str) -> dict[str, float]:
    totals = defaultdict(float)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            totals[row[by]] += float(row[value] or 0)
    return dict(sorted(totals.items(), key=lambda kv: -kv[1]))

@@ value_counts |
from collections import Counter
def run(items: list, normalize: bool = False) -> dict:
    """Frequency of each distinct value, most common first."""
    counts = Counter(items).most_common()
    if normalize:
        return {k: c / len(items) for k, c in counts}
    return dict(counts)

@@ ab_test | Two-proportion z-test for an A/B experiment
import math
from statistics import NormalDist
def run(conv_a: int, n_a: int, conv_b: int, n_b: int) -> dict[str, float]:
    """Returns lift, z and the two-sided p-value."""
    pa, pb = conv_a / n_a, conv_b / n_b
    p = (conv_a + conv_b) / (n_a + n_b)
    se = math.sqrt(p * (1 - p) * (1 / n_a + 1 / n_b))
    z = (pb - pa) / se
    return {"lift": pb / pa - 1, "z": z, "p_value": 2 * (1 - NormalDist().cdf(abs(z)))}

@@ confidence_interval |
import statistics
from statistics import NormalDist
def run(sample: list[float], level: float = 0.95) -> tuple[float, float]:
    """Normal-approximation confidence interval for the mean."""
    m, s = statistics.fmean(sample), statistics.stdev(sample)
    half = NormalDist().inv_cdf((1 + level) / 2) * s / len(sample) ** 0.5
    return m - half, m + half

@@ sample_rows |
import random
def run(path: str, k: int = 100, seed: int | None = None) -> list[str]:
    """Reservoir-sample k lines from a file too big for memory."""
    rng = random.Random(seed)
    picked = []
    with open(path) as f:
        for i, line in enumerate(f):
            if i < k:
                picked.append(line)
            elif (j := rng.randint(0, i)) < k:
                picked[j] = line
    return picked

@@ pct_change | percentage change between consecutive values
def run(series: list[float]) -> list[float | None]:
    out: list[float | None] = [None]
    for prev, cur in zip(series, series[1:]):
        out.append(None if prev == 0 else (cur - prev) / prev * 100)
    return out
'''

_IMAGES = r'''
@@ resize_img | Resize an image to fit within a width and height
import subprocess
def run(src: str, dst: str, width: int, height: int) -> str:
    """Keeps aspect ratio (ImageMagick -resize WxH)."""
    subprocess.run(["magick", src, "-resize", f"{width}x{height}", dst], check=True)
    return dst

@@ crop_img | Crop an image to a box
import subprocess
def run(src: str, dst: str, x: int, y: int, w: int, h: int) -> str:
    """Cut a rectangular region out of an image."""
    geometry = f"{w}x{h}+{x}+{y}"
    subprocess.run(["magick", src, "-crop", geometry, "+repage", dst], check=True)
    return dst

@@ rotate_img | rotate an image by some degrees
import subprocess
def run(src: str, degrees: float = 90, dst: str | None = None) -> str:
    dst = dst or src
    subprocess.run(["magick", src, "-rotate", str(degrees), dst], check=True)
    return dst

@@ make_thumbnail | Make square thumbnails for every jpg in a folder
import subprocess
from pathlib import Path
def run(folder: str, size: int = 256) -> list[str]:
    out_dir = Path(folder) / "thumbs"
    out_dir.mkdir(exist_ok=True)
    box = f"{size}x{size}"
    made = []
    for img in sorted(Path(folder).glob("*.jpg")):
        dst = out_dir / img.name
        cmd = ["magick", str(img), "-thumbnail", box + "^", "-gravity", "center", "-extent", box]
        subprocess.run([*cmd, str(dst)], check=True)
        made.append(str(dst))
    return made

@@ png_size | Read width and height from a PNG header
import struct
def run(path: str) -> tuple[int, int]:
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    return struct.unpack(">II", head[16:24])

@@ to_grayscale |
import subprocess
def run(src: str, dst: str) -> str:
    """Convert a colour image to grayscale."""
    subprocess.run(["magick", src, "-colorspace", "Gray", dst], check=True)
    return dst

@@ convert_img_format | Convert an image to another format like webp or png
import subprocess
from pathlib import Path
def run(src: str, fmt: str = "webp", quality: int = 85) -> str:
    dst = str(Path(src).with_suffix("." + fmt.lower()))
    subprocess.run(["magick", src, "-quality", str(quality), dst], check=True)
    return dst

@@ exif_date |
import json
import subprocess
def run(photo: str) -> str | None:
    out = subprocess.check_output(["exiftool", "-j", "-DateTimeOriginal", photo], text=True)
    return json.loads(out)[0].get("DateTimeOriginal")

@@ strip_exif | Remove EXIF metadata (GPS etc.) from photos
import subprocess
def run(paths: list[str]) -> int:
    """Strips all metadata in place with exiftool."""
    subprocess.run(["exiftool", "-all=", "-overwrite_original", *paths], check=True)
    return len(paths)

@@ img_to_b64 |
import base64
import mimetypes
def run(path: str) -> str:
    """Embed an image file as a data: URI."""
    mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
    with open(path, "rb") as f:
        return f"data:{mime};base64," + base64.b64encode(f.read()).decode()

@@ hex_to_rgb | Convert a hex colour string to RGB
def run(color: str) -> tuple[int, int, int]:
    h = color.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return tuple(int(h[i : i + 2], 16) for i in (0, 2, 4))

@@ rgb_to_hex | Turn an RGB tuple into a hex colour code
def run(r: int, g: int, b: int) -> str:
    for v in (r, g, b):
        if not 0 <= v <= 255:
            raise ValueError(f"channel out of range: {v}")
    return f"#{r:02x}{g:02x}{b:02x}"

@@ watermark_img | Stamp a text watermark in the corner of an image
import subprocess
def run(src: str, dst: str, text: str = "© ACME", opacity: float = 0.5) -> str:
    fill = f"rgba(255,255,255,{opacity})"
    subprocess.run(
        ["magick", src, "-gravity", "southeast", "-fill", fill,
         "-pointsize", "24", "-annotate", "+10+10", text, dst],
        check=True,
    )
    return dst

@@ gif_from_frames |
import subprocess
def run(frames: list[str], out: str = "anim.gif", delay_ms: int = 100) -> str:
    """Assemble still images into an animated GIF."""
    delay = str(delay_ms // 10)
    subprocess.run(["magick", "-delay", delay, "-loop", "0", *frames, out], check=True)
    return out

@@ extract_frames | Grab frames from a video with ffmpeg
import subprocess
from pathlib import Path
def run(video: str, out_dir: str = "frames", fps: float = 1.0) -> int:
    Path(out_dir).mkdir(exist_ok=True)
    cmd = ["ffmpeg", "-i", video, "-vf", f"fps={fps}", f"{out_dir}/%05d.png"]
    subprocess.run(cmd, check=True, capture_output=True)
    return len(list(Path(out_dir).glob("*.png")))
'''

_UNITS = r'''
@@ c_to_f | convert celsius to fahrenheit
def run(celsius: float, digits: int = 1) -> float:
    fahrenheit = celsius * 9 / 5 + 32
    return round(fahrenheit, digits)

@@ f_to_c |
def run(fahrenheit: float, digits: int = 1) -> float:
    celsius = (fahrenheit - 32) * 5 / 9
    return round(celsius, digits)

@@ km_to_miles | convert kilometres to miles
def run(km: float, digits: int = 2) -> float:
    miles = km * 0.621371
    return round(miles, digits)

@@ miles_to_km | Convert miles to kilometres
def run(miles: float, digits: int = 2) -> float:
    km = miles * 1.609344
    return round(km, digits)

@@ px_to_rem | Convert pixel sizes to rem for CSS
def run(px: float, base: float = 16) -> str:
    rem = px / base
    return f"{rem:g}rem"

@@ rem_to_px |
def run(rem: float, root_font_px: float = 16) -> float:
    """rem value -> pixels for a given root font size."""
    return rem * root_font_px

@@ kg_to_lb | convert kilograms to pounds
def run(kg: float, digits: int = 2) -> float:
    lb = kg / 0.45359237
    return round(lb, digits)

@@ lb_to_kg |
def run(lb: float, digits: int = 2) -> float:
    kg = lb * 0.45359237
    return round(kg, digits)

@@ bytes_human | Format a byte count as KB/MB/GB
def run(n: int, binary: bool = True) -> str:
    """1536 -> '1.5 KiB'."""
    step = 1024 if binary else 1000
    units = ["B", "KiB", "MiB", "GiB", "TiB"] if binary else ["B", "KB", "MB", "GB", "TB"]
    size = float(n)
    for unit in units[:-1]:
        if size < step:
            return f"{size:.1f} {unit}"
        size /= step
    return f"{size:.1f} {units[-1]}"

@@ is_prime |
def run(n: int) -> bool:
    """Trial-division primality test."""
    if n < 2:
        return False
    i = 2
    while i * i <= n:
        if n % i == 0:
            return False
        i += 1
    return True

@@ gcd_lcm |
import math
def run(a: int, b: int) -> tuple[int, int]:
    """Greatest common divisor and least common multiple."""
    return math.gcd(a, b), math.lcm(a, b)

@@ roman_numeral | Convert an integer to Roman numerals
VALS = [
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
    (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
]

def run(num: int) -> str:
    """1994 -> 'MCMXCIV'."""
    out = []
    for value, sym in VALS:
        count, num = divmod(num, value)
        out.append(sym * count)
    return "".join(out)

@@ parse_roman | Roman numeral string to integer
VALS = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}

def run(numeral: str) -> int:
    total = 0
    s = numeral.upper()
    for cur, nxt in zip(s, s[1:] + " "):
        v = VALS[cur]
        total += -v if nxt in VALS and VALS[nxt] > v else v
    return total

@@ unit_convert | Convert between common length, mass and volume units
FACTORS = {
    "mm": 0.001, "cm": 0.01, "m": 1, "km": 1000, "in": 0.0254, "ft": 0.3048,
    "mi": 1609.344, "g": 0.001, "kg": 1, "lb": 0.45359237, "oz": 0.028349523,
    "ml": 0.001, "l": 1, "gal": 3.785411784, "cup": 0.2365882365,
}

def run(amount: float, from_unit: str, to_unit: str) -> float:
    return amount * FACTORS[from_unit] / FACTORS[to_unit]

'''

_SYSTEM = r'''
@@ run_cmd | Run a shell command and capture output
import subprocess
def run(cmd: str, timeout: int = 60) -> dict:
    """Returns exit code, stdout and stderr."""
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=timeout)
    return {"code": p.returncode, "stdout": p.stdout, "stderr": p.stderr}

@@ kill_port | Kill the process listening on a port
import os
import signal
import subprocess
def run(port: int, sig: int = signal.SIGTERM) -> list[int]:
    """Kill whatever process is listening on a TCP port."""
    out = subprocess.run(
        ["lsof", "-t", f"-iTCP:{port}", "-sTCP:LISTEN"], capture_output=True, text=True
    ).stdout
    pids = [int(p) for p in out.split()]
    for pid in pids:
        os.kill(pid, sig)
    return pids

@@ port_in_use | check whether something is listening on a tcp port
import socket
def run(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0

@@ free_port |
import socket
def run(host: str = "127.0.0.1") -> int:
    """Ask the OS for an unused port number."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]

@@ disk_usage | Disk space used and free for a mount point
import shutil
def run(mount: str = "/") -> dict[str, float]:
    total, used, free = shutil.disk_usage(mount)
    gb = 1024**3
    return {"total_gb": total / gb, "used_gb": used / gb, "free_gb": free / gb,
            "pct_used": round(100 * used / total, 1)}

@@ mem_info |
def run(unit: str = "MB") -> dict[str, float]:
    """Total/available memory from /proc/meminfo."""
    div = {"KB": 1, "MB": 1024, "GB": 1024**2}[unit]
    info = {}
    with open("/proc/meminfo") as f:
        for line in f:
            key, val = line.split(":", 1)
            info[key] = int(val.split()[0]) / div
    return {"total": info["MemTotal"], "available": info["MemAvailable"]}

@@ load_avg | CPU load averages, optionally per core
import os
def run(per_core: bool = False) -> tuple[float, float, float]:
    loads = os.getloadavg()
    if per_core:
        n = os.cpu_count() or 1
        return tuple(round(x / n, 2) for x in loads)
    return loads

@@ top_procs | Processes using the most memory, from ps
import subprocess
def run(n: int = 10, sort_by: str = "rss") -> list[str]:
    cmd = ["ps", "-eo", "pid,comm,%cpu,rss", f"--sort=-{sort_by}"]
    out = subprocess.check_output(cmd, text=True)
    return out.splitlines()[: n + 1]

@@ env_check | Verify required environment variables are set
import os
def run(names: list[str]) -> list[str]:
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        print("missing:", ", ".join(missing))
    return missing

@@ clean_old_files |
import time
from pathlib import Path
def run(folder: str, days: int = 30, pattern: str = "*") -> int:
    """Delete files older than N days in a folder."""
    cutoff = time.time() - days * 86400
    removed = 0
    for p in Path(folder).glob(pattern):
        if p.is_file() and p.stat().st_mtime < cutoff:
            p.unlink()
            removed += 1
    return removed

@@ retry_cmd | Retry a flaky command with exponential backoff
import subprocess
import time
def run(cmd: list[str], attempts: int = 5, base_delay: float = 1.0) -> str:
    """Waits base_delay * 2**i between attempts."""
    for i in range(attempts):
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode == 0:
            return p.stdout
        time.sleep(base_delay * 2**i)
    raise RuntimeError(f"{cmd[0]} failed {attempts} times: {p.stderr.strip()}")

@@ grep_files |
import re
from pathlib import Path
def run(pattern: str, root: str = ".", glob: str = "**/*.py") -> list[str]:
    """Search files for a regex, returning path:line: text hits."""
    rx = re.compile(pattern)
    hits = []
    for p in Path(root).glob(glob):
        for no, line in enumerate(p.read_text(errors="ignore").splitlines(), 1):
            if rx.search(line):
                hits.append(f"{p}:{no}: {line.strip()}")
    return hits

@@ pip_outdated | List outdated pip packages
import json
import subprocess
import sys
def run(include_pre: bool = False) -> list[dict]:
    cmd = [sys.executable, "-m", "pip", "list", "--outdated", "--format=json"]
    if include_pre:
        cmd.append("--pre")
    pkgs = json.loads(subprocess.check_output(cmd, text=True))
    return [{"name": p["name"], "from": p["version"], "to": p["latest_version"]} for p in pkgs]

@@ parse_env_file |
def run(path: str = ".env") -> dict[str, str]:
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                env[k.removeprefix("export ").strip()] = v.strip().strip("\"'")
    return env

@@ tree_view | Print a directory tree like the tree command
from pathlib import Path
def run(root: str = ".", depth: int = 2) -> str:
    lines = [root]

    def walk(d, prefix, level):
        kids = sorted(p for p in Path(d).iterdir() if not p.name.startswith("."))
        for i, p in enumerate(kids):
            last = i == len(kids) - 1
            lines.append(f"{prefix}{'└── ' if last else '├── '}{p.name}")
            if p.is_dir() and level < depth:
                walk(p, prefix + ("    " if last else "│   "), level + 1)

    walk(root, "", 1)
    return "\n".join(lines)
'''

_SQL = r'''
@@ sqlite_query | Run a SQL query against a SQLite file and return dict rows
import sqlite3
def run(db_path: str, sql: str, params: tuple = ()) -> list[dict]:
    """Parameterised query; rows come back as dicts."""
    con = sqlite3.connect(db_path)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(sql, params)]
    finally:
        con.close()

@@ sqlite_tables | List tables and columns in a SQLite database
import sqlite3
def run(db_path: str) -> dict[str, list[str]]:
    """Every table in a SQLite db with its column names."""
    con = sqlite3.connect(db_path)
    names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    schema = {n: [c[1] for c in con.execute(f"PRAGMA table_info('{n}')")] for n in names}
    con.close()
    return schema

@@ csv_to_sqlite | Load a CSV file into a new SQLite table
import csv
import sqlite3
def run(csv_path: str, db_path: str, table: str) -> int:
    with open(csv_path, newline="") as f:
        reader = csv.reader(f)
        cols = next(reader)
        rows = list(reader)
    con = sqlite3.connect(db_path)
    col_sql = ", ".join(f'"{c}"' for c in cols)
    con.execute(f'CREATE TABLE IF NOT EXISTS "{table}" ({col_sql})')
    con.executemany(f'INSERT INTO "{table}" VALUES ({", ".join("?" * len(cols))})', rows)
    con.commit()
    con.close()
    return len(rows)

@@ sqlite_to_csv | Export a SQLite table to a CSV file
import csv
import sqlite3
def run(db_path: str, table: str, out: str) -> int:
    con = sqlite3.connect(db_path)
    cur = con.execute(f'SELECT * FROM "{table}"')
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([d[0] for d in cur.description])
        rows = cur.fetchall()
        w.writerows(rows)
    con.close()
    return len(rows)

@@ db_backup | Make a consistent online backup of a SQLite database
import sqlite3
def run(src_db: str, backup_path: str) -> str:
    """Uses the sqlite3 backup API, safe while the db is in use."""
    src, dst = sqlite3.connect(src_db), sqlite3.connect(backup_path)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return backup_path

@@ db_restore |
import shutil
import sqlite3
def run(backup_path: str, target_db: str) -> None:
    """Replace a database file with a backup copy after an integrity check."""
    con = sqlite3.connect(backup_path)
    ok = con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    if not ok:
        raise ValueError(f"{backup_path} is corrupt")
    shutil.copyfile(backup_path, target_db)

@@ table_row_counts |
import sqlite3
def run(db_path: str) -> dict[str, int]:
    con = sqlite3.connect(db_path)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    counts = {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    con.close()
    return counts

@@ upsert_rows | Insert or update rows by primary key
import sqlite3
def run(db_path: str, table: str, rows: list[dict], key: str = "id") -> int:
    """INSERT ... ON CONFLICT DO UPDATE keyed on `key`."""
    cols = list(rows[0])
    updates = ", ".join(f"{c}=excluded.{c}" for c in cols if c != key)
    sql = (
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
        f"ON CONFLICT({key}) DO UPDATE SET {updates}"
    )
    with sqlite3.connect(db_path) as con:
        con.executemany(sql, [tuple(r[c] for c in cols) for r in rows])
    return len(rows)

@@ explain_query |
import sqlite3
def run(db_path: str, sql: str) -> list[str]:
    """Show SQLite's query plan to check whether indexes are used."""
    with sqlite3.connect(db_path) as con:
        plan = con.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
    return [row[3] for row in plan]

@@ add_index | create an index on a column if missing
import sqlite3
def run(db_path: str, table: str, column: str) -> str:
    name = f"idx_{table}_{column}"
    with sqlite3.connect(db_path) as con:
        con.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table}({column})")
    return name

@@ vacuum_db |
import os
import sqlite3
def run(db_path: str) -> int:
    """VACUUM a SQLite file and return the bytes reclaimed."""
    before = os.path.getsize(db_path)
    con = sqlite3.connect(db_path)
    con.execute("VACUUM")
    con.close()
    return before - os.path.getsize(db_path)

@@ sqlite_dump | Dump a SQLite database as SQL text
import sqlite3
def run(db_path: str, out_sql: str) -> int:
    con = sqlite3.connect(db_path)
    statements = list(con.iterdump())
    con.close()
    with open(out_sql, "w") as f:
        f.write("\n".join(statements) + "\n")
    return len(statements)
'''

_NOTIFY = r'''
@@ send_email | Send an email through SMTP with STARTTLS
import os
import smtplib
from email.message import EmailMessage
def run(to: str, subject: str, body: str, sender: str | None = None) -> None:
    msg = EmailMessage()
    msg["From"] = sender or os.environ["SMTP_USER"]
    msg["To"], msg["Subject"] = to, subject
    msg.set_content(body)
    with smtplib.SMTP(os.environ["SMTP_HOST"], 587) as s:
        s.starttls()
        s.login(os.environ["SMTP_USER"], os.environ["SMTP_PASSWORD"])
        s.send_message(msg)

@@ read_inbox |
import email
import imaplib
import os
def run(folder: str = "INBOX", limit: int = 20) -> list[dict]:
    """Unread messages (from, subject) over IMAP."""
    box = imaplib.IMAP4_SSL(os.environ["IMAP_HOST"])
    box.login(os.environ["IMAP_USER"], os.environ["IMAP_PASSWORD"])
    box.select(folder, readonly=True)
    _, data = box.search(None, "UNSEEN")
    out = []
    for num in data[0].split()[-limit:]:
        _, msg_data = box.fetch(num, "(RFC822.HEADER)")
        msg = email.message_from_bytes(msg_data[0][1])
        out.append({"from": msg["From"], "subject": msg["Subject"]})
    box.logout()
    return out

@@ mail_attachments | email some files as attachments
import mimetypes
import os
import smtplib
from email.message import EmailMessage
def run(to: str, subject: str, files: list[str]) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = os.environ["SMTP_USER"], to, subject
    msg.set_content("See attached.")
    for path in files:
        maintype, subtype = (mimetypes.guess_type(path)[0] or "application/octet-stream").split("/")
        with open(path, "rb") as f:
            msg.add_attachment(f.read(), maintype=maintype, subtype=subtype,
                               filename=os.path.basename(path))
    with smtplib.SMTP_SSL(os.environ["SMTP_HOST"]) as s:
        s.login(os.environ["SMTP_USER"], os.environ["SMTP_PASSWORD"])
        s.send_message(msg)

@@ slack_post | Post a message to a Slack channel via webhook
import json
import urllib.request
def run(text: str, webhook_url: str, channel: str | None = None) -> int:
    """Incoming-webhook post; returns the HTTP status."""
    payload = {"text": text, **({"channel": channel} if channel else {})}
    headers = {"Content-Type": "application/json"}
    req = urllib.request.Request(webhook_url, json.dumps(payload).encode(), headers)
    with urllib.request.urlopen(req) as resp:
        return resp.status

@@ discord_notify |
import json
import urllib.request
def run(content: str, webhook: str, username: str = "bot") -> int:
    data = json.dumps({"content": content[:2000], "username": username}).encode()
    req = urllib.request.Request(webhook, data, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as resp:
        return resp.status

@@ telegram_send | send a telegram message from a bot
import json
import os
from urllib.parse import urlencode
def run(chat_id: str, message: str) -> bool:
    token = os.environ["TELEGRAM_BOT_TOKEN"]
    query = urlencode({"chat_id": chat_id, "text": message})
    url = f"https://api.telegram.org/bot{token}/sendMessage?{query}"
    return json.loads(tools.curl.get(url=url))["ok"]

@@ send_sms |
import base64
import os
import urllib.parse
import urllib.request
def run(to_number: str, body: str) -> int:
    """Text a phone number via the Twilio REST API."""
    sid, token = os.environ["TWILIO_SID"], os.environ["TWILIO_TOKEN"]
    url = f"https://api.twilio.com/2010-04-01/Accounts/{sid}/Messages.json"
    form = {"To": to_number, "From": os.environ["TWILIO_FROM"], "Body": body}
    req = urllib.request.Request(url, urllib.parse.urlencode(form).encode())
    auth = base64.b64encode(f"{sid}:{token}".encode()).decode()
    req.add_header("Authorization", f"Basic {auth}")
    with urllib.request.urlopen(req) as resp:
        return resp.status

@@ validate_email | Check an email address looks valid
import re
PATTERN = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")

def run(address: str) -> bool:
    """Syntax check only; does not contact the mail server."""
    address = address.strip()
    return bool(PATTERN.match(address)) and ".." not in address

@@ render_template |
import string
def run(template: str, values: dict[str, str]) -> str:
    """Fill $placeholders in a message template, leaving unknown ones."""
    return string.Template(template).safe_substitute(values)

@@ pagerduty_alert | Trigger a PagerDuty incident for whoever is on call
import json
import os
import urllib.request
URL = "https://events.pagerduty.com/v2/enqueue"

def run(summary: str, severity: str = "error", source: str = "agent") -> str:
    event = {"routing_key": os.environ["PD_ROUTING_KEY"], "event_action": "trigger",
             "payload": {"summary": summary, "severity": severity, "source": source}}
    headers = {"Content-Type": "application/json"}
    req = urllib.request.Request(URL, json.dumps(event).encode(), headers)
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read())["dedup_key"]
'''

_SECURITY = r'''
@@ encode_b64 | base64-encode a text string
import base64
def run(data: str, urlsafe: bool = False) -> str:
    raw = data.encode()
    enc = base64.urlsafe_b64encode(raw) if urlsafe else base64.b64encode(raw)
    return enc.decode()

@@ decode_b64 | Decode base64 (standard or URL-safe) back to text
import base64
import binascii
def run(encoded: str) -> str:
    padded = encoded.strip() + "=" * (-len(encoded.strip()) % 4)
    try:
        return base64.b64decode(padded, validate=True).decode()
    except binascii.Error:
        return base64.urlsafe_b64decode(padded).decode()

@@ sha256_file | Compute the SHA-256 checksum of a file
import hashlib
def run(path: str, chunk: int = 1 << 20) -> str:
    """Reads in 1 MiB chunks so large files are fine."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()

@@ md5_text |
import hashlib
def run(text: str) -> str:
    digest = hashlib.md5(text.encode("utf-8"))
    return digest.hexdigest()

@@ verify_checksum |
import hashlib
def run(path: str, expected: str, algo: str = "sha256") -> bool:
    """Compare a file's digest against a published checksum."""
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest().lower() == expected.strip().lower()

@@ gen_password | Generate a strong random password
import secrets
import string
def run(length: int = 20, symbols: bool = True) -> str:
    """Uses secrets; guarantees a digit and an upper-case letter."""
    alphabet = string.ascii_letters + string.digits + ("!@#$%^&*-_" if symbols else "")
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(length))
        if any(c.isdigit() for c in pw) and any(c.isupper() for c in pw):
            return pw

@@ hash_password | Hash a password with PBKDF2 for storage
import hashlib
import os
def run(password: str, iterations: int = 600_000) -> str:
    """PBKDF2-SHA256 hash in iterations$salt$hash form for storing."""
    salt = os.urandom(16)
    dk = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"{iterations}${salt.hex()}${dk.hex()}"

@@ check_password | Verify a password against a stored PBKDF2 hash
import hashlib
import hmac
def run(password: str, stored: str) -> bool:
    """Constant-time comparison against hash_password's format."""
    iterations, salt, digest = stored.split("$")
    dk = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(dk.hex(), digest)

@@ jwt_decode |
import base64
import json
def run(token: str) -> dict:
    """Read the claims of a JWT without verifying the signature."""
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))

@@ hmac_sign | Sign a payload with HMAC-SHA256
import hashlib
import hmac
def run(secret: str, body: str) -> str:
    mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256)
    return mac.hexdigest()

@@ verify_webhook | Check a GitHub webhook signature header
import hashlib
import hmac
def run(secret: str, payload: bytes, signature_header: str) -> bool:
    mac = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    return hmac.compare_digest("sha256=" + mac, signature_header)

@@ gen_token | Random URL-safe token for API keys
import secrets
def run(nbytes: int = 32, prefix: str = "") -> str:
    token = secrets.token_urlsafe(nbytes)
    return prefix + token

@@ scan_secrets | Scan files for leaked API keys and tokens
import re
from pathlib import Path
PATTERNS = {
    "aws_key": r"AKIA[0-9A-Z]{16}",
    "github_token": r"gh[pousr]_[A-Za-z0-9]{36}",
    "private_key": r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
}

def run(root: str = ".") -> list[tuple[str, str]]:
    hits = []
    for p in Path(root).rglob("*"):
        if p.is_file() and p.stat().st_size < 1_000_000:
            text = p.read_text(errors="ignore")
            hits += [(str(p), kind) for kind, rx in PATTERNS.items() if re.search(rx, text)]
    return hits

@@ ssl_expiry |
import socket
import ssl
from datetime import datetime, timezone
def run(hostname: str, port: int = 443) -> int:
    """Days until a host's TLS certificate expires."""
    ctx = ssl.create_default_context()
    with socket.create_connection((hostname, port), timeout=10) as sock:
        with ctx.wrap_socket(sock, server_hostname=hostname) as tls:
            cert = tls.getpeercert()
    expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), timezone.utc)
    return (expires - datetime.now(timezone.utc)).days

@@ password_strength |
import math
import string
def run(pw: str) -> dict:
    pools = [string.ascii_lowercase, string.ascii_uppercase, string.digits, string.punctuation]
    size = sum(len(p) for p in pools if any(c in p for c in pw))
    bits = len(pw) * math.log2(size) if size else 0.0
    verdict = "weak" if bits < 50 else "ok" if bits < 80 else "strong"
    return {"entropy_bits": round(bits, 1), "verdict": verdict}
'''

_FINANCE = r'''
@@ convert_currency | Convert an amount between currencies with live rates
import json
def run(amount: float, from_ccy: str, to_ccy: str) -> float:
    url = f"https://open.er-api.com/v6/latest/{from_ccy.upper()}"
    rates = json.loads(tools.curl.get(url=url))["rates"]
    return round(amount * rates[to_ccy.upper()], 2)

@@ fx_rate |
import json
def run(base: str = "USD", quote: str = "EUR") -> float:
    """Latest base->quote rate from the ECB via frankfurter.app."""
    url = f"https://api.frankfurter.app/latest?from={base}&to={quote}"
    data = json.loads(tools.curl.get(url=url))
    return data["rates"][quote]

@@ compound_interest | Future value with compound interest
def run(principal: float, rate: float, years: float, n: int = 12) -> float:
    """n compounding periods per year."""
    growth = (1 + rate / n) ** (n * years)
    return round(principal * growth, 2)

@@ simple_interest | Simple (non-compounding) interest on a principal
def run(principal: float, rate: float, years: float) -> float:
    interest = principal * rate * years
    return round(interest, 2)

@@ loan_payment | Monthly payment for an amortized loan
def run(principal: float, annual_rate: float, months: int) -> float:
    """Standard annuity formula; annual_rate as a fraction."""
    r = annual_rate / 12
    if r == 0:
        return round(principal / months, 2)
    return round(principal * r / (1 - (1 + r) ** -months), 2)

@@ amortization_schedule |
def run(principal: float, annual_rate: float, months: int) -> list[dict]:
    """Month-by-month interest, principal and remaining balance."""
    r = annual_rate / 12
    pay = principal * r / (1 - (1 + r) ** -months)
    rows, bal = [], principal
    for m in range(1, months + 1):
        interest = bal * r
        bal -= pay - interest
        rows.append({"month": m, "interest": round(interest, 2),
                     "principal": round(pay - interest, 2), "balance": round(max(bal, 0), 2)})
    return rows

@@ npv | Net present value of a series of cash flows
def run(rate: float, cashflows: list[float]) -> float:
    """cashflows[0] is at t=0 (not discounted)."""
    total = sum(cf / (1 + rate) ** t for t, cf in enumerate(cashflows))
    return round(total, 2)

@@ irr |
def run(cashflows: list[float], lo: float = -0.99, hi: float = 10.0) -> float:
    """Internal rate of return by bisection."""
    def npv(r):
        return sum(cf / (1 + r) ** t for t, cf in enumerate(cashflows))

    for _ in range(200):
        mid = (lo + hi) / 2
        if npv(lo) * npv(mid) <= 0:
            hi = mid
        else:
            lo = mid
    return mid

@@ cagr | compound annual growth rate between two values
def run(start_value: float, end_value: float, years: float) -> float:
    if start_value <= 0 or years <= 0:
        raise ValueError("need a positive start value and period")
    return (end_value / start_value) ** (1 / years) - 1

@@ stock_quote | latest price for a stock ticker
import json
def run(symbol: str) -> float:
    url = f"https://query1.finance.yahoo.com/v8/finance/chart/{symbol.upper()}"
    meta = json.loads(tools.curl.get(url=url))["chart"]["result"][0]["meta"]
    return meta["regularMarketPrice"]

@@ format_money | Format a number as currency with thousands separators
def run(amount: float, symbol: str = "$", decimals: int = 2) -> str:
    """-1234.5 -> '-$1,234.50'."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount):,.{decimals}f}"

@@ split_bill |
def run(total: float, people: int, tip_pct: float = 15) -> list[float]:
    """Split a restaurant bill with tip, spreading leftover cents."""
    cents = round(total * (1 + tip_pct / 100) * 100)
    base, extra = divmod(cents, people)
    return [(base + (1 if i < extra else 0)) / 100 for i in range(people)]

@@ add_vat | add VAT to a net price
def run(net: float, rate: float = 0.2) -> float:
    gross = net * (1 + rate)
    return round(gross, 2)

@@ remove_vat |
def run(gross: float, rate: float = 0.2) -> float:
    """Net price from a price that includes VAT."""
    net = gross / (1 + rate)
    return round(net, 2)

@@ spend_by_category | Sum bank transactions per category from a statement CSV
import csv
from collections import defaultdict
def run(statement_csv: str, rules: dict[str, str]) -> dict[str, float]:
    totals = defaultdict(float)
    with open(statement_csv, newline="") as f:
        for row in csv.DictReader(f):
            desc = row["Description"].lower()
            cat = next((c for kw, c in rules.items() if kw in desc), "other")
            totals[cat] += float(row["Amount"])
    return dict(sorted(totals.items(), key=lambda kv: kv[1]))

'''

_SCHEDULE = r'''
@@ cron_next_run | Next times a cron expression fires
from datetime import datetime, timedelta
def _match(field: str, value: int) -> bool:
    for part in field.split(","):
        rng, _, step = part.partition("/")
        lo, hi = (0, 59) if rng == "*" else map(int, (rng.split("-") * 2)[:2])
        if lo <= value <= hi and (value - lo) % int(step or 1) == 0:
            return True
    return False

def run(expr: str, start: str | None = None, count: int = 5) -> list[str]:
    minute, hour, dom, month, dow = expr.split()
    t = datetime.fromisoformat(start) if start else datetime.now()
    t = t.replace(second=0, microsecond=0)
    out = []
    while len(out) < count:
        t += timedelta(minutes=1)
        fields = ((minute, t.minute), (hour, t.hour), (dom, t.day), (month, t.month),
                  (dow, t.isoweekday() % 7))
        if all(_match(f, v) for f, v in fields):
            out.append(t.isoformat())
    return out

@@ cron_describe | Describe a cron expression in English
DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

def run(expr: str) -> str:
    """Explain a 5-field cron expression in plain English."""
    minute, hour, dom, month, dow = expr.split()
    when = "every minute" if minute == "*" else f"at minute {minute}"
    if hour != "*":
        exact = minute.isdigit() and hour.isdigit()
        when = f"at {int(hour):02d}:{int(minute):02d}" if exact else f"{when} of hour {hour}"
    if dow != "*":
        when += " on " + ", ".join(DAYS[int(d) % 7] for d in dow.split(",") if d.isdigit())
    if dom != "*":
        when += f" on day {dom} of the month"
    if month != "*":
        when += f" in month {month}"
    return when

@@ cron_validate | check a crontab line is syntactically valid
import re
FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$")
LIMITS = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]

def run(expr: str) -> bool:
    fields = expr.split()
    if len(fields) != 5:
        return False
    for f, (lo, hi) in zip(fields, LIMITS):
        if not FIELD.match(f):
            return False
        if any(not lo <= int(n) <= hi for n in re.findall(r"\d+", f.split("/")[0])):
            return False
    return True

@@ add_crontab | Append a job to the user's crontab
import subprocess
def run(schedule: str, command: str) -> str:
    """Idempotent: does nothing if the line is already there."""
    current = subprocess.run(["crontab", "-l"], capture_output=True, text=True).stdout
    line = f"{schedule} {command}"
    if line not in current.splitlines():
        subprocess.run(["crontab", "-"], input=current + line + "\n", text=True, check=True)
    return line

@@ remove_crontab |
import subprocess
def run(match: str) -> int:
    """Remove crontab lines containing a substring."""
    lines = subprocess.run(["crontab", "-l"], capture_output=True, text=True).stdout.splitlines()
    keep = [ln for ln in lines if match not in ln]
    subprocess.run(["crontab", "-"], input="\n".join(keep) + "\n", text=True, check=True)
    return len(lines) - len(keep)

@@ meeting_slots | find free meeting slots given busy intervals
from datetime import datetime, timedelta
def run(busy: list[tuple[str, str]], day_start: str, day_end: str, minutes: int = 30) -> list:
    """Slots between day_start and day_end that avoid every busy block."""
    t, end = datetime.fromisoformat(day_start), datetime.fromisoformat(day_end)
    blocks = sorted((datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in busy)
    free, step = [], timedelta(minutes=minutes)
    while t + step <= end:
        if all(t + step <= a or t >= b for a, b in blocks):
            free.append(t.isoformat(timespec="minutes"))
        t += step
    return free

@@ ics_event |
import uuid
from datetime import datetime
def run(title: str, start: str, end: str, location: str = "") -> str:
    """Build an iCalendar (.ics) invite for one event."""
    def fmt(s):
        return datetime.fromisoformat(s).strftime("%Y%m%dT%H%M%S")

    return "\r\n".join([
        "BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT", f"UID:{uuid.uuid4()}",
        f"DTSTART:{fmt(start)}", f"DTEND:{fmt(end)}", f"SUMMARY:{title}",
        f"LOCATION:{location}", "END:VEVENT", "END:VCALENDAR",
    ])

@@ parse_ics | Read events out of an .ics calendar file
def run(path: str) -> list[dict]:
    events, cur = [], None
    with open(path) as f:
        for line in f.read().replace("\r\n ", "").splitlines():
            if line == "BEGIN:VEVENT":
                cur = {}
            elif line == "END:VEVENT" and cur is not None:
                events.append(cur)
                cur = None
            elif cur is not None and ":" in line:
                key, value = line.split(":", 1)
                cur[key.split(";")[0].lower()] = value
    return events

@@ shift_rota | Round-robin weekly on-call rota for a list of people
from datetime import date, timedelta
from itertools import cycle
def run(people: list[str], start: str, weeks: int = 8) -> list[tuple[str, str]]:
    d = date.fromisoformat(start)
    who = cycle(people)
    return [((d + timedelta(weeks=i)).isoformat(), next(who)) for i in range(weeks)]

@@ systemd_timer |
def run(name: str, command: str, on_calendar: str = "daily") -> dict[str, str]:
    """Text of a systemd .service and .timer pair."""
    service = f"[Unit]\nDescription={name}\n\n[Service]\nType=oneshot\nExecStart={command}\n"
    timer = (
        f"[Unit]\nDescription=Run {name}\n\n[Timer]\nOnCalendar={on_calendar}\n"
        "Persistent=true\n\n[Install]\nWantedBy=timers.target\n"
    )
    return {f"{name}.service": service, f"{name}.timer": timer}
'''

_DEVOPS = r'''
@@ docker_ps | List running containers with image and status
import json
import subprocess
def run(all_containers: bool = False) -> list[dict]:
    cmd = ["docker", "ps", "--format", "{{json .}}"] + (["-a"] if all_containers else [])
    out = subprocess.check_output(cmd, text=True)
    rows = [json.loads(line) for line in out.splitlines()]
    return [{k: c[k] for k in ("Names", "Image", "Status")} for c in rows]

@@ docker_prune |
import subprocess
def run(volumes: bool = False) -> str:
    """Remove stopped containers, dangling images and unused networks."""
    cmd = ["docker", "system", "prune", "-f"] + (["--volumes"] if volumes else [])
    out = subprocess.check_output(cmd, text=True).strip()
    return out.splitlines()[-1] if out else ""

@@ docker_logs | tail the logs of a container
import subprocess
def run(container: str, lines: int = 100, since: str | None = None) -> str:
    cmd = ["docker", "logs", "--tail", str(lines)]
    if since:
        cmd += ["--since", since]
    p = subprocess.run([*cmd, container], capture_output=True, text=True)
    return p.stdout + p.stderr

@@ k8s_scale | Scale a Kubernetes deployment to N replicas
import subprocess
def run(deployment: str, replicas: int, namespace: str = "default") -> str:
    cmd = ["kubectl", "scale", f"deployment/{deployment}", f"--replicas={replicas}"]
    out = subprocess.check_output([*cmd, "-n", namespace], text=True)
    return out.strip()

@@ k8s_restart | Rolling restart of a deployment, waiting for the rollout
import subprocess
def run(deployment: str, namespace: str = "default", wait: bool = True) -> None:
    target, ns = f"deployment/{deployment}", ["-n", namespace]
    subprocess.run(["kubectl", "rollout", "restart", target, *ns], check=True)
    if wait:
        subprocess.run(["kubectl", "rollout", "status", target, *ns], check=True)

@@ k8s_pod_logs | Get logs from a Kubernetes pod
import subprocess
def run(pod: str, namespace: str = "default", container: str = "", previous: bool = False) -> str:
    """Logs of a pod (or of its crashed previous instance)."""
    cmd = ["kubectl", "logs", pod, "-n", namespace]
    if container:
        cmd += ["-c", container]
    if previous:
        cmd.append("--previous")
    return subprocess.run(cmd, capture_output=True, text=True).stdout

@@ k8s_crashloop | Find pods stuck in CrashLoopBackOff or restarting a lot
import json
import subprocess
def run(namespace: str = "default", min_restarts: int = 3) -> list[tuple[str, int]]:
    cmd = ["kubectl", "get", "pods", "-n", namespace, "-o", "json"]
    bad = []
    for pod in json.loads(subprocess.check_output(cmd, text=True))["items"]:
        for cs in pod["status"].get("containerStatuses", []):
            reason = cs["state"].get("waiting", {}).get("reason")
            if reason == "CrashLoopBackOff" or cs["restartCount"] >= min_restarts:
                bad.append((pod["metadata"]["name"], cs["restartCount"]))
    return bad

@@ k8s_decode_secret |
import base64
import json
import subprocess
def run(secret: str, namespace: str = "default") -> dict[str, str]:
    cmd = ["kubectl", "get", "secret", secret, "-n", namespace, "-o", "json"]
    data = json.loads(subprocess.check_output(cmd, text=True)).get("data", {})
    return {k: base64.b64decode(v).decode() for k, v in data.items()}

@@ upload_s3 | Upload a file to an S3 bucket
import subprocess
def run(local_path: str, bucket: str, key: str | None = None) -> str:
    """Shells out to the aws CLI; returns the s3:// URI."""
    uri = f"s3://{bucket}/{key or local_path.rsplit('/', 1)[-1]}"
    subprocess.run(["aws", "s3", "cp", local_path, uri], check=True)
    return uri

@@ download_s3 |
import subprocess
def run(bucket: str, key: str, dest: str = ".") -> str:
    """Copy an object from S3 to local disk."""
    subprocess.run(["aws", "s3", "cp", f"s3://{bucket}/{key}", dest], check=True)
    return dest

@@ s3_presign | Presigned download link for an S3 object
import subprocess
def run(bucket: str, key: str, expires: int = 3600) -> str:
    cmd = ["aws", "s3", "presign", f"s3://{bucket}/{key}", "--expires-in", str(expires)]
    return subprocess.check_output(cmd, text=True).strip()

@@ wait_healthy |
import time
import urllib.request
def run(url: str, timeout: float = 120, interval: float = 2) -> float:
    """Poll a health endpoint until it returns 200."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return time.monotonic() - start
        except OSError:
            pass
        time.sleep(interval)
    raise TimeoutError(url)

@@ nginx_log_stats | Top IPs, paths and status codes from an nginx access log
"""Parses the combined log format."""
import re
from collections import Counter
LINE = re.compile(r'(\S+) \S+ \S+ \[[^\]]+\] "(\S+) (\S+) [^"]*" (\d{3}) (\d+|-)')

def run(log_path: str, top: int = 10) -> dict:
    ips, statuses, paths = Counter(), Counter(), Counter()
    with open(log_path, errors="replace") as f:
        for line in f:
            if m := LINE.match(line):
                ip, _, path, status, _ = m.groups()
                ips[ip] += 1
                statuses[status] += 1
                paths[path] += 1
    return {"ips": ips.most_common(top), "status": dict(statuses),
            "paths": paths.most_common(top)}

@@ semver_bump | Bump a semantic version (major, minor or patch)
def run(version: str, part: str = "patch") -> str:
    """'1.4.2' + minor -> '1.5.0'."""
    core = version.lstrip("v").split("-")[0]
    major, minor, patch = (int(x) for x in core.split("."))
    if part == "major":
        return f"{major + 1}.0.0"
    if part == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"

@@ docker_build_push | build a docker image and push it to a registry
import subprocess
def run(context: str, tag: str, push: bool = True) -> str:
    subprocess.run(["docker", "build", "-t", tag, context], check=True)
    if push:
        subprocess.run(["docker", "push", tag], check=True)
    return tag
'''

_ML = r'''
@@ normalize_minmax | Scale values to the 0-1 range
def run(values: list[float]) -> list[float]:
    lo, hi = min(values), max(values)
    span = hi - lo or 1
    return [(v - lo) / span for v in values]

@@ standardize | Z-score standardize a list of numbers
import statistics
def run(xs: list[float]) -> list[float]:
    """Zero mean, unit variance."""
    mu = statistics.fmean(xs)
    sd = statistics.pstdev(xs) or 1
    return [(x - mu) / sd for x in xs]

@@ train_test_split | Shuffle and split rows into train and test sets
import random
def run(rows: list, test_frac: float = 0.2, seed: int = 42) -> tuple[list, list]:
    """Deterministic for a given seed."""
    rows = rows[:]
    random.Random(seed).shuffle(rows)
    cut = int(len(rows) * (1 - test_frac))
    return rows[:cut], rows[cut:]

@@ kfold_indices | Train/validation index splits for k-fold cross validation
def run(n: int, k: int = 5) -> list[tuple[list[int], list[int]]]:
    folds = [list(range(i, n, k)) for i in range(k)]
    rest = [[j for f in folds[:i] + folds[i + 1 :] for j in f] for i in range(k)]
    return list(zip(rest, folds))

@@ one_hot | One-hot encode a categorical column
def run(labels: list[str]) -> tuple[list[str], list[list[int]]]:
    cats = sorted(set(labels))
    index = {c: i for i, c in enumerate(cats)}
    return cats, [[int(index[lab] == i) for i in range(len(cats))] for lab in labels]

@@ label_encode |
def run(labels: list[str]) -> tuple[dict[str, int], list[int]]:
    """Map each category to an integer id."""
    mapping = {c: i for i, c in enumerate(sorted(set(labels)))}
    return mapping, [mapping[lab] for lab in labels]

@@ fill_missing | Impute missing values with the mean or median
import statistics
def run(values: list[float | None], strategy: str = "mean") -> list[float]:
    present = [v for v in values if v is not None]
    fill = statistics.median(present) if strategy == "median" else statistics.fmean(present)
    return [fill if v is None else v for v in values]

@@ tokenize | split text into lowercase word tokens
import re
def run(text: str, lower: bool = True) -> list[str]:
    if lower:
        text = text.lower()
    return re.findall(r"\w+(?:'\w+)?", text)

@@ tfidf | TF-IDF vectors for a small set of documents
import math
import re
from collections import Counter
def run(docs: list[str]) -> list[dict[str, float]]:
    tokenized = [re.findall(r"\w+", d.lower()) for d in docs]
    df = Counter(t for toks in tokenized for t in set(toks))
    n = len(docs)
    return [
        {t: c / len(toks) * math.log(n / df[t]) for t, c in Counter(toks).items()}
        for toks in tokenized
    ]

@@ cosine_sim |
import math
def run(a: list[float], b: list[float]) -> float:
    """Cosine similarity of two vectors."""
    dot = sum(x * y for x, y in zip(a, b))
    na, nb = math.sqrt(sum(x * x for x in a)), math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0

@@ confusion_matrix | Confusion matrix and accuracy from labels and predictions
from collections import Counter
def run(y_true: list, y_pred: list) -> dict:
    labels = sorted(set(y_true) | set(y_pred))
    pairs = Counter(zip(y_true, y_pred))
    matrix = [[pairs[(t, p)] for p in labels] for t in labels]
    acc = sum(pairs[(lab, lab)] for lab in labels) / len(y_true)
    return {"labels": labels, "matrix": matrix, "accuracy": acc}

@@ precision_recall |
def run(y_true: list[int], y_pred: list[int], positive: int = 1) -> dict[str, float]:
    """Precision, recall and F1 for one positive class."""
    pairs = list(zip(y_true, y_pred))
    tp = sum(t == p == positive for t, p in pairs)
    fp = sum(p == positive != t for t, p in pairs)
    fn = sum(t == positive != p for t, p in pairs)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"precision": prec, "recall": rec, "f1": f1}

@@ chunk_text | split a long document into overlapping chunks for embeddings
def run(text: str, size: int = 1000, overlap: int = 200) -> list[str]:
    """Character windows of `size` that overlap by `overlap`."""
    step = size - overlap
    if step <= 0:
        raise ValueError("overlap must be smaller than size")
    return [text[i : i + size] for i in range(0, max(len(text) - overlap, 1), step)]

@@ count_tokens |
import re
def run(prompt: str, chars_per_token: float = 4.0) -> int:
    """Approximate the number of LLM tokens in a prompt."""
    pieces = re.findall(r"\w+|[^\w\s]", prompt)
    return max(len(pieces), round(len(prompt) / chars_per_token))

@@ stratified_sample |
import random
from collections import defaultdict
def run(rows: list[dict], label_key: str, per_class: int, seed: int = 0) -> list[dict]:
    """Equal-size random sample from each class."""
    by_class = defaultdict(list)
    for r in rows:
        by_class[r[label_key]].append(r)
    rng = random.Random(seed)
    return [r for g in by_class.values() for r in rng.sample(g, min(per_class, len(g)))]
'''

_GEO = r'''
@@ haversine_km | Great-circle distance between two lat/lon points in km
import math
def run(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance on a spherical Earth (R = 6371 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))

@@ bearing_deg |
import math
def run(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial compass bearing from point 1 to point 2."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return (math.degrees(math.atan2(x, y)) + 360) % 360

@@ geocode_addr | look up coordinates for a street address (Nominatim)
import json
from urllib.parse import quote
def run(address: str) -> tuple[float, float] | None:
    url = f"https://nominatim.openstreetmap.org/search?format=json&limit=1&q={quote(address)}"
    hits = json.loads(tools.curl.get(url=url))
    return (float(hits[0]["lat"]), float(hits[0]["lon"])) if hits else None

@@ reverse_geocode |
import json
def run(lat: float, lon: float) -> str:
    """Nearest address for coordinates via OpenStreetMap."""
    url = f"https://nominatim.openstreetmap.org/reverse?format=json&lat={lat}&lon={lon}"
    return json.loads(tools.curl.get(url=url)).get("display_name", "")

@@ dms_to_decimal | Convert degrees/minutes/seconds to decimal degrees
"""40°26'46"N -> 40.4461"""
import re
PATTERN = r"""(\d+)°\s*(\d+)'\s*([\d.]+)"?\s*([NSEW])"""

def run(dms: str) -> float:
    d, m, s, hemi = re.match(PATTERN, dms.strip().upper()).groups()
    value = int(d) + int(m) / 60 + float(s) / 3600
    return -value if hemi in "SW" else value

@@ decimal_to_dms |
def run(deg: float, is_lat: bool = True) -> str:
    hemi = ("N" if deg >= 0 else "S") if is_lat else ("E" if deg >= 0 else "W")
    deg = abs(deg)
    d = int(deg)
    m = int((deg - d) * 60)
    s = (deg - d - m / 60) * 3600
    return f"{d}°{m}'{s:.1f}\"{hemi}"

@@ point_in_polygon | Test whether a point lies inside a polygon (ray casting)
def run(x: float, y: float, polygon: list[tuple[float, float]]) -> bool:
    inside = False
    j = len(polygon) - 1
    for i, (xi, yi) in enumerate(polygon):
        xj, yj = polygon[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside

@@ country_info | Capital, population and currencies of a country
import json
def run(country: str) -> dict:
    data = json.loads(tools.curl.get(url=f"https://restcountries.com/v3.1/name/{country}"))[0]
    capital = data.get("capital", [None])[0]
    return {"capital": capital, "population": data["population"],
            "currencies": list(data.get("currencies", {}))}

@@ ip_geolocate | approximate location of an IP address
import json
def run(ip: str) -> dict:
    info = json.loads(tools.curl.get(url=f"http://ip-api.com/json/{ip}"))
    if info.get("status") != "success":
        raise ValueError(info.get("message", "lookup failed"))
    return {k: info.get(k) for k in ("country", "city", "lat", "lon", "isp")}

@@ nearest_point |
def run(origin: tuple[float, float], candidates: list[dict]) -> dict:
    """Closest candidate (with lat/lon keys) to an origin."""
    lat, lon = origin
    return min(
        candidates,
        key=lambda c: skills.haversine_km(lat1=lat, lon1=lon, lat2=c["lat"], lon2=c["lon"]),
    )

'''

_COLLECTIONS = r'''
@@ chunk_list | Split a list into fixed-size batches
def run(items: list, size: int) -> list[list]:
    if size < 1:
        raise ValueError("size must be >= 1")
    return [items[i : i + size] for i in range(0, len(items), size)]

@@ flatten_list |
def run(nested: list) -> list:
    """Flatten arbitrarily nested lists."""
    out = []
    for x in nested:
        out.extend(run(x) if isinstance(x, list) else [x])
    return out

@@ deep_merge | Recursively merge two dicts, right side wins
def run(base: dict, override: dict) -> dict:
    """Values in override win; nested dicts merge recursively."""
    merged = dict(base)
    for k, v in override.items():
        if isinstance(v, dict) and isinstance(merged.get(k), dict):
            merged[k] = run(merged[k], v)
        else:
            merged[k] = v
    return merged

@@ dict_diff |
def run(old: dict, new: dict) -> dict[str, list]:
    """Keys added, removed and changed between two dicts."""
    return {
        "added": sorted(new.keys() - old.keys()),
        "removed": sorted(old.keys() - new.keys()),
        "changed": sorted(k for k in old.keys() & new.keys() if old[k] != new[k]),
    }

@@ group_by |
from collections import defaultdict
def run(items: list[dict], key: str) -> dict[str, list[dict]]:
    groups = defaultdict(list)
    for it in items:
        groups[it.get(key)].append(it)
    return dict(groups)

@@ json_path_get |
def run(data: dict | list, path: str, default: object = None) -> object:
    """Get a nested value by a dotted path like 'items.0.name'."""
    cur = data
    for part in path.split("."):
        try:
            cur = cur[int(part)] if isinstance(cur, list) else cur[part]
        except (KeyError, IndexError, ValueError, TypeError):
            return default
    return cur
'''

_NETWORK = r'''
@@ dns_lookup | Resolve a hostname to its IP addresses
import socket
def run(hostname: str) -> list[str]:
    """IPv4 and IPv6 addresses for a hostname."""
    infos = socket.getaddrinfo(hostname, None)
    return sorted({info[4][0] for info in infos})

@@ reverse_dns | hostname for an IP address (PTR lookup)
import socket
def run(ip: str) -> str | None:
    try:
        return socket.gethostbyaddr(ip)[0]
    except OSError:
        return None

@@ cidr_hosts |
import ipaddress
def run(cidr: str, limit: int = 256) -> list[str]:
    """Usable host addresses in a CIDR block."""
    net = ipaddress.ip_network(cidr, strict=False)
    return [str(h) for _, h in zip(range(limit), net.hosts())]

@@ ip_in_subnet | check if an IP address belongs to a subnet
import ipaddress
def run(ip: str, subnet: str) -> bool:
    network = ipaddress.ip_network(subnet, strict=False)
    return ipaddress.ip_address(ip) in network

@@ domain_expiry | When a domain registration expires, via whois
import re
import subprocess
def run(domain: str) -> str | None:
    out = subprocess.run(["whois", domain], capture_output=True, text=True).stdout
    m = re.search(r"(?i)expir\w*(?: date)?:\s*(\S+)", out)
    return m.group(1) if m else None
'''

_BLOCKS: dict[str, str] = {
    "files": _FILES,
    "text": _TEXT,
    "dates": _DATES,
    "web": _WEB,
    "github": _GITHUB,
    "statistics": _STATS,
    "images": _IMAGES,
    "math_units": _UNITS,
    "system": _SYSTEM,
    "sql": _SQL,
    "notifications": _NOTIFY,
    "security": _SECURITY,
    "finance": _FINANCE,
    "scheduling": _SCHEDULE,
    "devops": _DEVOPS,
    "ml": _ML,
    "geo": _GEO,
    "collections": _COLLECTIONS,
    "network": _NETWORK,
}


def _parse(blocks: dict[str, str]) -> tuple[list[dict[str, str]], dict[str, str]]:
    skills: list[dict[str, str]] = []
    domain: dict[str, str] = {}
    for dom, block in blocks.items():
        for chunk in block.split("\n@@ ")[1:]:
            header, _, source = chunk.partition("\n")
            name, _, description = (part.strip() for part in header.partition("|"))
            skill = {"name": name, "source": source.strip() + "\n", "description": description}
            skills.append(skill)
            domain[name] = dom
    return skills, domain


SKILLS: list[dict[str, str]]
DOMAIN: dict[str, str]  # skill name -> domain
SKILLS, DOMAIN = _parse(_BLOCKS)

# Groups of skills that a search must tell apart: inverses, directions, states, near-siblings.
CONFUSABLE: list[tuple[str, ...]] = [
    ("csv_to_json", "json_to_csv"),
    ("yaml_to_json", "json_to_yaml"),
    ("merge_csvs", "split_csv"),
    ("dedupe_rows", "dedupe_lines", "find_dupe_files"),
    ("flatten_json", "unflatten_json", "flatten_list"),
    ("find_large_files", "dir_size", "disk_usage"),
    ("zip_dir", "unzip_file"),
    ("gzip_file", "gunzip_file"),
    ("tail_log", "docker_logs", "k8s_pod_logs"),
    ("camel_to_snake", "snake_to_camel"),
    ("word_freq", "word_count"),
    ("extract_emails", "extract_phones", "extract_urls", "scrape_links"),
    ("truncate_text", "wrap_text"),
    ("levenshtein", "fuzzy_match"),
    ("epoch_to_iso", "iso_to_epoch", "parse_iso_ts"),
    ("utc_to_local", "local_to_utc"),
    ("parse_duration", "fmt_duration"),
    ("url_encode", "url_decode"),
    ("parse_query", "build_url"),
    ("gh_open_issues", "gh_closed_issues", "gh_open_prs", "gh_merged_prs", "gh_create_issue"),
    ("gh_contributors", "git_author_counts"),
    ("mean_col", "median_col", "describe"),
    ("zscore_outliers", "iqr_outliers"),
    ("hex_to_rgb", "rgb_to_hex"),
    ("resize_img", "crop_img", "make_thumbnail"),
    ("exif_date", "strip_exif"),
    ("c_to_f", "f_to_c"),
    ("km_to_miles", "miles_to_km", "unit_convert"),
    ("px_to_rem", "rem_to_px"),
    ("kg_to_lb", "lb_to_kg"),
    ("roman_numeral", "parse_roman"),
    ("kill_port", "port_in_use", "free_port"),
    ("csv_to_sqlite", "sqlite_to_csv"),
    ("db_backup", "db_restore", "sqlite_dump"),
    ("send_email", "read_inbox", "mail_attachments"),
    ("slack_post", "discord_notify", "telegram_send", "send_sms"),
    ("encode_b64", "decode_b64", "img_to_b64"),
    ("sha256_file", "md5_text", "verify_checksum"),
    ("gen_password", "hash_password", "check_password", "password_strength"),
    ("hmac_sign", "verify_webhook"),
    ("convert_currency", "fx_rate"),
    ("compound_interest", "simple_interest", "cagr"),
    ("loan_payment", "amortization_schedule"),
    ("npv", "irr"),
    ("add_vat", "remove_vat"),
    ("cron_next_run", "cron_describe", "cron_validate"),
    ("add_crontab", "remove_crontab", "systemd_timer"),
    ("ics_event", "parse_ics"),
    ("upload_s3", "download_s3", "s3_presign"),
    ("k8s_scale", "k8s_restart"),
    ("normalize_minmax", "standardize"),
    ("one_hot", "label_encode"),
    ("train_test_split", "kfold_indices", "stratified_sample"),
    ("geocode_addr", "reverse_geocode"),
    ("dms_to_decimal", "decimal_to_dms"),
    ("haversine_km", "bearing_deg"),
    ("dns_lookup", "reverse_dns"),
    ("ssl_expiry", "domain_expiry"),
    ("chunk_list", "chunk_text", "split_csv"),
    ("fetch_json", "post_json"),
]

# (kind, query, expected skill): "p" is a paraphrase sharing no content word with the skill,
# "n" a natural query that may reuse some of its words.
_Q: list[tuple[str, str, str]] = [
    # files
    ("p", "turn a spreadsheet export into structured objects", "csv_to_json"),
    ("n", "csv rows to json", "csv_to_json"),
    ("p", "get a spreadsheet from an array of records", "json_to_csv"),
    ("n", "write a json list out as a csv file", "json_to_csv"),
    ("n", "yaml config to json", "yaml_to_json"),
    ("n", "write a python dict out as yaml", "json_to_yaml"),
    ("p", "stitch multiple spreadsheet exports together into one", "merge_csvs"),
    ("n", "merge several csv files into one", "merge_csvs"),
    ("p", "break a huge spreadsheet export into smaller pieces", "split_csv"),
    ("p", "drop repeated records in a spreadsheet", "dedupe_rows"),
    ("p", "drop repeats from a newline separated blob", "dedupe_lines"),
    ("n", "remove duplicate lines from text", "dedupe_lines"),
    ("p", "collapse a deeply hierarchical dictionary into single level paths", "flatten_json"),
    ("n", "flatten a nested json object", "flatten_json"),
    ("p", "rebuild hierarchy from dot separated key names", "unflatten_json"),
    ("p", "reformat a minified payload so humans can read it", "pretty_json"),
    ("p", "which huge items are hogging storage in this folder", "find_large_files"),
    ("p", "how much room does a directory take up", "dir_size"),
    ("p", "bundle a whole project directory into one compressed package", "zip_dir"),
    ("n", "zip a directory", "zip_dir"),
    ("p", "unpack a compressed bundle someone sent me", "unzip_file"),
    ("n", "unzip an archive into a folder", "unzip_file"),
    ("n", "gzip a single file", "gzip_file"),
    ("p", "uncompress a gzipped dump back to plain bytes", "gunzip_file"),
    ("n", "gunzip a .gz file", "gunzip_file"),
    ("p", "what were the final messages the server wrote", "tail_log"),
    ("p", "spot copies of the same photo stored twice on disk", "find_dupe_files"),
    # text
    ("p", "turn a blog post heading into a web address fragment", "slugify"),
    ("n", "make a url slug from a post title", "slugify"),
    ("p", "change myvariablename into lowercase with underscores", "camel_to_snake"),
    ("n", "camelcase to snake case", "camel_to_snake"),
    ("p", "join underscore separated words with capital letters", "snake_to_camel"),
    ("p", "what vocabulary is commonest in an essay", "word_freq"),
    ("p", "how long is this essay", "word_count"),
    ("p", "get readable prose from raw web page source", "strip_html"),
    ("n", "strip html tags from a page", "strip_html"),
    ("n", "find email addresses in a block of text", "extract_emails"),
    ("p", "grab the mobile contacts mentioned in a message", "extract_phones"),
    ("p", "list every web address mentioned in a chat message", "extract_urls"),
    ("p", "cut a long blurb down to fit a tweet", "truncate_text"),
    ("p", "break prose into lines no wider than 80 columns", "wrap_text"),
    ("p", "how many typos apart are these words", "levenshtein"),
    ("n", "edit distance between two strings", "levenshtein"),
    ("p", "suggest the nearest spelling from known options", "fuzzy_match"),
    ("p", "show what changed between versions of a document", "text_diff"),
    ("p", "convert letters like é or ñ to plain ascii", "remove_accents"),
    ("p", "hide personal contact details in a transcript i will publish", "redact_pii"),
    # dates
    ("n", "parse an iso 8601 timestamp string", "parse_iso_ts"),
    ("p", "what calendar date is 1700000000 seconds since 1970", "epoch_to_iso"),
    ("n", "convert unix epoch to iso date", "epoch_to_iso"),
    ("p", "posix time for a given calendar day", "iso_to_epoch"),
    ("n", "iso date to unix timestamp", "iso_to_epoch"),
    ("p", "what hour is it in berlin when it is noon at greenwich", "utc_to_local"),
    ("n", "convert utc to local time in a timezone", "utc_to_local"),
    ("p", "my meeting is 9am tokyo, what is that in zulu", "local_to_utc"),
    ("p", "how long until christmas counting from today", "days_between"),
    ("n", "days between two dates", "days_between"),
    ("p", "due date ten weekdays after monday, ignoring saturday and sunday", "add_business_days"),
    ("p", "was christmas 1999 a monday or a friday", "weekday_name"),
    ("p", "how old is a person born in june 1990", "age_from_dob"),
    ("p", "friendly relative phrasing such as yesterday or five minutes prior", "humanize_delta"),
    ("n", "parse 1h30m style duration to seconds", "parse_duration"),
    ("p", "display an elapsed interval in a short readable form", "fmt_duration"),
    ("p", "does february have 29 days in 2100", "is_leap_year"),
    ("n", "list all dates in a range", "date_range"),
    ("p", "make sense of inconsistent day month year notations", "parse_date_fuzzy"),
    # web
    ("p", "call a rest endpoint and decode its response", "fetch_json"),
    ("p", "what headline does a site show in the browser tab", "fetch_title"),
    ("p", "gather all the anchors a site points to", "scrape_links"),
    ("p", "is the website up, what response does it give", "check_status"),
    ("p", "which hrefs on a site return 404", "broken_links"),
    ("p", "save something from the internet onto disk", "download_file"),
    ("p", "read the parameters after the question mark in a link", "parse_query"),
    ("p", "stick key value pairs onto an endpoint address", "build_url"),
    ("p", "escape spaces and ampersands for a link", "url_encode"),
    ("p", "turn %20 sequences back into readable characters", "url_decode"),
    ("n", "url decode a percent encoded string", "url_decode"),
    ("p", "does the site let scrapers visit this page", "robots_allowed"),
    ("p", "newest posts from a blog syndication xml", "rss_items"),
    ("p", "send data to an api with an auth header", "post_json"),
    ("p", "scrape the grid of figures on a wikipedia article", "html_tables"),
    ("p", "is it raining or hot outside at these coordinates", "weather_now"),
    # github
    ("p", "how popular is some open source project", "fetch_repo_stars"),
    ("n", "github repo star count", "fetch_repo_stars"),
    ("p", "unresolved bug reports for a project", "gh_open_issues"),
    ("n", "open issues on a github repo", "gh_open_issues"),
    ("p", "which bug reports got resolved lately", "gh_closed_issues"),
    ("n", "closed issues in a repo since last month", "gh_closed_issues"),
    ("p", "pending code contributions waiting for review", "gh_open_prs"),
    ("n", "list open prs on github", "gh_open_prs"),
    ("p", "which pull requests landed this week", "gh_merged_prs"),
    ("p", "how much of a project is python versus javascript", "gh_repo_langs"),
    ("p", "who has done the most work on an open source project", "gh_contributors"),
    ("p", "current shipped version of a library upstream", "gh_latest_release"),
    ("p", "file a bug report against a project", "gh_create_issue"),
    ("p", "reply in a discussion thread on a ticket", "gh_comment"),
    ("p", "what changed lately in my working copy history", "git_recent_commits"),
    ("p", "how big is my change compared to main", "git_diff_stat"),
    ("p", "who wrote this particular row of code", "git_blame_line"),
    ("p", "who made the most changes in this checkout, from history", "git_author_counts"),
    ("p", "find abandoned feature work nobody has touched for months", "git_stale_branches"),
    ("p", "pull the org and project name out of a clone link", "parse_gh_url"),
    ("p", "why is ci red lately on the build pipeline", "gh_workflow_runs"),
    ("p", "draft release notes of what shipped after the previous version", "changelog_since_tag"),
    # statistics
    ("p", "sum of a spreadsheet field divided by row count", "mean_col"),
    ("n", "average of a csv column", "mean_col"),
    ("p", "middle value of a spreadsheet field when sorted", "median_col"),
    ("n", "median of a csv column", "median_col"),
    ("p", "quick statistical overview of a sample", "describe"),
    ("p", "what score puts someone in the top ten percent", "percentile"),
    ("p", "do these variables move together", "pearson_corr"),
    ("p", "best straight trend through scattered points", "linear_fit"),
    ("p", "readings beyond three sigmas from the average", "zscore_outliers"),
    ("p", "anomalous points beyond the box plot whiskers", "iqr_outliers"),
    ("p", "smooth a noisy daily signal with a trailing average", "moving_avg"),
    ("p", "distribution of measurements grouped into ranges", "histogram"),
    ("p", "total sales per region from a spreadsheet", "group_sum"),
    ("p", "how often does every category appear", "value_counts"),
    ("p", "is the new signup page significantly better than control", "ab_test"),
    ("p", "error bars around the average of my measurements", "confidence_interval"),
    ("p", "pick random entries from a huge dataset without loading it all", "sample_rows"),
    ("p", "how much did revenue grow or shrink month over month", "pct_change"),
    # images
    ("p", "scale a photo down to 800 by 600", "resize_img"),
    ("n", "resize an image to a smaller width", "resize_img"),
    ("p", "trim the edges off a picture to keep a portion", "crop_img"),
    ("p", "turn a photo sideways by ninety", "rotate_img"),
    ("p", "tiny previews for a gallery of pictures", "make_thumbnail"),
    ("p", "pixel dimensions of a screenshot", "png_size"),
    ("p", "make a picture black and white", "to_grayscale"),
    ("n", "convert a png to webp", "convert_img_format"),
    ("p", "when was this picture taken according to the camera", "exif_date"),
    ("p", "scrub location info from pictures before posting them online", "strip_exif"),
    ("p", "inline a picture directly into html without a separate request", "img_to_b64"),
    ("p", "what red green blue values is #ff8800", "hex_to_rgb"),
    ("n", "hex color to rgb", "hex_to_rgb"),
    ("p", "css hash notation for red 255 green 128 blue 0", "rgb_to_hex"),
    ("n", "rgb to hex color code", "rgb_to_hex"),
    ("p", "put a copyright mark on a photo", "watermark_img"),
    ("p", "make a looping animation from a bunch of pictures", "gif_from_frames"),
    ("p", "pull still shots out of a movie clip every second", "extract_frames"),
    # math and units
    ("p", "30 centigrade on an american thermometer", "c_to_f"),
    ("p", "oven says 350, what is that in centigrade", "f_to_c"),
    ("n", "fahrenheit to celsius", "f_to_c"),
    ("p", "express a metric road distance in imperial", "km_to_miles"),
    ("n", "kilometers to miles", "km_to_miles"),
    ("p", "turn an imperial road distance into metric", "miles_to_km"),
    ("p", "relative font units from a design mockup measurement", "px_to_rem"),
    ("n", "convert px to rem", "px_to_rem"),
    ("p", "absolute screen measurement for a relative css length", "rem_to_px"),
    ("n", "rem to pixels", "rem_to_px"),
    ("p", "my weight is 80 in metric, what is it in imperial", "kg_to_lb"),
    ("p", "how heavy is 150 pounds in kilos", "lb_to_kg"),
    ("p", "show a file length as something readable like 3.2 megabytes", "bytes_human"),
    ("p", "does 7919 have any factors besides one and itself", "is_prime"),
    ("p", "biggest number that goes into both 12 and 18", "gcd_lcm"),
    ("p", "write 1994 the way clocks and movie sequels do", "roman_numeral"),
    ("p", "what number is mcmxciv", "parse_roman"),
    ("p", "how many litres in 3 gallons", "unit_convert"),
    # system
    ("p", "execute something in bash and grab what it prints", "run_cmd"),
    ("p", "free up 8080 by stopping the server hogging it", "kill_port"),
    ("n", "kill the process on port 3000", "kill_port"),
    ("p", "is anything already bound to 5432 on localhost", "port_in_use"),
    ("n", "check if a port is in use", "port_in_use"),
    ("p", "pick an available socket for a test server", "free_port"),
    ("p", "how full is the hard drive", "disk_usage"),
    ("p", "how much ram does this machine have left", "mem_info"),
    ("p", "is the server busy right now", "load_avg"),
    ("p", "which programs are eating up ram", "top_procs"),
    ("p", "make sure all needed config vars exist before starting", "env_check"),
    ("p", "purge stale temp stuff past a month", "clean_old_files"),
    ("p", "keep trying a process that fails sometimes, pausing longer each time", "retry_cmd"),
    ("p", "where in the codebase is this function name mentioned", "grep_files"),
    ("p", "which python dependencies have newer versions available", "pip_outdated"),
    ("p", "load key value settings from a dotenv", "parse_env_file"),
    ("p", "show the folder hierarchy nested with indentation", "tree_view"),
    # sql
    ("p", "pull records out of a local database using a select statement", "sqlite_query"),
    ("n", "run a sql query on a sqlite database", "sqlite_query"),
    ("p", "what entities and fields does my embedded store define", "sqlite_tables"),
    ("p", "import a spreadsheet export into a local database", "csv_to_sqlite"),
    ("n", "load csv into sqlite", "csv_to_sqlite"),
    ("p", "dump a database into a spreadsheet", "sqlite_to_csv"),
    ("n", "export a sqlite table to csv", "sqlite_to_csv"),
    ("p", "copy the app data store without stopping writers", "db_backup"),
    ("p", "roll app data back to an earlier snapshot", "db_restore"),
    ("n", "restore a sqlite db from a backup file", "db_restore"),
    ("p", "number of records per entity in a sqlite file", "table_row_counts"),
    ("p", "write records, overwriting any that already exist by id", "upsert_rows"),
    ("p", "why is my select slow, is it scanning everything", "explain_query"),
    ("p", "speed up lookups on a field", "add_index"),
    ("p", "shrink a bloated database after deleting lots of data", "vacuum_db"),
    ("p", "export the statements needed to recreate the whole schema and contents", "sqlite_dump"),
    # notifications
    ("p", "mail someone a quick message", "send_email"),
    ("n", "send an email with smtp", "send_email"),
    ("p", "check whether i got new mail", "read_inbox"),
    ("p", "send a report pdf to my boss", "mail_attachments"),
    ("n", "post a message in slack", "slack_post"),
    ("n", "send a message to a discord server", "discord_notify"),
    ("n", "ping me on telegram", "telegram_send"),
    ("p", "page someone on their mobile with a short alert", "send_sms"),
    ("p", "is this signup field a plausible mailbox", "validate_email"),
    ("p", "substitute names into a form letter", "render_template"),
    ("p", "wake the duty engineer because production is down", "pagerduty_alert"),
    # security
    ("p", "make binary safe for transport as ascii characters", "encode_b64"),
    ("n", "base64 encode a string", "encode_b64"),
    ("p", "what does this agvsbg8= blob actually say", "decode_b64"),
    ("n", "decode a base64 string", "decode_b64"),
    ("p", "fingerprint a huge download with a secure digest", "sha256_file"),
    ("n", "sha256 checksum of a file", "sha256_file"),
    ("p", "quick legacy hash of a string for a cache key", "md5_text"),
    ("p", "make sure an installer was not tampered with", "verify_checksum"),
    ("p", "invent a hard to guess login for a new account", "gen_password"),
    ("p", "protect user credentials before saving them to a table", "hash_password"),
    ("n", "hash a password for storage", "hash_password"),
    ("p", "does the login attempt match what we saved", "check_password"),
    ("n", "verify a password against its hash", "check_password"),
    ("p", "peek inside a bearer credential to see who it belongs to", "jwt_decode"),
    ("n", "decode a jwt token", "jwt_decode"),
    ("p", "keyed message authentication code for a request", "hmac_sign"),
    ("p", "is this incoming callback really from the sender", "verify_webhook"),
    ("p", "mint an unguessable credential for a service", "gen_token"),
    ("p", "did anyone commit aws credentials into the repository", "scan_secrets"),
    ("p", "when does the https cert on our site run out", "ssl_expiry"),
    ("p", "how guessable is this passphrase", "password_strength"),
    # finance
    ("p", "how much is 100 dollars in yen", "convert_currency"),
    ("n", "convert usd to eur", "convert_currency"),
    ("p", "what is one euro worth in pounds today", "fx_rate"),
    ("p", "how big will my savings grow if earnings are reinvested monthly", "compound_interest"),
    ("n", "compound interest on savings over ten years", "compound_interest"),
    ("p", "flat yearly return on a deposit without reinvesting", "simple_interest"),
    ("p", "what will my mortgage installment be", "loan_payment"),
    ("n", "monthly loan payment for a mortgage", "loan_payment"),
    ("p", "how much of each mortgage installment pays down the debt", "amortization_schedule"),
    ("p", "what are future project earnings worth right now", "npv"),
    ("p", "what annual yield does this investment earn", "irr"),
    ("p", "average yearly increase from 10k to 25k across a decade", "cagr"),
    ("p", "what are apple shares trading at", "stock_quote"),
    ("p", "pretty print a dollar figure with commas", "format_money"),
    ("p", "how much does each of us owe after dinner", "split_bill"),
    ("p", "gross cost including sales tax", "add_vat"),
    ("n", "add vat to a price", "add_vat"),
    ("p", "strip the sales tax back out of a total", "remove_vat"),
    ("n", "remove vat from a gross price", "remove_vat"),
    ("p", "where did my money go this month", "spend_by_category"),
    # scheduling
    ("p", "when will this crontab schedule trigger again", "cron_next_run"),
    ("n", "next run times of a cron expression", "cron_next_run"),
    ("p", "what does */15 9-17 * * 1-5 mean in human words", "cron_describe"),
    ("n", "explain a cron expression in english", "cron_describe"),
    ("p", "is my job timing spec written correctly", "cron_validate"),
    ("p", "make a script run every night at 2am on this box", "add_crontab"),
    ("p", "stop a recurring nightly task from running", "remove_crontab"),
    ("p", "when are all attendees available for half an hour", "meeting_slots"),
    ("p", "calendar file someone can import into outlook", "ics_event"),
    ("p", "list appointments from an exported outlook schedule", "parse_ics"),
    ("p", "rotating duty assignments through the team", "shift_rota"),
    ("p", "replace a cron job with a linux unit file", "systemd_timer"),
    # devops
    ("n", "list running docker containers", "docker_ps"),
    ("p", "reclaim disk taken by leftover build junk", "docker_prune"),
    ("n", "show logs of a docker container", "docker_logs"),
    ("p", "run five copies of the api in the cluster", "k8s_scale"),
    ("n", "scale a deployment to three replicas", "k8s_scale"),
    ("p", "bounce every pod of a service so it picks up new config", "k8s_restart"),
    ("n", "restart a kubernetes deployment", "k8s_restart"),
    ("n", "get kubernetes pod logs", "k8s_pod_logs"),
    ("p", "which workloads in the cluster keep dying", "k8s_crashloop"),
    ("p", "read the plaintext values stored in a cluster credential object", "k8s_decode_secret"),
    ("p", "push a build artifact to amazon cloud storage", "upload_s3"),
    ("n", "upload a file to s3", "upload_s3"),
    ("p", "fetch an artifact from amazon cloud storage", "download_s3"),
    ("n", "download a file from an s3 bucket", "download_s3"),
    ("p", "temporary shareable url for a private amazon file", "s3_presign"),
    ("p", "hold off till the service responds after deploy", "wait_healthy"),
    ("p", "who hits our web server most and which pages", "nginx_log_stats"),
    ("p", "increment the release number for a new feature", "semver_bump"),
    ("p", "publish a fresh container to ecr", "docker_build_push"),
    # ml
    ("p", "squash features so the smallest becomes zero and the largest one", "normalize_minmax"),
    ("n", "min max normalize a list of values", "normalize_minmax"),
    ("p", "center features and divide by their spread", "standardize"),
    ("p", "hold out 20 percent of examples for evaluation", "train_test_split"),
    ("n", "split data into train and test sets", "train_test_split"),
    ("p", "rotate which fifth of the examples is held back for scoring", "kfold_indices"),
    ("p", "dummy indicator variables for a feature like colour", "one_hot"),
    ("n", "one hot encode categories", "one_hot"),
    ("p", "turn class names into ordinal numbers", "label_encode"),
    ("p", "replace blanks and nulls in a dataset column", "fill_missing"),
    ("p", "break a sentence into its individual terms", "tokenize"),
    ("p", "weight terms by how rare they are across a corpus", "tfidf"),
    ("p", "how alike are these embeddings", "cosine_sim"),
    ("p", "how often did the classifier mix up each class", "confusion_matrix"),
    ("p", "how good is my spam detector at catching spam without false alarms", "precision_recall"),
    ("p", "cut a book into pieces for a vector database", "chunk_text"),
    ("p", "will this fit in the context window of gpt", "count_tokens"),
    ("p", "balanced subset with the same amount of every category", "stratified_sample"),
    # geo
    ("p", "how far is paris from berlin as the crow flies", "haversine_km"),
    ("n", "distance in km between two coordinates", "haversine_km"),
    ("p", "which heading should a ship steer toward another port", "bearing_deg"),
    ("p", "latitude and longitude of 10 downing st", "geocode_addr"),
    ("n", "geocode a street address", "geocode_addr"),
    ("p", "what town or street is at 48.85, 2.35", "reverse_geocode"),
    ("p", "turn 40 26 46 north into one float for a map", "dms_to_decimal"),
    ("p", "show 51.5074 in the old sexagesimal notation for a chart", "decimal_to_dms"),
    ("p", "is this customer within the delivery zone boundary", "point_in_polygon"),
    ("p", "what money does japan use and how many people live there", "country_info"),
    ("p", "where in the world is this visitor connecting from", "ip_geolocate"),
    ("p", "which branch office is least far from me", "nearest_point"),
    # collections
    ("p", "process ids in groups of 100 at a time", "chunk_list"),
    ("p", "make [[1,[2]],3] one level deep", "flatten_list"),
    ("p", "layer user settings on top of defaults", "deep_merge"),
    ("p", "compare config versions and report discrepancies", "dict_diff"),
    ("p", "bucket records according to a field", "group_by"),
    ("p", "safely dig into a deep response without keyerrors", "json_path_get"),
    # network
    ("p", "what does example.com point at on the network", "dns_lookup"),
    ("p", "what machine name is behind 8.8.8.8", "reverse_dns"),
    ("p", "enumerate every machine slot in 10.0.0.0/24", "cidr_hosts"),
    ("p", "is 10.1.2.3 part of the office network range", "ip_in_subnet"),
    ("p", "when do we need to renew our website name", "domain_expiry"),
]

QUERIES: list[tuple[str, str]] = [(query, name) for _, query, name in _Q]
PARAPHRASE: set[int] = {i for i, (kind, _, _) in enumerate(_Q) if kind == "p"}


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^a-z]+", text.lower()) if w]


def _forms(word: str) -> set[str]:
    """The word and its stems: a trailing s/es/ing/ed stripped, then a trailing e; -ies as -y."""
    forms = {word}
    for suffix in ("ing", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            forms.add(word[: -len(suffix)])
    if word.endswith("ies") and len(word) > 4:
        forms.add(word[:-3] + "y")
    return forms | {f[:-1] for f in forms if f.endswith("e") and len(f) > 3}


def _run_def(tree: ast.Module) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "run":
            return node
    return None


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.arg]:
    a = fn.args
    extra = [x for x in (a.vararg, a.kwarg) if x is not None]
    return [*a.posonlyargs, *a.args, *a.kwonlyargs, *extra]


def _docstrings(tree: ast.Module) -> list[str]:
    defs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, defs))]
    return [doc for n in nodes if (doc := ast.get_docstring(n))]


def shared_words(query: str, skill: dict[str, str]) -> list[str]:
    """Content words of `query` that also occur (up to stemming) in what `skill` shows search.

    That is its name parts, description, docstrings and the parameter names of `run`.
    """
    tree = ast.parse(skill["source"])
    fn = _run_def(tree)
    params = [p.arg for p in _params(fn)] if fn else []
    texts = [skill["name"], skill["description"], *_docstrings(tree), *params]
    vocab = {f for text in texts for w in _words(text) for f in _forms(w)}
    return [w for w in _words(query) if w not in STOPWORDS and _forms(w) & vocab]


def _check_skill(skill: dict[str, str], problems: list[str]) -> bool:
    """Check one skill, appending to `problems`; return whether it has a docstring."""
    name, description, source = skill.get("name", ""), skill.get("description"), skill["source"]
    if set(skill) != {"name", "source", "description"}:
        problems.append(f"{name}: keys {sorted(skill)}")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or len(name) > 40:
        problems.append(f"{name!r}: not a terse snake_case name")
    if description and (not 4 <= len(description.split()) <= 14 or "\n" in description):
        problems.append(f"{name}: description must be one line of 4-14 words")
    if any(len(line) > 100 for line in source.splitlines()):
        problems.append(f"{name}: source line over 100 characters")
    if sum(1 for line in source.splitlines() if line.strip()) < 3:
        problems.append(f"{name}: source shorter than 3 lines")
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        problems.append(f"{name}: source does not parse: {e}")
        return False
    fn = _run_def(tree)
    if fn is None:
        problems.append(f"{name}: no top-level run()")
        return False
    params = _params(fn)
    if not params or any(p.annotation is None for p in params):
        problems.append(f"{name}: run() needs type-hinted parameters")
    body = fn.body[1:] if ast.get_docstring(fn) else fn.body
    if body and (body[-1].end_lineno or 0) - body[0].lineno + 1 > 15:
        problems.append(f"{name}: run() body over 15 lines")
    docs = _docstrings(tree)
    if any("\n" in doc for doc in docs):
        problems.append(f"{name}: docstrings are one line")
    return bool(docs)


def _check_skills(problems: list[str]) -> None:
    names = [s["name"] for s in SKILLS]
    if len(SKILLS) < 220:
        problems.append(f"only {len(SKILLS)} skills")
    if len(set(names)) != len(names) or len({n.casefold() for n in names}) != len(names):
        problems.append(f"duplicate names: {sorted({n for n in names if names.count(n) > 1})}")
    with_doc = sum(_check_skill(s, problems) for s in SKILLS)
    if not 0.35 <= with_doc / len(SKILLS) <= 0.65:
        problems.append(f"{with_doc} skills with a docstring: want about half")
    no_desc = sum(not s["description"] for s in SKILLS)
    if not 0.2 <= no_desc / len(SKILLS) <= 0.4:
        problems.append(f"{no_desc} skills without a description: want about 30%")
    if set(DOMAIN) != set(names) or len(set(DOMAIN.values())) < 12:
        problems.append("every skill needs a domain, and there must be at least 12 domains")
    if len(CONFUSABLE) < 25:
        problems.append(f"only {len(CONFUSABLE)} confusable groups")
    for group in CONFUSABLE:
        if len(set(group)) < 2 or not set(group) <= set(names):
            problems.append(f"confusable group {group}: unknown or single name")


def _check_queries(problems: list[str]) -> None:
    by_name = {s["name"]: s for s in SKILLS}
    if len(QUERIES) < 220 or len({q for q, _ in QUERIES}) != len(QUERIES):
        problems.append(f"{len(QUERIES)} queries, want at least 220, all different")
    if len({name for _, name in QUERIES}) < 180:
        problems.append("queries must cover at least 180 distinct skills")
    for query, expected in QUERIES:
        if expected not in by_name:
            problems.append(f"{query!r}: unknown skill {expected}")
        if query != query.lower() or query != query.strip() or not 3 <= len(query.split()) <= 12:
            problems.append(f"{query!r}: want 3-12 lower-case words")
        if named := set(re.findall(r"[a-z0-9_]+", query)) & set(by_name):
            problems.append(f"{query!r}: names a skill {sorted(named)}")
    if not PARAPHRASE <= set(range(len(QUERIES))) or len(PARAPHRASE) < 0.7 * len(QUERIES):
        problems.append(f"{len(PARAPHRASE)} paraphrases: want at least 70% of the queries")
    for i in sorted(PARAPHRASE):
        query, expected = QUERIES[i]
        if expected in by_name and (shared := shared_words(query, by_name[expected])):
            problems.append(f"paraphrase {query!r} shares {shared} with {expected}")


def check() -> None:
    """Assert the corpus invariants; the message lists every violation at once."""
    problems: list[str] = []
    _check_skills(problems)
    _check_queries(problems)
    assert not problems, "\n".join(problems)


if __name__ == "__main__":
    check()
    covered = {name for _, name in QUERIES}
    documented = sum(bool(_docstrings(ast.parse(s["source"]))) for s in SKILLS)
    no_desc = sum(not s["description"] for s in SKILLS)
    n, q = len(SKILLS), len(QUERIES)
    print(f"skills             {n} in {len(set(DOMAIN.values()))} domains")
    print(f"  with docstring   {documented} ({documented / n:.0%})")
    print(f"  no description   {no_desc} ({no_desc / n:.0%})")
    print(f"confusable groups  {len(CONFUSABLE)} ({sum(map(len, CONFUSABLE))} skills)")
    print(f"queries            {q}, expecting {len(covered)} distinct skills")
    print(f"  paraphrases      {len(PARAPHRASE)} ({len(PARAPHRASE) / q:.0%})")
    print(f"  natural          {q - len(PARAPHRASE)}")
