"""The last gate before a page is written: nothing runs, nothing loads from anywhere.

Escaping at the source (jinlin_analysis.display) keeps submitted text inert; this check makes
sure that no page ever ships with script, event handlers, frames or a URL that would reach
the network, whatever a notebook or a library put in its outputs. A page that fails it fails
the run: a loud error beats a report that phones home on an intranet or runs a stray script.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlparse

from jinlin_analysis.errors import JinlinError

FORBIDDEN_TAGS = frozenset(
    {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "link", "form"}
)
URL_ATTRIBUTES = frozenset(
    {"src", "href", "xlink:href", "action", "formaction", "poster", "data", "srcset", "background"}
)
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]*)|@import\s+['\"]?([^'\";]*)", re.IGNORECASE)


class UnsafePageError(JinlinError):
    def __init__(self, page: str, problems: list[str]):
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:20])
        super().__init__(f"page {page} would run script or load from the network:\n{shown}")


def allowed_url(url: str) -> bool:
    """In-page anchors, data: URIs (not HTML), and relative links to files of the report."""
    url = url.strip()
    if not url or url.startswith("#"):
        return True
    if url.lower().startswith("data:"):
        return not url.lower().startswith(("data:text/html", "data:application/xhtml"))
    parsed = urlparse(url)
    return not (parsed.scheme or parsed.netloc or url.startswith(("/", "\\")) or ".." in url)


def page_problems(page: str) -> list[str]:
    """Everything in `page` that could run script or fetch from a URL; [] for a safe page."""
    checker = _Checker()
    checker.feed(page)
    checker.close()
    return checker.problems


def check_page(page: str, name: str) -> None:
    problems = page_problems(page)
    if problems:
        raise UnsafePageError(name, problems)


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        where = f"line {self.getpos()[0]}: <{tag}>"
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"{where} is not allowed in a report page")
        if tag == "meta" and any(k == "http-equiv" for k, _ in attrs):
            self.problems.append(f"{where} with http-equiv (could redirect or refresh)")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"{where} has an event handler {name}=")
            elif name in URL_ATTRIBUTES and not allowed_url(value):
                self.problems.append(f"{where} {name}={value[:80]!r} points outside the report")
            elif name == "style":
                self._check_css(value, where)
        self._in_style = tag == "style"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._check_css(data, f"line {self.getpos()[0]}: <style>")

    def _check_css(self, css: str, where: str) -> None:
        for match in _CSS_URL.finditer(css):
            url = match[1] if match[1] is not None else match[2]
            if not allowed_url(url) or match[2] is not None:
                self.problems.append(f"{where} CSS loads {url[:80]!r}")
