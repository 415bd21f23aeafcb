"""Who committed to a git repository, with commit counts, most active first."""


def run(repo: str, revision: str = "HEAD", since: str = "") -> list[dict[str, object]]:
    """Authors by number of commits reachable from `revision`, optionally only `since` a date.

    `since` takes what git does: "2 weeks ago", "2024-01-31".
    """
    out = tools.git.log(
        repo=repo,
        revision=revision,
        since=since or None,
        max_count=100000,
        format="%an%x1f%ae",
    )
    counts: dict[tuple[str, str], int] = {}
    for line in out.splitlines():
        name, _, email = line.partition("\x1f")
        if name or email:
            counts[(name, email)] = counts.get((name, email), 0) + 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"name": name, "email": email, "commits": n} for (name, email), n in ranked]
