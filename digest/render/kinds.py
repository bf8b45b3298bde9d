"""What the weekly overview and the Extra editie add to the templates.

``template_of`` names the template of each part per edition kind (the weekly
overview has its own mail, text, Markdown and archive body); the globals give
the weekly's ranked events and the "al gemeld" label of a regular edition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from digest.edition.events import Event
from digest.edition.weekly import ranked_events, weight
from digest.model import Edition, EditionBrief
from digest.render.i18n import Formatter, translations

# part -> the template of a regular edition; a weekly overview's is beside it.
_PARTS = {
    "html": "email/edition.html",
    "text": "text/edition.txt",
    "markdown": "markdown/edition.md",
    "body": "partials/edition_body.html",
}
_WEEKLY = {
    "html": "email/weekly.html",
    "text": "text/weekly.txt",
    "markdown": "markdown/weekly.md",
    "body": "partials/weekly_body.html",
}


def template_of(edition: Edition, part: str) -> str:
    """The template that renders ``part`` of ``edition``."""
    return (_WEEKLY if edition.kind == "weekly" else _PARTS)[part]


def kind_globals(
    fmt: Formatter, locale: str, moment: Callable[[Formatter, Any, Edition], str]
) -> dict[str, Any]:
    """``weekly_events``, ``weekly_label``, ``weekly_summary``, ``earlier_label`` and
    ``reported_label``."""
    catalog = translations(locale)

    def weekly_label(event: Event) -> str:
        count = len(event.briefs)
        text = catalog.ngettext("%(num)s report", "%(num)s reports", count) % {
            "num": fmt.number(count)
        }
        updates = weight(event) - count
        if updates:
            text += ", " + catalog.ngettext("%(num)s update", "%(num)s updates", updates) % {
                "num": fmt.number(updates)
            }
        return text

    def weekly_summary(edition: Edition) -> str:
        zone = edition.zone
        start = fmt.date(edition.window_start, "d MMMM", zone)
        end = fmt.date(edition.window_end, "d MMMM", zone)
        return fmt.gettext("The week of %(start)s to %(end)s: the biggest events per region.") % {
            "start": start,
            "end": end,
        }

    def earlier_label(count: int) -> str:
        return catalog.ngettext("+%(num)s earlier report", "+%(num)s earlier reports", count) % {
            "num": fmt.number(count)
        }

    @pass_context
    def reported_label(ctx: Context, brief: EditionBrief) -> str:
        if brief.reported is None:
            return ""
        when = moment(fmt, brief.reported, ctx["edition"])
        return fmt.gettext("already reported (%(time)s)") % {"time": when}

    return {
        "weekly_events": ranked_events,
        "weekly_label": weekly_label,
        "weekly_summary": weekly_summary,
        "earlier_label": earlier_label,
        "reported_label": reported_label,
    }
