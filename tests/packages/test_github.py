"""The shipped `github` package, against a real local stand-in for the GitHub REST API.

GITHUB_API_URL points the package's tool at the stand-in, which serves GitHub-shaped JSON
(issues with pull requests mixed in, paged as GitHub pages them) and records each request's
raw path, query and headers, so the tests see exactly what reached "GitHub".
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import anyio
import pytest
import yaml
from py_code_mode import InProcessExecutor, Session
from py_code_mode._packages import find_package
from py_code_mode._result import ExecutionResult

from tests._support import send_json
from tests.conftest import make_executor

pytestmark = pytest.mark.anyio

TOKEN = "ghp_standIn0123456789abcdefXYZ"
PACKAGE = find_package("github").path
SKILLS = ("open_issues", "readme_text", "repo_stars", "repo_summary")
WRITE_ENDPOINTS = {"create_issue", "add_issue_comment"}

# --- the stand-in ----------------------------------------------------------------------

REPOS: dict[str, dict[str, Any]] = {
    "octo/widgets": {
        "stargazers_count": 4321,
        "forks_count": 87,
        "open_issues_count": 190,
        "default_branch": "trunk",
        "description": "Widgets for everyone",
        "language": "Python",
        "topics": ["widgets", "ui"],
        "license": {"spdx_id": "MIT", "name": "MIT License"},
        "archived": False,
        "pushed_at": "2024-05-01T10:00:00Z",
    },
    "octo/bare": {
        "stargazers_count": 7,
        "forks_count": 0,
        "open_issues_count": 0,
        "default_branch": "main",
        "description": None,
        "language": None,
        "topics": [],
        "license": None,
        "archived": True,
        "pushed_at": "2020-01-01T00:00:00Z",
    },
    "octo/flaky": {"stargazers_count": 1, "forks_count": 0, "open_issues_count": 0},
}
LATEST_RELEASE = {"octo/widgets": "v2.1.0"}  # octo/bare has none (404); octo/flaky fails (500)
ISSUE_COUNTS = {"octo/widgets": 250, "octo/exact": 200, "octo/empty": 0}
README = "# Widgets\n\nÜnïcode and a long line " + "x" * 200 + "\n"


def issue(repo: str, number: int) -> dict[str, Any]:
    """Item `number` of `repo`'s issues list: every third one is a pull request."""
    labels = [name for name, every in (("bug", 5), ("ui", 7)) if number % every == 0]
    item: dict[str, Any] = {
        "number": number,
        "title": f"Item {number} of {repo}",
        "user": {"login": f"user{number % 4}", "id": number % 4},
        "labels": [{"id": len(name), "name": name, "color": "fff"} for name in labels],
        "state": "open",
        "comments": number % 11,
        "created_at": f"2024-01-{1 + number % 28:02d}T00:00:00Z",
        "html_url": f"https://github.com/{repo}/issues/{number}",
        "body": "...",
    }
    if number % 3 == 0:
        item["html_url"] = f"https://github.com/{repo}/pull/{number}"
        item["pull_request"] = {"url": f"https://api.github.com/repos/{repo}/pulls/{number}"}
    return item


def all_issues(repo: str, labels: str = "") -> list[dict[str, Any]]:
    """`repo`'s open issues and pull requests, newest first, with all of `labels`."""
    wanted = {name for name in labels.split(",") if name}
    items = [issue(repo, n) for n in range(ISSUE_COUNTS[repo], 0, -1)]
    return [i for i in items if wanted <= {label["name"] for label in i["labels"]}]


def repo_json(repo: str) -> dict[str, Any]:
    return {
        "id": abs(hash(repo)) % 10**6,
        "full_name": repo,
        "name": repo.split("/")[1],
        "owner": {"login": repo.split("/")[0]},
        "html_url": f"https://github.com/{repo}",
        **REPOS[repo],
    }


@dataclass
class Seen:
    """One request as the stand-in got it."""

    method: str
    raw_path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


class _GitHub(BaseHTTPRequestHandler):
    server: StandIn

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        headers = {key.lower(): value for key, value in self.headers.items()}
        self.server.seen.append(Seen("GET", url.path, query, headers))
        parts = [unquote(part) for part in url.path.split("/")[1:]]
        repo = "/".join(parts[1:3]) if len(parts) >= 3 and parts[0] == "repos" else ""
        rest = parts[3:]
        if repo in REPOS and not rest:
            self._json(200, repo_json(repo))
        elif repo in ISSUE_COUNTS and rest == ["issues"]:
            self._issues(repo, query)
        elif rest == ["releases", "latest"] and repo in LATEST_RELEASE:
            self._json(200, {"tag_name": LATEST_RELEASE[repo], "name": "The release"})
        elif rest == ["releases", "latest"] and repo == "octo/flaky":
            self._json(500, {"message": "Server Error"})
        elif rest == ["readme"] and repo == "octo/widgets":
            ref = query.get("ref", ["trunk"])[0]
            text = f"{README}ref={ref}\n".encode()
            encoded = base64.b64encode(text).decode()
            wrapped = "\n".join(encoded[i : i + 60] for i in range(0, len(encoded), 60))
            self._json(200, {"name": "README.md", "encoding": "base64", "content": wrapped})
        else:
            # GitHub's 404, plus the Authorization header it got: a response that repeats
            # the token must not carry it back to agent code.
            self._json(
                404,
                {
                    "message": "Not Found",
                    "documentation_url": "https://docs.github.com/rest",
                    "echo": headers.get("authorization", ""),
                },
            )

    def _issues(self, repo: str, query: dict[str, list[str]]) -> None:
        if query.get("state", ["open"]) != ["open"]:
            self._json(422, {"message": "the stand-in serves open issues only"})
            return
        per_page = min(int(query.get("per_page", ["30"])[0]), 100)
        page = int(query.get("page", ["1"])[0])
        items = all_issues(repo, query.get("labels", [""])[0])
        self._json(200, items[(page - 1) * per_page : page * per_page])

    def _json(self, status: int, data: Any) -> None:
        send_json(self, status, data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class StandIn(ThreadingHTTPServer):
    seen: list[Seen]

    def issue_pages(self, repo: str) -> list[int]:
        """The `page` of each issues request for `repo`, in order."""
        return [
            int(s.query.get("page", ["1"])[0])
            for s in self.seen
            if s.raw_path == f"/repos/{repo}/issues"
        ]


@pytest.fixture
def github_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIn]:
    for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    server = StandIn(("127.0.0.1", 0), _GitHub)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    monkeypatch.setenv("GITHUB_API_URL", f"http://{host!s}:{port}")
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
async def session(tmp_path: Path, github_api: StandIn) -> AsyncIterator[Session]:
    with anyio.fail_after(60):
        async with Session.from_base(
            tmp_path / "ws", executor=InProcessExecutor(), packages=["github"]
        ) as s:
            yield s


async def value(session: Session, code: str) -> Any:
    """The value of `code`, which must run without an error."""
    result = await session.run(code, timeout=30)
    assert result.error is None, result.error
    assert TOKEN not in repr(result)
    return result.value


async def failure(session: Session, code: str) -> ExecutionResult:
    """The result of `code`, which must fail."""
    result = await session.run(code, timeout=30)
    assert result.error is not None, result
    assert TOKEN not in repr(result)
    return result


def expected_issue(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": item["number"],
        "title": item["title"],
        "author": item["user"]["login"],
        "labels": [label["name"] for label in item["labels"]],
        "comments": item["comments"],
        "created_at": item["created_at"],
        "url": item["html_url"],
    }


# --- the package itself ----------------------------------------------------------------


def test_the_definition_reads_mostly_and_describes_every_endpoint() -> None:
    data = yaml.safe_load((PACKAGE / "tools" / "github.yaml").read_text(encoding="utf-8"))
    assert data["base_url"] == "${GITHUB_API_URL:-https://api.github.com}"
    assert data["headers"]["Authorization"] == "Bearer ${GITHUB_TOKEN}"
    for name, endpoint in data["endpoints"].items():
        assert endpoint.get("description"), name
        if name in WRITE_ENDPOINTS:
            assert endpoint["method"] == "POST" and endpoint["description"].startswith("WRITES")
        else:
            assert endpoint["method"] == "GET", name
    readme = (PACKAGE / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# github\n")
    for name in [*data["endpoints"], *SKILLS]:
        assert f"`{name}(" in readme, f"the README does not mention {name}"


async def test_the_packages_tools_and_skills_are_listed(session: Session) -> None:
    [package] = session.packages
    assert package.name == "github"
    assert package.description.startswith("The GitHub REST API")
    tools = {tool["name"]: tool for tool in await session.list_tools()}
    assert tools["github"].get("error") is None
    callables = {c["name"] for c in tools["github"]["callables"]}
    assert {
        "get_repo", "list_issues", "get_issue", "list_issue_comments", "list_pulls",
        "get_pull", "list_releases", "get_latest_release", "list_commits", "get_user",
        "search_repositories", "search_issues", "get_readme", "create_issue",
        "add_issue_comment",
    } <= callables  # fmt: skip
    skills = {skill["name"]: skill for skill in await session.list_skills()}
    assert set(SKILLS) <= set(skills)
    for name in SKILLS:
        assert skills[name]["package"] == "github"
        assert skills[name]["description"]
    assert skills["open_issues"]["params"] == {
        "owner": "string", "repo": "string", "limit": "integer", "labels": "string",
    }  # fmt: skip
    found = await session.search_skills("open issues of a repository", limit=1)
    assert found[0]["name"] == "open_issues"


async def test_a_workspace_yaml_enables_the_package(tmp_path: Path, github_api: StandIn) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "workspace.yaml").write_text("packages: [github]\n", encoding="utf-8")
    async with Session.from_base(workspace, executor=InProcessExecutor()) as session:
        stars = await value(session, 'skills.repo_stars(owner="octo", repo="widgets")')
    assert stars == REPOS["octo/widgets"]["stargazers_count"]


# --- tools.github from agent code ------------------------------------------------------


async def test_get_repo_returns_githubs_json_and_sends_the_hosts_token(
    session: Session, github_api: StandIn
) -> None:
    repo = await value(session, 'tools.github.get_repo(owner="octo", repo="widgets")')
    assert repo == repo_json("octo/widgets")
    [seen] = github_api.seen
    assert (seen.method, seen.raw_path) == ("GET", "/repos/octo/widgets")
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert seen.headers["accept"] == "application/vnd.github+json"
    assert seen.headers["x-github-api-version"] == "2022-11-28"


async def test_query_parameters_reach_github(session: Session, github_api: StandIn) -> None:
    page = await value(
        session,
        'tools.github.list_issues(owner="octo", repo="widgets", state="open", labels="bug",'
        " per_page=5, page=2)",
    )
    assert page == all_issues("octo/widgets", "bug")[5:10]
    assert github_api.seen[-1].query == {
        "state": ["open"], "labels": ["bug"], "per_page": ["5"], "page": ["2"],
    }  # fmt: skip


async def test_a_404_is_a_tool_failed_error_with_the_status_and_no_token(
    session: Session, github_api: StandIn
) -> None:
    caught = await value(
        session,
        "from py_code_mode.errors import ToolFailedError\n"
        "try:\n"
        '    tools.github.get_repo(owner="octo", repo="missing")\n'
        "except ToolFailedError as exc:\n"
        "    caught = str(exc)\n"
        "caught",
    )
    assert "HTTP 404" in caught and "Not Found" in caught
    assert "/repos/octo/missing" in caught
    # The stand-in echoed the Authorization header it got; the host redacted it.
    assert github_api.seen[-1].headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in caught and "Bearer ***" in caught
    uncaught = await failure(session, 'tools.github.get_user(username="nobody")')
    assert uncaught.error_type == "ToolFailedError"
    assert uncaught.error is not None and "HTTP 404" in uncaught.error


async def test_without_a_token_calls_fail_naming_it_and_the_session_goes_on(
    session: Session, github_api: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await value(session, "kept = 41\nkept") == 41
    monkeypatch.delenv("GITHUB_TOKEN")
    for code in (
        'tools.github.get_repo(owner="octo", repo="widgets")',
        'skills.repo_stars(owner="octo", repo="widgets")',
    ):
        result = await failure(session, code)
        assert result.error_type == "ToolFailedError"
        assert result.error is not None and "GITHUB_TOKEN" in result.error
    assert github_api.seen == []  # nothing was sent without the token
    assert await value(session, "kept + 1") == 42
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    stars = await value(session, 'skills.repo_stars(owner="octo", repo="widgets")')
    assert stars == REPOS["octo/widgets"]["stargazers_count"]


@pytest.mark.parametrize(
    ("owner", "raw_segment"),
    [
        ("../../x", "..%2F..%2Fx"),
        ("a/b", "a%2Fb"),
        ("x?admin=1#y", "x%3Fadmin%3D1%23y"),
    ],
)
async def test_a_path_parameter_stays_one_encoded_segment(
    session: Session, github_api: StandIn, owner: str, raw_segment: str
) -> None:
    result = await failure(session, f"tools.github.get_repo(owner={owner!r}, repo='widgets')")
    assert result.error is not None and "HTTP 404" in result.error
    [seen] = github_api.seen
    assert seen.raw_path == f"/repos/{raw_segment}/widgets"
    assert seen.query == {}


async def test_a_dot_segment_is_refused_before_anything_is_sent(
    session: Session, github_api: StandIn
) -> None:
    result = await failure(session, 'tools.github.get_repo(owner="..", repo="widgets")')
    assert result.error_type == "ToolArgumentError"
    assert github_api.seen == []


# --- the skills ------------------------------------------------------------------------


@pytest.mark.parametrize("repo", ["octo/widgets", "octo/bare"])
async def test_repo_stars(session: Session, github_api: StandIn, repo: str) -> None:
    owner, name = repo.split("/")
    stars = await value(session, f"skills.repo_stars(owner={owner!r}, repo={name!r})")
    assert stars == REPOS[repo]["stargazers_count"]
    assert [s.raw_path for s in github_api.seen] == [f"/repos/{repo}"]


async def test_open_issues_leaves_out_pull_requests_and_pages_until_the_limit(
    session: Session, github_api: StandIn
) -> None:
    issues = await value(session, 'skills.open_issues(owner="octo", repo="widgets", limit=150)')
    only_issues = [i for i in all_issues("octo/widgets") if "pull_request" not in i]
    assert issues == [expected_issue(item) for item in only_issues[:150]]
    # 100 items a page, a third of them pull requests: the 150th issue is on page 3.
    assert github_api.issue_pages("octo/widgets") == [1, 2, 3]
    assert all(s.query["per_page"] == ["100"] for s in github_api.seen)
    assert all(s.query["state"] == ["open"] for s in github_api.seen)
    assert all("labels" not in s.query for s in github_api.seen)


async def test_open_issues_stops_when_one_page_is_enough(
    session: Session, github_api: StandIn
) -> None:
    issues = await value(session, 'skills.open_issues(owner="octo", repo="widgets")')
    expected = [i for i in all_issues("octo/widgets") if "pull_request" not in i][:30]
    assert issues == [expected_issue(item) for item in expected]
    assert github_api.issue_pages("octo/widgets") == [1]


@pytest.mark.parametrize(
    ("repo", "pages"),
    [
        ("octo/exact", [1, 2, 3]),  # two full pages, then an empty one
        ("octo/widgets", [1, 2, 3]),  # two full pages, then a short last one
        ("octo/empty", [1]),
    ],
)
async def test_open_issues_stops_when_the_issues_run_out(
    session: Session, github_api: StandIn, repo: str, pages: list[int]
) -> None:
    owner, name = repo.split("/")
    issues = await value(
        session, f"skills.open_issues(owner={owner!r}, repo={name!r}, limit=10_000)"
    )
    expected = [expected_issue(i) for i in all_issues(repo) if "pull_request" not in i]
    assert issues == expected
    assert github_api.issue_pages(repo) == pages


async def test_open_issues_passes_labels_on(session: Session, github_api: StandIn) -> None:
    issues = await value(
        session, 'skills.open_issues(owner="octo", repo="widgets", limit=5, labels="bug,ui")'
    )
    expected = [i for i in all_issues("octo/widgets", "bug,ui") if "pull_request" not in i]
    assert issues == [expected_issue(item) for item in expected[:5]]
    assert all(set(i["labels"]) == {"bug", "ui"} for i in issues)
    assert {tuple(s.query["labels"]) for s in github_api.seen} == {("bug,ui",)}


@pytest.mark.parametrize("limit", ["0", "-3", "True", "'10'"])
async def test_open_issues_refuses_a_bad_limit(
    session: Session, github_api: StandIn, limit: str
) -> None:
    result = await failure(
        session, f'skills.open_issues(owner="octo", repo="widgets", limit={limit})'
    )
    assert result.error_type == "ValueError"
    assert result.error is not None and "limit" in result.error
    assert github_api.seen == []


async def test_repo_summary_with_a_latest_release(session: Session, github_api: StandIn) -> None:
    summary = await value(session, 'skills.repo_summary(owner="octo", repo="widgets")')
    data = REPOS["octo/widgets"]
    assert summary == {
        "full_name": "octo/widgets",
        "description": data["description"],
        "stars": data["stargazers_count"],
        "forks": data["forks_count"],
        "open_issues_and_pulls": data["open_issues_count"],
        "default_branch": data["default_branch"],
        "language": data["language"],
        "topics": data["topics"],
        "license": data["license"]["spdx_id"],
        "archived": data["archived"],
        "pushed_at": data["pushed_at"],
        "url": "https://github.com/octo/widgets",
        "latest_release": LATEST_RELEASE["octo/widgets"],
    }
    assert [s.raw_path for s in github_api.seen] == [
        "/repos/octo/widgets", "/repos/octo/widgets/releases/latest",
    ]  # fmt: skip


async def test_repo_summary_without_a_release(session: Session) -> None:
    summary = await value(session, 'skills.repo_summary(owner="octo", repo="bare")')
    assert summary["latest_release"] is None
    assert summary["stars"] == REPOS["octo/bare"]["stargazers_count"]
    assert summary["license"] is None and summary["archived"] is True


async def test_repo_summary_does_not_hide_other_failures(session: Session) -> None:
    result = await failure(session, 'skills.repo_summary(owner="octo", repo="flaky")')
    assert result.error_type == "ToolFailedError"
    assert result.error is not None and "HTTP 500" in result.error


async def test_readme_text_decodes_the_readme(session: Session, github_api: StandIn) -> None:
    text = await value(session, 'skills.readme_text(owner="octo", repo="widgets")')
    assert text == f"{README}ref=trunk\n"
    tagged = await value(session, 'skills.readme_text(owner="octo", repo="widgets", ref="v1")')
    assert tagged == f"{README}ref=v1\n"
    assert [s.query for s in github_api.seen] == [{}, {"ref": ["v1"]}]


async def test_the_skills_run_in_a_worker_process(
    tmp_path: Path, github_api: StandIn, executor_kind: str
) -> None:
    """Skills import py_code_mode.errors and call tools from the worker each executor runs."""
    with anyio.fail_after(90):
        async with Session.from_base(
            tmp_path / "ws", executor=make_executor(executor_kind), packages=["github"]
        ) as session:
            summary = await value(session, 'skills.repo_summary(owner="octo", repo="bare")')
            issues = await value(
                session, 'skills.open_issues(owner="octo", repo="widgets", limit=3)'
            )
    assert summary["latest_release"] is None
    assert summary["stars"] == REPOS["octo/bare"]["stargazers_count"]
    expected = [i for i in all_issues("octo/widgets") if "pull_request" not in i][:3]
    assert issues == [expected_issue(item) for item in expected]
