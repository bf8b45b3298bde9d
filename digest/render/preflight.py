"""Pre-flight checks of a rendered edition, before anyone gets it.

Pure: a rendered edition in, a report out. The HTML is checked as a recipient
would get it (personalised with a long name and long signed links). Hard
failures, which ``digest send`` refuses to send with: HTML past Gmail's
clipping limit, broken links (empty, an unsafe scheme, or ``#anchor`` with no
such id), images without alt text, personalisation markers left unfilled, an
empty subject. A subject longer than the budget is a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from digest.edition.events import SUBJECT_BUDGET
from digest.render import markup
from digest.render.outputs import GMAIL_LIMIT, RenderedEdition, personalise

_SAMPLE_LINK = "https://digest.invalid/" + "t" * 160  # as long as a signed link gets


@dataclass(frozen=True, slots=True)
class Preflight:
    """What the checks found: sizes, and problems as one line each."""

    html_bytes: int
    subject_length: int
    errors: tuple[str, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.errors

    def describe(self) -> str:
        """``pre-flight: html 24.1 KB of 102 KB, subject 69 of 78 characters: ok``"""
        head = (
            f"pre-flight: html {self.html_bytes / 1024:.1f} KB of {GMAIL_LIMIT // 1024} KB, "
            f"subject {self.subject_length} of {SUBJECT_BUDGET} characters"
        )
        lines = [f"{head}: {'ok' if self.ok and not self.warnings else 'see below'}"]
        lines += [f"  error: {e}" for e in self.errors]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.ids: set[str] = set()
        self.images_without_alt = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"] or "")
        if tag == "a" and "href" in values:
            self.hrefs.append(values["href"] or "")
        if tag == "img" and not (values.get("alt") or values.get("role") == "presentation"):
            self.images_without_alt += 1


def preflight(rendered: RenderedEdition) -> Preflight:
    """The checks of ``rendered`` (see the module docstring)."""
    mail = personalise(
        rendered,
        name="Maximiliaan van Oldenbarnevelt-Scheltema",
        unsubscribe_url=_SAMPLE_LINK,
        preferences_url=_SAMPLE_LINK,
    )
    size = len(mail.html.encode("utf-8"))
    errors: list[str] = []
    if size > GMAIL_LIMIT:
        errors.append(
            f"html is {size / 1024:.1f} KB; Gmail clips mail past {GMAIL_LIMIT // 1024} KB"
        )
    parser = _Links()
    parser.feed(mail.html)
    errors += [f"broken link {href!r}" for href in parser.hrefs if _broken(href, parser.ids)]
    if parser.images_without_alt:
        errors.append(f"{parser.images_without_alt} image(s) without alt text")
    for part, body in (("html", mail.html), ("text", mail.text), ("markdown", mail.markdown)):
        if markup.MARK_OPEN in body or markup.MARK_CLOSE in body:
            errors.append(f"unfilled personalisation marker in the {part} part")
    if not rendered.subject.strip():
        errors.append("empty subject")
    warnings = []
    if len(rendered.subject) > SUBJECT_BUDGET:
        warnings.append(
            f"subject is {len(rendered.subject)} characters; phones show about 40, "
            f"the budget is {SUBJECT_BUDGET}"
        )
    return Preflight(size, len(rendered.subject), tuple(errors), tuple(warnings))


def _broken(href: str, ids: set[str]) -> bool:
    if href.startswith("#"):
        return href[1:] not in ids
    return markup.safe_url(href) is None
