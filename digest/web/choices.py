"""What a reader chooses on the sign-up and preferences forms besides regions:
the editions they receive and the language of the newsletter.

A reader gets only the editions they tick, so a form with none ticked is sent
back with the problem (pausing and unsubscribing are their own buttons). A
form without the edition boxes at all (a site's own template from before
them) gives the configured default on sign-up and keeps the choice on the
preferences page.
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.datastructures import FormData

from digest.config import Config
from digest.errors import DigestError
from digest.model import LOCALES
from digest.subscribers import SubscriberError, parse_editions

# Each language named in itself, as a reader looks for it.
LANGUAGES: dict[str, str] = {"nl": "Nederlands", "en": "English"}


class FormProblem(DigestError):
    """A form field holds something we cannot use; ``field`` names it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"form field {field!r}: {reason}")
        self.field = field


def text_field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


SHOWN_FIELD = "editions-shown"  # a hidden field beside the boxes: they were on the form


def chosen_editions(
    form: FormData, known: Collection[str], otherwise: frozenset[str] | None
) -> frozenset[str] | None:
    """The ticked edition boxes (``otherwise`` when the form had none); FormProblem
    when the boxes were shown and none is ticked, or one is unknown."""
    if SHOWN_FIELD not in form and not form.getlist("editions"):
        return otherwise
    ticked = [v for v in form.getlist("editions") if isinstance(v, str)]
    try:
        chosen = parse_editions(",".join(ticked), known)
    except SubscriberError as exc:
        raise FormProblem("editions", str(exc)) from exc
    if not chosen:
        raise FormProblem("editions", "tick at least one edition")
    return chosen


def chosen_locale(form: FormData, default: str) -> str:
    """The language picked in the form (``default`` when the form has no choice)."""
    value = text_field(form, "locale") or default
    if value not in LOCALES:
        raise FormProblem("locale", f"{value!r} is not one of: {', '.join(LOCALES)}")
    return value


def ticked_in(form: FormData) -> list[str]:
    """The edition boxes a form came back with (to show them again after a problem)."""
    return [v for v in form.getlist("editions") if isinstance(v, str)]


def choice_context(
    config: Config, editions: Collection[str] | None, locale: str
) -> dict[str, object]:
    """What ``web/editions.html`` needs: each edition ticked or not, the languages.
    ``editions`` None (a reader from before edition choices) ticks every edition."""
    return {
        "editions": [
            {
                "name": e.name,
                "title": e.title,
                "checked": editions is None or e.name in editions,
            }
            for e in config.editions
        ],
        "languages": [(code, LANGUAGES.get(code, code)) for code in LOCALES],
        "chosen_locale": locale,
    }
