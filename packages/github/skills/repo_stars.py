"""How many stars a GitHub repository has."""


def run(owner: str, repo: str) -> int:
    """The stargazers_count of `owner`/`repo` (GitHub's star count)."""
    if not owner or not repo:
        raise ValueError("give both owner and repo, e.g. owner='python', repo='cpython'")
    data = tools.github.get_repo(owner=owner, repo=repo)
    return int(data["stargazers_count"])
