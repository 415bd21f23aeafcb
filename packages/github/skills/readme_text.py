"""The README of a GitHub repository, as text."""

import base64


def run(owner: str, repo: str, ref: str = "") -> str:
    """The README's text at `ref` (a branch, tag or SHA; the default branch if empty).

    The API sends it base64-encoded; this decodes it (as UTF-8, undecodable bytes replaced).
    """
    if not owner or not repo:
        raise ValueError("give both owner and repo, e.g. owner='python', repo='cpython'")
    data = tools.github.get_readme(owner=owner, repo=repo, ref=ref or None)
    content = data.get("content") or ""
    if data.get("encoding", "base64") != "base64":
        return str(content)
    return base64.b64decode(content).decode("utf-8", errors="replace")
