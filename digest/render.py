"""Rendering: one edition in, HTML e-mail, plain text and Markdown out.

:func:`make_environment` is the one place a Jinja environment is built.
Rendering is pure: the edition slot, never the clock, is "now" for relative
times. Mail is rendered once per segment with personalisation *markers*
(private-use characters that content can never contain, see
:mod:`digest.markup`); :func:`personalise` fills them per recipient.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import css_inline
import jinja2
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from digest import markup
from digest.config import PROJECT_ROOT
from digest.edition import Edition, EditionBrief, EditionSection
from digest.errors import DigestError
from digest.i18n import Formatter, check_locale, translations
from digest.model import Story

PACKAGE_TEMPLATES = PROJECT_ROOT / "templates"
MARKERS: tuple[str, ...] = ("name", "unsubscribe_url", "preferences_url")
_MARKER = re.compile(f"{markup.MARK_OPEN}({'|'.join(MARKERS)}){markup.MARK_CLOSE}")
_EXTRA_BLANKS = re.compile(r"\n{3,}")
_TRAILING = re.compile(r"[ \t]+\n")
DAY_MONTH = "EEEE d MMMM"  # "dinsdag 20 januari": a date within the last days
_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False, keep_at_rules=True)


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


OTHER_TITLE = N_("Other")
BAND_TITLES: Mapping[str, str] = {
    "lead": N_("Featured"),
    "hour": N_("Past hour"),
    "today": N_("Earlier today"),
    "yesterday": N_("Yesterday"),
    "earlier": N_("Earlier"),
    "undated": N_("Time unknown"),
}
GREETINGS = ((12, N_("Good morning")), (18, N_("Good afternoon")), (24, N_("Good evening")))


class RenderError(DigestError):
    """A template is missing or broken, or a render argument is unusable."""


@dataclass(frozen=True, slots=True)
class RenderedEdition:
    """Every part of one rendered edition; ``html``/``text``/``markdown`` hold
    personalisation markers until :func:`personalise` fills them."""

    edition_id: str
    locale: str
    subject: str
    preheader: str
    html: str
    text: str
    markdown: str


def marker(name: str) -> Markup:
    """The placeholder :func:`personalise` replaces (``name``, ``unsubscribe_url``...)."""
    if name not in MARKERS:
        raise RenderError(f"template asks for marker {name!r}; known: {', '.join(MARKERS)}")
    return Markup(f"{markup.MARK_OPEN}{name}{markup.MARK_CLOSE}")


def make_environment(
    template_dirs: Sequence[Path] | None = None, locale: str = "nl"
) -> jinja2.Environment:
    """A Jinja environment for ``locale``: the given folders first (user
    overrides, e.g. ``[site] templates``), then digest's own templates.

    Autoescape for .html/.xml, StrictUndefined, ``jinja2.ext.i18n`` with the
    compiled catalog, and Babel filters bound to ``locale``.
    """
    check_locale(locale)
    folders = [Path(d) for d in template_dirs or ()]
    for folder in folders:
        if not folder.is_dir():
            raise RenderError(f"template folder {folder} does not exist; fix [site] templates")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*folders, PACKAGE_TEMPLATES]),
        autoescape=jinja2.select_autoescape(("html", "htm", "xml"), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # templates are fixed for a build; no stat() per include
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    formatter = Formatter(locale)
    env.extend(digest_formatter=formatter)
    env.filters.update(_filters(formatter))
    env.globals.update(_globals(formatter, locale))
    return env


def _zone(ctx: Context) -> Any:
    edition = ctx.get("edition")
    return edition.zone if isinstance(edition, Edition) else None


def _filters(fmt: Formatter) -> dict[str, Callable[..., Any]]:
    return {
        "format_date": pass_context(lambda c, v, f="full": fmt.date(v, f, _zone(c))),
        "format_time": pass_context(lambda c, v, f="short": fmt.time(v, f, _zone(c))),
        "format_datetime": pass_context(lambda c, v, f="medium": fmt.date_time(v, f, _zone(c))),
        "relative_time": fmt.relative,
        "format_number": fmt.number,
        "paragraphs": markup.paragraphs,
        "one_line": markup.one_line,
        "md": markup.md_paragraphs,
        "md_inline": markup.md_inline,
        "md_url": markup.md_url,
        "wrap_text": markup.wrap,
        "wrap_lines": markup.wrap_lines,
        "html_block": markup.html_block,
        "safe_url": markup.safe_url,
    }


def _globals(fmt: Formatter, locale: str) -> dict[str, Any]:
    gettext = fmt.gettext

    def section_title(section: EditionSection) -> str:
        return section.title if section.region_id else gettext(OTHER_TITLE)

    @pass_context
    def brief_when(ctx: Context, brief: EditionBrief) -> str:
        return _when(fmt, brief, ctx["edition"])

    return {
        "locale": locale,
        "marker": marker,
        "band_title": lambda band: gettext(BAND_TITLES[band]),
        "section_title": section_title,
        "brief_when": brief_when,
        "dateline": _dateline,
    }


def _dateline(story: Story) -> str:
    """``WASHINGTON (ANP/AFP)``, ``VLISSINGEN``, or "" for a brief without one."""
    if not story.dateline:
        return ""
    agencies = "/".join(story.agencies)
    return f"{story.dateline} ({agencies})" if agencies else story.dateline


def _when(fmt: Formatter, brief: EditionBrief, edition: Edition) -> str:
    """The brief's time as readers want it for its band (relative to the end
    of the window, which is the slot unless the edition was built late)."""
    published = brief.story.published_at
    if published is None:
        return ""
    zone = edition.zone
    clock = fmt.time(published, "short", zone)
    if brief.band in ("hour", "today"):
        return f"{clock} · {fmt.relative(published, edition.window_end)}"
    if brief.band == "yesterday":
        return clock
    return f"{fmt.date(published, DAY_MONTH, zone)}, {clock}"


def _formatter(env: jinja2.Environment) -> Formatter:
    owner = getattr(env, "digest_formatter", None)
    if not isinstance(owner, Formatter):
        raise RenderError("environment was not built by digest.render.make_environment")
    return owner


@lru_cache(maxsize=8)
def default_environment(locale: str) -> jinja2.Environment:
    """A cached environment over digest's own templates for ``locale``."""
    return make_environment(None, locale)


def _render(env: jinja2.Environment, name: str, context: Mapping[str, Any]) -> str:
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"template {exc.filename or name}:{exc.lineno}: {exc.message}") from exc
    except jinja2.TemplateError as exc:
        raise RenderError(f"template {name}: {exc}; check the template's variables") from exc


def _charset_first(document: str) -> str:
    """Put ``<meta charset>`` first in <head> again (css-inline puts kept @media rules there)."""
    meta = '<meta charset="utf-8">'
    if meta not in document or "<head>" not in document:
        return document
    return document.replace(meta, "", 1).replace("<head>", "<head>" + meta, 1)


def _tidy(text: str) -> str:
    """Plain text and Markdown: no trailing blanks, at most one blank line, one final newline."""
    text = _TRAILING.sub("\n", text.replace("\r", ""))
    return _EXTRA_BLANKS.sub("\n\n", text).strip("\n") + "\n"


def _context(
    edition: Edition, fmt: Formatter, site_title: str, base_url: str, archive_url: str | None
) -> dict[str, Any]:
    local_hour = edition.local_slot.hour
    greeting = next(text for limit, text in GREETINGS if local_hour < limit)
    return {
        "edition": edition,
        "site_title": markup.one_line(site_title),
        "base_url": markup.safe_url(base_url),
        "archive_url": markup.safe_url(archive_url),
        "greeting": fmt.gettext(greeting),
        "note_html": Markup(markup.note_to_html(edition.note_markdown))
        if edition.note_markdown
        else None,
        "summary": _summary(edition, fmt),
    }


def _summary(edition: Edition, fmt: Formatter) -> str:
    """``9 nieuwe berichten, 1 bijgewerkt sinds dinsdag 20 januari, 07:00.``"""
    catalog = translations(str(fmt.locale))
    new, updated = edition.new_count, edition.story_count - edition.new_count
    text = catalog.ngettext("%(num)s new brief", "%(num)s new briefs", new) % {
        "num": fmt.number(new)
    }
    if updated:
        text += catalog.ngettext(", %(num)s updated", ", %(num)s updated", updated) % {
            "num": fmt.number(updated)
        }
    start, zone = edition.window_start, edition.zone
    since = f"{fmt.date(start, DAY_MONTH, zone)}, {fmt.time(start, 'short', zone)}"
    return text + " " + catalog.gettext("since %(time)s") % {"time": since} + "."


def render_edition(
    edition: Edition,
    *,
    locale: str = "nl",
    site_title: str,
    base_url: str,
    archive_url: str | None = None,
    env: jinja2.Environment | None = None,
) -> RenderedEdition:
    """Subject, preheader, HTML mail (CSS inlined), plain text and Markdown of
    ``edition``, with personalisation markers left for :func:`personalise`."""
    env = env or default_environment(locale)
    fmt = _formatter(env)
    if fmt.locale.language != locale:
        raise RenderError(f"environment is for locale {fmt.locale}, not {locale!r}")
    context = _context(markup.clean_edition(edition), fmt, site_title, base_url, archive_url)
    context["subject"] = markup.one_line(_render(env, "email/subject.txt", context))
    context["preheader"] = markup.one_line(_render(env, "email/preheader.txt", context))
    raw_html = _render(env, "email/edition.html", context)
    return RenderedEdition(
        edition_id=edition.id,
        locale=locale,
        subject=context["subject"],
        preheader=context["preheader"],
        html=_charset_first(_INLINER.inline(raw_html)),
        text=_tidy(_render(env, "text/edition.txt", context)),
        markdown=_tidy(_render(env, "markdown/edition.md", context)),
    )


def render_edition_body(
    edition: Edition, *, locale: str = "nl", env: jinja2.Environment | None = None
) -> str:
    """The sections as an HTML fragment (classes, no inlined CSS) from the same
    partials the mail uses, for the archive; style it with partials/edition.css."""
    env = env or default_environment(locale)
    fmt = _formatter(env)
    context = _context(markup.clean_edition(edition), fmt, "", "", None)
    return _render(env, "partials/edition_body.html", context)


def personalise(
    rendered: RenderedEdition,
    *,
    name: str | None,
    unsubscribe_url: str,
    preferences_url: str,
) -> RenderedEdition:
    """``rendered`` for one recipient: greeting name and footer links filled in,
    each value escaped for the part it goes into. Cheap: one regex pass per part."""
    urls = {"unsubscribe_url": unsubscribe_url, "preferences_url": preferences_url}
    for key, url in urls.items():
        if markup.safe_url(url) is None:
            raise RenderError(f"{key} {url!r} must be an http(s) or mailto URL")
    person = markup.one_line(name or "")
    plain = {
        "name": f" {person}" if person else "",
        **{k: markup.one_line(v) for k, v in urls.items()},
    }
    html = {k: html_lib.escape(v, quote=True) for k, v in plain.items()}
    md = {"name": markup.md_escape(plain["name"])} | {k: markup.md_url(v) for k, v in urls.items()}
    return replace(
        rendered,
        html=_fill(rendered.html, html),
        text=_fill(rendered.text, plain),
        markdown=_fill(rendered.markdown, md),
    )


def _fill(text: str, values: Mapping[str, str]) -> str:
    return _MARKER.sub(lambda m: values[m.group(1)], text)
