"""A stand-in for the GitHub REST API, enough for the docs' examples to run offline.

Any repository exists, with 1234 stars; it has a few open issues (one a pull request), a
pull request, a release and a README. Search and an organisation's repositories answer
too. Anything else is GitHub's 404.
"""

from __future__ import annotations

import base64
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests._support import send_json

__all__ = ["GitHubStandIn"]


def _repo(owner: str, name: str) -> dict[str, Any]:
    return {
        "full_name": f"{owner}/{name}",
        "name": name,
        "owner": {"login": owner},
        "description": f"The {name} repository",
        "stargazers_count": 1234,
        "forks_count": 56,
        "open_issues_count": 3,
        "default_branch": "main",
        "language": "Python",
        "topics": ["docs"],
        "license": {"spdx_id": "MIT", "name": "MIT License"},
        "archived": False,
        "pushed_at": "2026-11-30T12:00:00Z",
        "html_url": f"https://github.com/{owner}/{name}",
    }


def _issues(owner: str, name: str) -> list[dict[str, Any]]:
    items = []
    for number, title, labels in (
        (103, "Crash on empty input", ["type-bug"]),
        (102, "Faster startup", []),
        (101, "Docs: a typo in the tutorial", ["docs"]),
    ):
        item: dict[str, Any] = {
            "number": number,
            "title": title,
            "user": {"login": "ada"},
            "labels": [{"name": label} for label in labels],
            "state": "open",
            "comments": 2,
            "created_at": f"2026-11-2{number - 100}T00:00:00Z",
            "html_url": f"https://github.com/{owner}/{name}/issues/{number}",
        }
        if number == 102:
            item["pull_request"] = {"url": "..."}
            item["html_url"] = f"https://github.com/{owner}/{name}/pull/{number}"
        items.append(item)
    return items


class GitHubStandIn(BaseHTTPRequestHandler):
    """GET only, JSON only, like the parts of the API the docs call."""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        parts = [unquote(part) for part in url.path.strip("/").split("/")]
        send_json(self, *self._route(parts, query))

    def _route(self, parts: list[str], query: dict[str, str]) -> tuple[int, Any]:
        if parts[0] == "repos" and len(parts) >= 3:
            owner, name, rest = parts[1], parts[2], parts[3:]
            if not rest:
                return 200, _repo(owner, name)
            if rest == ["issues"]:
                wanted = {label for label in query.get("labels", "").split(",") if label}
                items = _issues(owner, name)
                chosen = [i for i in items if wanted <= {lb["name"] for lb in i["labels"]}]
                return 200, chosen if query.get("page", "1") == "1" else []
            if rest == ["pulls"]:
                return 200, [{"number": 102, "title": "Faster startup", "state": "open"}]
            if rest == ["releases", "latest"]:
                return 200, {"tag_name": "v1.2.0", "name": "1.2.0"}
            if rest == ["readme"]:
                text = base64.b64encode(f"# {name}\n\nThe README.\n".encode()).decode()
                return 200, {"name": "README.md", "encoding": "base64", "content": text}
        if parts[0] == "orgs" and parts[2:] == ["repos"]:
            return 200, [_repo(parts[1], name) for name in ("cpython", "peps", "devguide")]
        if parts == ["search", "repositories"]:
            found = [_repo("octo", "mcp-tools"), _repo("ada", "mcp-server")]
            return 200, {"total_count": len(found), "items": found}
        return 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""
