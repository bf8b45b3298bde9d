"""Render outputs: an edition as HTML e-mail, text and Markdown, personalised per recipient."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import css_inline
import jinja2
from markupsafe import Markup

from digest.config import Config
from digest.edition.events import lead_event, subject_line, top_events, trimmed
from digest.edition.headline import within_budget
from digest.errors import DigestError
from digest.files import write_atomic
from digest.model import Edition
from digest.render import markup
from digest.render.environment import (
    DAY_MONTH,
    MARKERS,
    N_,
    RenderError,
    default_environment,
    events_by_section,
    formatter_of,
    make_environment,
    section_title_of,
)
from digest.render.i18n import Formatter, translations
from digest.render.kinds import template_of
from digest.subscribers import greeting_name

_MARKER = re.compile(f"{markup.MARK_OPEN}({'|'.join(MARKERS)}){markup.MARK_CLOSE}")


_EXTRA_BLANKS = re.compile(r"\n{3,}")


_TRAILING = re.compile(r"[ \t]+\n")


_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False, keep_at_rules=True)


GREETINGS = ((12, N_("Good morning")), (18, N_("Good afternoon")), (24, N_("Good evening")))


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
    context = _body_context(edition, fmt, site_title, base_url, archive_url)
    return context | {"summary": _summary(edition, fmt), **_front(edition, fmt, context["title"])}


def _body_context(
    edition: Edition, fmt: Formatter, site_title: str, base_url: str, archive_url: str | None
) -> dict[str, Any]:
    """What the sections need: :func:`_context` without the front matter (the
    summary, "In het kort", the contents line, subject and preheader)."""
    issued = edition.issued_at
    greeting = next(text for limit, text in GREETINGS if issued.hour < limit)
    return {
        "edition": edition,
        "issued": issued,
        "title": shown_title(edition, fmt),
        "late_note": late_note(edition, fmt),
        "site_title": markup.one_line(site_title),
        "base_url": markup.safe_url(base_url),
        "archive_url": markup.safe_url(archive_url),
        "greeting": fmt.gettext(greeting),
        "note_html": Markup(markup.note_to_html(edition.note_markdown))
        if edition.note_markdown
        else None,
    }


PREHEADER_BUDGET = 100


def _front(edition: Edition, fmt: Formatter, title: str) -> dict[str, Any]:
    """ "In het kort", the contents line, the subject naming the lead event and
    the preheader beside it (the next leading headlines; empty leaves it to the
    template, which counts the sections' briefs)."""
    by_section = events_by_section(edition)
    top = top_events(by_section)
    contents = [
        (s.key, section_title_of(s, fmt), fmt.number(len(s.briefs))) for s in edition.sections
    ]
    rest = " · ".join(e.headline for e in top[1:3])
    also = fmt.gettext("Also: %(headlines)s")
    preheader = also % {"headlines": within_budget(rest, PREHEADER_BUDGET)} if rest else ""
    return {
        "in_brief": top,
        "contents": contents,
        "contents_text": " · ".join(f"{name}\u00a0{count}" for _, name, count in contents),
        # lead_event is the top event when there is one: not ranked twice
        "subject_line": subject_line(title, top[0] if top else lead_event(by_section)),
        "preheader_line": preheader,
    }


def shown_title(edition: Edition, fmt: Formatter) -> str:
    """``Ochtendeditie``, or ``Ochtendeditie, later verzonden`` when it went out late, so
    that a morning edition sent at 19:57 does not pass for one of the morning."""
    if not edition.late:
        return edition.title
    return fmt.gettext("%(title)s, sent later") % {"title": edition.title}


def late_note(edition: Edition, fmt: Formatter) -> str | None:
    """``Gepland voor 07:00, verzonden om 19:57.`` for an edition built late."""
    if not edition.late:
        return None
    zone, planned, issued = edition.zone, edition.local_slot, edition.issued_at
    when = fmt.time(planned, "short", zone)
    if planned.date() != issued.date():
        when = f"{fmt.date(planned, DAY_MONTH, zone)}, {when}"
    sent = fmt.time(issued, "short", zone)
    return fmt.gettext("Planned for %(time)s, sent at %(sent)s.") % {"time": when, "sent": sent}


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
    fmt = formatter_of(env)
    if fmt.locale.language != locale:
        raise RenderError(f"environment is for locale {fmt.locale}, not {locale!r}")
    # A reader sees each story once, even one recorded in two regions' sections.
    once = edition.for_regions(None)
    context = _context(markup.clean_edition(once), fmt, site_title, base_url, archive_url)
    # An event's other briefs by their first sentence, the rest a link away (the archive).
    context["compact"] = context["archive_url"] is not None
    context["subject"] = markup.header_line(_render(env, "email/subject.txt", context))
    context["preheader"] = markup.header_line(_render(env, "email/preheader.txt", context))
    html = _fitting_html(env, context, template_of(once, "html"))
    return RenderedEdition(
        edition_id=edition.id,
        locale=locale,
        subject=context["subject"],
        preheader=context["preheader"],
        html=html,
        text=_tidy(_render(env, template_of(once, "text"), context)),
        markdown=_tidy(_render(env, template_of(once, "markdown"), context)),
    )


GMAIL_LIMIT = 102 * 1024  # bytes of HTML past which Gmail clips a message
HTML_BUDGET = GMAIL_LIMIT - 2 * 1024  # room for the recipient's name and signed links


def _fitting_html(env: jinja2.Environment, context: dict[str, Any], template: str) -> str:
    """The HTML mail, within :data:`HTML_BUDGET` bytes: when the whole edition
    is larger, each section's lowest-ranked entries give way to one
    "+N meer in het archief" line (text and Markdown follow, so that all
    parts show the same entries)."""
    full = context["shown_events"] = events_by_section(context["edition"])
    context["hidden"] = {}
    html = _charset_first(_INLINER.inline(_render(env, template, context)))
    total = sum(len(e.briefs) for bands in full.values() for _, es in bands for e in es)
    keep = total
    for _ in range(8):  # each round aims below the budget with the size per brief just seen
        size = len(html.encode("utf-8"))
        if size <= HTML_BUDGET or keep <= len(full):
            break
        keep = min(keep - 1, int(keep * HTML_BUDGET / size * 0.97))
        context["shown_events"], context["hidden"] = trimmed(full, keep, context["in_brief"])
        html = _charset_first(_INLINER.inline(_render(env, template, context)))
    return html


def render_edition_body(
    edition: Edition, *, locale: str = "nl", env: jinja2.Environment | None = None
) -> str:
    """The sections as an HTML fragment (classes, no inlined CSS) from the same
    partials the mail uses, for the archive; style it with partials/edition.css."""
    env = env or default_environment(locale)
    fmt = formatter_of(env)
    context = _body_context(markup.clean_edition(edition), fmt, "", "", None)
    return _render(env, template_of(edition, "body"), context)


def personalise(
    rendered: RenderedEdition,
    *,
    name: str | None,
    unsubscribe_url: str,
    preferences_url: str,
    first_name: str | None = None,
) -> RenderedEdition:
    """``rendered`` for one recipient: greeting name and footer links filled in,
    each value escaped for the part it goes into. Cheap: one regex pass per part.
    The greeting names ``first_name``, else the first word of ``name``
    (:func:`digest.subscribers.greeting_name`)."""
    urls = {"unsubscribe_url": unsubscribe_url, "preferences_url": preferences_url}
    for key, url in urls.items():
        if markup.safe_url(url) is None:
            raise RenderError(f"{key} {url!r} must be an http(s) or mailto URL")
    person = greeting_name(first_name, name)
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


SUFFIXES: tuple[str, ...] = ("html", "txt", "md")


def render_for_config(
    edition: Edition, config: Config, locale: str, archive_url: str | None = None
) -> RenderedEdition:
    """``edition`` rendered with the configured templates and site settings."""
    folders = [config.resolve(config.site.templates)] if config.site.templates else None
    env = make_environment(folders, locale)
    return render_edition(
        edition,
        locale=locale,
        site_title=config.site.title,
        base_url=config.site.base_url,
        archive_url=archive_url,
        env=env,
    )


def output_stem(edition: Edition) -> str:
    """``2026-01-21-ochtend``: the local date of the slot and the edition name."""
    return f"{edition.local_slot:%Y-%m-%d}-{edition.name}"


def write_outputs(rendered: RenderedEdition, stem: str, out_dir: Path, base_url: str) -> list[Path]:
    """Write ``stem.html/.txt/.md`` atomically, links filled in as a preview
    (no name; unsubscribe and preferences point at the site)."""
    preview = personalise(rendered, name=None, unsubscribe_url=base_url, preferences_url=base_url)
    contents = dict(zip(SUFFIXES, (preview.html, preview.text, preview.markdown), strict=True))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        return [_write(out_dir / f"{stem}.{suffix}", body) for suffix, body in contents.items()]
    except OSError as exc:
        raise DigestError(
            f"{out_dir}: cannot write the edition files ({exc}); check --out"
        ) from exc


def _write(path: Path, body: str) -> Path:
    write_atomic(path, body.encode("utf-8"))
    return path
