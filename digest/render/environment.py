"""Rendering: one edition in, HTML e-mail, plain text and Markdown out.

:func:`make_environment` is the one place a Jinja environment is built.
Rendering is pure: every time is stated against the edition's own moment
(``07:12``, ``gisteren 21:05``), never against the clock at build time, so
mails and archive pages stay true for as long as they are kept. Mail is
rendered once per segment with personalisation *markers* (private-use
characters that content can never contain, see :mod:`digest.render.markup`);
:func:`personalise` fills them per recipient.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from digest.config import RESOURCES
from digest.edition.events import Event, edition_events
from digest.edition.headline import lead_sentence
from digest.errors import DigestError
from digest.model import Edition, EditionBrief, EditionSection, Story
from digest.render import markup
from digest.render.i18n import Formatter, check_locale, translations
from digest.render.revisions import marked_paragraphs

PACKAGE_TEMPLATES = RESOURCES / "templates"
MARKERS: tuple[str, ...] = ("name", "unsubscribe_url", "preferences_url")
DAY_MONTH = "EEEE d MMMM"  # "dinsdag 20 januari": a date within the last days


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


OTHER_TITLE = N_("Other")
# Band titles name moments, never the reader's clock: "Tussen 06:00 en 07:00",
# "Eerder op dinsdag 20 januari", "Maandag 19 januari", "Vóór maandag 19 januari".
BAND_TITLES: Mapping[str, str] = {
    "lead": N_("Featured"),
    "hour": N_("Between %(start)s and %(end)s"),
    "today": N_("Earlier on %(day)s"),
    "yesterday": "%(day)s",
    "earlier": N_("Before %(day)s"),
    "undated": N_("Time unknown"),
}
SHORT_DAY = "EEE d MMM"  # "ma 19 jan": a brief older than the day before the edition
_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)


class RenderError(DigestError):
    """A template is missing or broken, or a render argument is unusable."""


def marker(name: str) -> Markup:
    """The placeholder :func:`personalise` replaces (``name``, ``unsubscribe_url``...)."""
    if name not in MARKERS:
        raise RenderError(f"template asks for marker {name!r}; known: {', '.join(MARKERS)}")
    return Markup(f"{markup.MARK_OPEN}{name}{markup.MARK_CLOSE}")


_OPTIONS: dict[str, bool] = {
    "trim_blocks": True,
    "lstrip_blocks": True,
    "keep_trailing_newline": True,
    "auto_reload": False,  # templates are fixed for a build; no stat() per include
}


class _TemplateCache(jinja2.FileSystemBytecodeCache):
    """A cache that cannot write (a full disk, a read-only temp folder) is no
    cache: the template is compiled as without one, never an error."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


@lru_cache(maxsize=1)
def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between processes (compiling digest's two dozen
    templates is a fifth of a ``digest run``), the way Python keeps .pyc files.

    Jinja's own per-user folder in the temp directory (created 0700 and refused
    when another user owns it or anyone else may write to it: then no cache);
    an entry is used only for the same template file with the same source
    (Jinja checks a checksum). Its name carries what else the compiled code
    depends on: digest's and Jinja's versions and the environment's options, so
    an upgrade never runs code compiled under other settings."""
    from digest import __version__

    settings = f"{__version__}|{jinja2.__version__}|{sorted(_OPTIONS.items())}|i18n-newstyle"
    key = hashlib.sha256(settings.encode()).hexdigest()[:12]
    try:
        return _TemplateCache(pattern=f"__digest_{key}_%s.cache")
    except (OSError, RuntimeError):  # no safe folder: compile every time
        return None


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
        trim_blocks=_OPTIONS["trim_blocks"],
        lstrip_blocks=_OPTIONS["lstrip_blocks"],
        keep_trailing_newline=_OPTIONS["keep_trailing_newline"],
        auto_reload=_OPTIONS["auto_reload"],
        bytecode_cache=_bytecode_cache(),
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
        "format_number": fmt.number,
        "paragraphs": markup.paragraphs,
        "first_sentence": lead_sentence,
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
        return section_title_of(section, fmt)

    @pass_context
    def brief_when(ctx: Context, brief: EditionBrief) -> str:
        return _when(fmt, brief, ctx["edition"])

    @pass_context
    def updated_label(ctx: Context, brief: EditionBrief) -> str:
        return _updated(fmt, brief, ctx["edition"])

    @pass_context
    def band_title(ctx: Context, band: str) -> str:
        return _band_title(fmt, band, ctx["edition"])

    @pass_context
    def event_label(ctx: Context, event: Event) -> str:
        places = list(dict.fromkeys(b.story.dateline for b in event.briefs if b.story.dateline))
        count = event.size
        text = translations(locale).ngettext(
            "%(num)s reports on this", "%(num)s reports on this", count
        ) % {"num": fmt.number(count)}
        if places:
            text += " " + gettext("from %(places)s") % {"places": ", ".join(places)}
        first = _first_outside_band(event)
        if first is not None:
            text += ", " + gettext("since %(time)s") % {"time": _moment(fmt, first, ctx["edition"])}
        return text

    def all_reports_label(event: Event) -> str:
        count = event.size
        return translations(locale).ngettext(
            "Read the report in the archive", "Read all %(num)s reports in the archive", count
        ) % {"num": fmt.number(count)}

    def more_label(count: int) -> str:
        return translations(locale).ngettext(
            "+%(num)s more in the archive", "+%(num)s more in the archive", count
        ) % {"num": fmt.number(count)}

    from digest.render.kinds import kind_globals

    return {
        **kind_globals(fmt, locale, _moment),
        "locale": locale,
        "marker": marker,
        "more_label": more_label,
        "all_reports_label": all_reports_label,
        "event_label": event_label,
        "events_by_section": events_by_section,
        "band_title": band_title,
        "brief_changes": lambda brief: _changes(fmt, brief),
        "brief_paragraphs": brief_paragraphs,
        "updated_label": updated_label,
        "section_title": section_title,
        "brief_when": brief_when,
        "dateline": _dateline,
    }


def brief_paragraphs(brief: EditionBrief) -> list[list[tuple[str, bool]]]:
    """The brief's paragraphs as ``(text, changed)`` runs: for an updated brief
    the words changed since the text the reader last got are marked."""
    if brief.updated and brief.before is not None:
        return marked_paragraphs(brief.before, brief.story.text)
    return [[(paragraph, False)] for paragraph in markup.paragraphs(brief.story.text)]


def section_title_of(section: EditionSection, fmt: Formatter) -> str:
    """A section's heading: the region's name, or "Overig" translated."""
    return section.title if section.region_id else fmt.gettext(OTHER_TITLE)


def events_by_section(edition: Edition) -> dict[str, list[tuple[str, list[Event]]]]:
    """Per section, its events by band (see :mod:`digest.edition.events`).

    Kept for the last few editions *by content* (the sections, which are all
    that the grouping reads): the three outputs of a render ask in turn, and the
    archive renders an edition's page and its Markdown from equal copies."""
    sections = edition.sections
    try:
        found = _EVENTS.get(sections)
    except TypeError:  # a field that cannot be hashed: group without keeping
        return edition_events(edition)
    if found is None:
        found = edition_events(edition)
        if len(_EVENTS) >= EVENTS_KEPT:
            del _EVENTS[next(iter(_EVENTS))]  # the oldest
        _EVENTS[sections] = found
    return found


EVENTS_KEPT = 8
_EVENTS: dict[tuple[EditionSection, ...], dict[str, list[tuple[str, list[Event]]]]] = {}


def _dateline(story: Story) -> str:
    """``WASHINGTON (ANP/AFP)``, ``VLISSINGEN``, or "" for a brief without one."""
    if not story.dateline:
        return ""
    agencies = "/".join(story.agencies)
    return f"{story.dateline} ({agencies})" if agencies else story.dateline


_TIMED_BANDS = frozenset({"hour", "today", "yesterday", "earlier"})


def _first_outside_band(event: Event) -> datetime | None:
    """When the event's oldest dated brief appeared, if that lies outside the band
    its entry is listed under (the band of its newest brief): the entry then says
    "sinds 12:13", so that a band such as "tussen 17:14 en 18:14" is not read
    as the time of every brief beneath it."""
    if event.lead.band not in _TIMED_BANDS:  # "Uitgelicht" and "Zonder tijd" state no time
        return None
    dated = [(b.story.published_at, b.band) for b in event.briefs if b.story.published_at]
    if not dated:
        return None
    moment, band = min(dated, key=lambda pair: pair[0])
    return None if band == event.lead.band else moment


def _when(fmt: Formatter, brief: EditionBrief, edition: Edition) -> str:
    """The brief's time against the edition's own moment (the end of its window),
    so that it stays true in every mail and page: ``07:12`` on the edition's day,
    ``gisteren 21:05`` the day before, ``ma 19 jan, 14:00`` earlier."""
    published = brief.story.published_at
    return "" if published is None else _moment(fmt, published, edition)


def _moment(fmt: Formatter, moment: datetime, edition: Edition) -> str:
    zone = edition.zone
    day = moment.astimezone(zone).date()
    edition_day = edition.window_end.astimezone(zone).date()
    clock = fmt.time(moment, "short", zone)
    if day >= edition_day:
        return clock
    if day == edition_day - _DAY:
        return fmt.gettext("yesterday %(time)s") % {"time": clock}
    return f"{fmt.date(moment, SHORT_DAY, zone)}, {clock}"


def _updated(fmt: Formatter, brief: EditionBrief, edition: Edition) -> str:
    """``bijgewerkt 17:05``: when the story was reworded, against the edition's moment."""
    when = brief.story.updated_at
    if when is None:
        return fmt.gettext("updated")
    return fmt.gettext("updated %(time)s") % {"time": _moment(fmt, when, edition)}


def _band_title(fmt: Formatter, band: str, edition: Edition) -> str:
    """The band's title, stated against the end of the edition's window."""
    zone, end = edition.zone, edition.window_end.astimezone(UTC)  # elapsed hours, not wall-clock
    title = BAND_TITLES[band]
    values: dict[str, str] = {}
    if band == "hour":
        values = {
            "start": fmt.time(end - _HOUR, "short", zone),
            "end": fmt.time(end, "short", zone),
        }
    elif band == "today":
        values = {"day": fmt.date(end, DAY_MONTH, zone)}
    elif band in ("yesterday", "earlier"):
        values = {"day": fmt.date(end - _DAY, DAY_MONTH, zone)}
    text = fmt.gettext(title) % values
    return text[:1].upper() + text[1:]


def _changes(fmt: Formatter, brief: EditionBrief) -> str:
    """``‘3.700’ → ‘4.100’; nieuw: ‘zegt de minister’``: what changed, in its own words."""
    parts = []
    for old, new in brief.changes:
        if old and new:
            parts.append(f"‘{old}’ → ‘{new}’")
        elif new:
            parts.append(fmt.gettext("new: %(text)s") % {"text": f"‘{new}’"})
        else:
            parts.append(fmt.gettext("dropped: %(text)s") % {"text": f"‘{old}’"})
    return "; ".join(parts)


def formatter_of(env: jinja2.Environment) -> Formatter:
    owner = getattr(env, "digest_formatter", None)
    if not isinstance(owner, Formatter):
        raise RenderError("environment was not built by digest.render.environment.make_environment")
    return owner


@lru_cache(maxsize=8)
def default_environment(locale: str) -> jinja2.Environment:
    """A cached environment over digest's own templates for ``locale``."""
    return make_environment(None, locale)
