"""The latest commits of a git repository, as data: hash, author, date and subject."""


def run(repo: str, limit: int = 10, revision: str = "HEAD") -> list[dict[str, str]]:
    """Newest first. `repo` is the repository's directory; `revision` a branch, tag or commit."""
    # %x1f (unit separator) between fields and %x1e between commits: neither occurs in names
    # or subjects, so no commit can be split wrongly.
    out = tools.git.log(
        repo=repo,
        revision=revision,
        max_count=limit,
        format="%H%x1f%an%x1f%ae%x1f%aI%x1f%s%x1e",
    )
    commits = []
    for record in out.split("\x1e"):
        fields = record.strip("\n").split("\x1f")
        if len(fields) == 5:
            sha, author, email, date, subject = fields
            commits.append(
                {"sha": sha, "author": author, "email": email, "date": date, "subject": subject}
            )
    return commits
