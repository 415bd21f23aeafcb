"""A GitHub repository at a glance: stars, forks, open issues, language, latest release."""

from py_code_mode.errors import ToolFailedError


def run(owner: str, repo: str) -> dict[str, object]:
    """Key facts about `owner`/`repo`, with its latest release's tag (None if it has none).

    `open_issues_and_pulls` is GitHub's open_issues_count, which counts open pull requests
    too; skills.open_issues lists the issues alone.
    """
    if not owner or not repo:
        raise ValueError("give both owner and repo, e.g. owner='python', repo='cpython'")
    data = tools.github.get_repo(owner=owner, repo=repo)
    try:
        latest = tools.github.get_latest_release(owner=owner, repo=repo)["tag_name"]
    except ToolFailedError as exc:
        if "HTTP 404" not in str(exc):  # 404: no published release; anything else is real
            raise
        latest = None
    return {
        "full_name": data.get("full_name"),
        "description": data.get("description"),
        "stars": data.get("stargazers_count"),
        "forks": data.get("forks_count"),
        "open_issues_and_pulls": data.get("open_issues_count"),
        "default_branch": data.get("default_branch"),
        "language": data.get("language"),
        "topics": data.get("topics") or [],
        "license": (data.get("license") or {}).get("spdx_id"),
        "archived": data.get("archived", False),
        "pushed_at": data.get("pushed_at"),
        "url": data.get("html_url"),
        "latest_release": latest,
    }
