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


def test_pasted_chrome_is_what_each_page_alone_gets() -> None:
    """base.html pastes the header, search form and footer rendered once per
    folder depth and navigation entry: every page equals the page rendered by
    a renderer that has rendered nothing before (nav pages keep aria-current,
    the search page its missing form, pages at other depths their links)."""
    from dataclasses import replace

    from digest.publish.assets import build_assets
    from digest.publish.pages import Renderer
    from digest.publish.site import place_editions, plan_site
    from tests.test_publish_site import SETTINGS, make_editions

    for locale in ("nl", "en"):
        settings = replace(SETTINGS, signup_url="https://digest.example.org/", locale=locale)
        env = archive_environment(locale=locale)
        assets = build_assets(env)
        plan = plan_site(place_editions(make_editions(6), settings), settings, shards=["a"])
        shared = Renderer(env, settings, assets, None, plan.story_urls())
        templates = {page.template for page in plan.pages}
        assert {"archive/story.html", "archive/search.html", "archive/index.html"} <= templates
        for page in plan.pages:
            alone = Renderer(env, settings, assets, None, plan.story_urls())
            assert shared.page(page) == alone.page(page), page.url
        assert shared.not_found() == Renderer(env, settings, assets).not_found()
        front = next(p for p in plan.pages if p.url == "")
        assert shared.page(front).count(b'aria-current="page"') == 1
