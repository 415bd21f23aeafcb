"""Open issues of a GitHub repository (pull requests left out), newest first, as data."""

_PAGE_SIZE = 100  # GitHub's largest page


def run(owner: str, repo: str, limit: int = 30, labels: str = "") -> list[dict[str, object]]:
    """At most `limit` open issues: number, title, author, labels, comments, created_at, url.

    `labels` is a comma-separated list of label names ("bug,ui"); an issue must have all of
    them. GitHub's issues endpoint lists pull requests too; they are skipped, and pages are
    fetched until `limit` issues are found or the issues run out.
    """
    if not owner or not repo:
        raise ValueError("give both owner and repo, e.g. owner='python', repo='cpython'")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive integer, got {limit!r}")
    if not isinstance(labels, str):
        raise ValueError(f"labels is a comma-separated string such as 'bug,ui', got {labels!r}")
    found: list[dict[str, object]] = []
    page = 1
    while len(found) < limit:
        batch = tools.github.list_issues(
            owner=owner,
            repo=repo,
            state="open",
            labels=labels or None,
            per_page=_PAGE_SIZE,
            page=page,
        )
        if not batch:
            break
        for item in batch:
            if "pull_request" in item:
                continue
            found.append(
                {
                    "number": item["number"],
                    "title": item["title"],
                    "author": (item.get("user") or {}).get("login"),
                    "labels": [label["name"] for label in item.get("labels") or []],
                    "comments": item.get("comments", 0),
                    "created_at": item.get("created_at"),
                    "url": item.get("html_url"),
                }
            )
            if len(found) == limit:
                break
        if len(batch) < _PAGE_SIZE:  # a short page is the last one
            break
        page += 1
    return found
