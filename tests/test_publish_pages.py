"""The archive's Jinja environment: its cached gettext says what Jinja's own says."""

from __future__ import annotations

import jinja2
from markupsafe import Markup

from digest.publish.pages import archive_environment, cached_gettext
from digest.render.i18n import translations


def _jinja_own(locale: str) -> jinja2.Environment:
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    return env


def test_cached_gettext_renders_as_jinjas_own_gettext() -> None:
    source = (
        '{{ _("Search") }}|{{ gettext("Skip to content") }}|'
        '{{ _("%(site)s · an archive of newsletters, made with digest.", site=name) }}|'
        "{% trans %}Search{% endtrans %}|{% autoescape false %}{{ _('Search') }}{% endautoescape %}"
    )
    for locale in ("nl", "en"):
        own = _jinja_own(locale)
        ours = _jinja_own(locale)
        cached = cached_gettext(translations(locale).gettext)
        ours.globals.update(gettext=cached, _=cached)
        for name in ("Digest", "<b>&</b>"):
            expected = own.from_string(source).render(name=name)
            assert ours.from_string(source).render(name=name) == expected
            assert ours.from_string(source).render(name=name) == expected  # from the cache


def test_cached_gettext_escapes_variables_and_keeps_markup() -> None:
    env = archive_environment(locale="en")
    template = env.from_string(
        "{% autoescape true %}"
        '{{ _("%(site)s · an archive of newsletters, made with digest.", site=s) }}'
        "{% endautoescape %}"
    )
    assert "&lt;b&gt;" in template.render(s="<b>")
    assert "<b>" in template.render(s=Markup("<b>"))
    assert env.globals["_"] is env.globals["gettext"]
