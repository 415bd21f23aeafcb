"""Fetch a web page and return its readable text: headings, paragraphs, lists and links."""

import html
import html.parser
import re

_SKIPPED = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object"}
_BLOCKS = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
    "figcaption", "figure", "footer", "form", "header", "hr", "main", "nav", "ol", "p",
    "section", "table", "tr", "ul",
}  # fmt: skip
_PRE_LINE, _PRE_SPACE = "\x01", "\x02"  # stand-ins for what <pre> keeps
_HEADINGS = {"h1": "# ", "h2": "## ", "h3": "### ", "h4": "#### ", "h5": "##### ", "h6": "###### "}


class _Text(html.parser.HTMLParser):
    """HTML to plain text, keeping the shape a reader needs and dropping the rest."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skipping = 0
        self._in_title = False
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag in _HEADINGS:
            self.parts.append("\n\n" + _HEADINGS[tag])
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in ("td", "th"):
            self.parts.append(" | ")
        elif tag == "pre":
            self._pre += 1
            self.parts.append("\n\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n" if tag == "p" else "\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _HEADINGS or tag in ("p", "pre"):
            self.parts.append("\n\n")
            if tag == "pre":
                self._pre = max(0, self._pre - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._skipping:
            return
        if self._pre:  # kept as written: shielded from the tidying in `text`
            self.parts.append(data.replace("\n", _PRE_LINE).replace(" ", _PRE_SPACE))
        else:
            self.parts.append(re.sub(r"\s+", " ", data))

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self.parts).split("\n")]
        joined = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
        joined = re.sub(r"[ \t]{2,}", " ", joined)
        return joined.replace(_PRE_LINE, "\n").replace(_PRE_SPACE, " ")


def _looks_like_html(body: str) -> bool:
    head = body[:2000].lstrip().lower()
    return head.startswith(("<!doctype html", "<html")) or "<body" in head or "<p>" in head


def run(url: str, max_chars: int = 20000) -> str:
    """The page at `url` as readable text, at most `max_chars` characters.

    HTML becomes text with its title, headings (#), list items (-) and paragraphs; scripts,
    styles and markup are dropped. Anything else (JSON, plain text) comes back as it is.
    Only http:// and https:// URLs are fetched, redirects included (curl enforces it).
    """
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        raise ValueError(f"fetch needs an http:// or https:// URL, got {url!r}")
    if not isinstance(max_chars, int) or max_chars < 1:
        raise ValueError(f"max_chars must be a positive integer, got {max_chars!r}")
    body = tools.curl.get(url=url)
    if _looks_like_html(body):
        parser = _Text()
        parser.feed(body)
        parser.close()
        title = " ".join(html.unescape(parser.title).split())
        text = parser.text()
        body = f"# {title}\n\n{text}" if title and not text.startswith(f"# {title}") else text
    if len(body) > max_chars:
        more = len(body) - max_chars
        body = f"{body[:max_chars]}\n\n[... {more} more characters; raise max_chars to see them]"
    return body
