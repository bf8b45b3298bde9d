"""Rendering the planned pages: HTML through the archive templates, each
edition's sections through the mail's own partials (``render_edition_body``),
and the edition's Markdown through ``render_edition``.

Section fragments are rendered once per build and shared by the edition
page, the region pages and the feeds.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from digest import markup
from digest.edition import EditionSection
from digest.errors import PublishError
from digest.i18n import LOCALE_DIR
from digest.publish.assets import Assets
from digest.publish.chart import bar_chart
from digest.publish.site import EditionEntry, Page, SiteSettings, relative_root
from digest.render import RenderError, make_environment, render_edition, render_edition_body

ARCHIVE_LOCALE = "nl"  # the archive is Dutch (lang="nl"); its chrome is not translated
ARCHIVE_TEMPLATES = ("archive/", "partials/", "markdown/")


def archive_environment(template_dirs: list[Path] | None = None) -> jinja2.Environment:
    """The one Jinja environment of digest (``make_environment``), for the archive's locale."""
    return make_environment(template_dirs, ARCHIVE_LOCALE)


def templates_fingerprint(env: jinja2.Environment) -> str:
    """Changes when any template the archive renders, or the catalog, changes."""
    digest = hashlib.blake2b(digest_size=12)
    loader = env.loader
    if loader is None:
        raise PublishError("the archive's template environment has no loader")
    for name in sorted(n for n in loader.list_templates() if n.startswith(ARCHIVE_TEMPLATES)):
        digest.update(name.encode() + b"\0" + loader.get_source(env, name)[0].encode() + b"\0")
    catalog = LOCALE_DIR / ARCHIVE_LOCALE / "LC_MESSAGES" / "messages.mo"
    if catalog.is_file():
        digest.update(catalog.read_bytes())
    return digest.hexdigest()


def archive_markdown(mail_markdown: str) -> str:
    """The mail's Markdown without what only a subscriber's copy has: the
    greeting line (it holds the name marker) and the footer with the
    subscription links (after the last rule)."""
    lines = [line for line in mail_markdown.split("\n") if markup.MARK_OPEN not in line]
    text = "\n".join(lines)
    head, rule, _tail = text.rpartition("\n---\n")
    if rule and markup.MARK_OPEN in mail_markdown.rpartition("\n---\n")[2]:
        text = head.rstrip("\n") + "\n"
    return text


class Renderer:
    """Renders pages of one site plan; caches section fragments for the build."""

    def __init__(self, env: jinja2.Environment, settings: SiteSettings, assets: Assets) -> None:
        self.env = env
        self.settings = settings
        self.assets = assets
        self._fragments: dict[tuple[str, str], str] = {}

    def fragment(self, entry: EditionEntry, section: EditionSection) -> str:
        """One section of an edition as the mail shows it (HTML fragment)."""
        key = (entry.id, section.key)
        found = self._fragments.get(key)
        if found is None:
            single = replace(entry.edition, sections=(section,))
            try:
                found = render_edition_body(single, locale=ARCHIVE_LOCALE, env=self.env)
            except RenderError as exc:
                raise PublishError(f"edition {entry.id}: {exc}") from exc
            self._fragments[key] = found
        return found

    def body(self, entry: EditionEntry) -> Markup:
        """All sections of an edition, in order (the same HTML as ``render_edition_body``)."""
        return Markup("".join(self.fragment(entry, s) for s in entry.edition.sections))

    def markdown(self, entry: EditionEntry) -> bytes:
        """``index.md`` beside the edition page."""
        try:
            rendered = render_edition(
                entry.edition,
                locale=ARCHIVE_LOCALE,
                site_title=self.settings.title,
                base_url=self.settings.root_url,
                archive_url=self.settings.root_url + entry.url,
                env=self.env,
            )
        except RenderError as exc:
            raise PublishError(f"edition {entry.id}: {exc}") from exc
        return archive_markdown(rendered.markdown).encode()

    def page(self, page: Page) -> bytes:
        root = relative_root(page.url)
        return self._render(page.template, page.url, root, self.settings.root_url + page.url,
                            self._extra(page))  # fmt: skip

    def not_found(self) -> bytes:
        """``404.html``: served at any address, so it links absolutely."""
        root = self.settings.root_url
        return self._render("archive/404.html", "404.html", root, root + "404.html", {})

    def _render(
        self, template: str, url: str, root: str, canonical: str, extra: dict[str, Any]
    ) -> bytes:
        context = {
            "site": self.settings,
            "assets": self.assets,
            "root": root,
            "page_url": url,
            "canonical": canonical,
            "link": lambda target: (root + target) or "./",
            **extra,
        }
        try:
            return self.env.get_template(template).render(context).encode()
        except jinja2.TemplateError as exc:
            raise PublishError(f"archive template {template} (page /{url}): {exc}") from exc

    def _extra(self, page: Page) -> dict[str, Any]:
        context = dict(page.context)
        if page.template == "archive/edition.html":
            entry: EditionEntry = context["entry"]
            note = entry.edition.note_markdown
            context |= {
                "edition": entry.edition,
                "body": self.body(entry),
                "note_html": Markup(markup.note_to_html(note)) if note else None,
            }
        elif page.template == "archive/region.html":
            context |= self._region_extra(context)
        return context

    def _region_extra(self, context: dict[str, Any]) -> dict[str, Any]:
        region = context["region"]
        fragments = [
            # The same section appears once per edition here: drop its in-page id.
            Markup(
                self.fragment(i.entry, i.section).replace(f' id="section-{i.section.key}"', "", 1)
            )
            for i in context["items"]
        ]
        extra: dict[str, Any] = {"fragments": fragments, "region_base": f"regio/{region.slug}/"}
        if context.get("chart") is not None:
            extra["chart"] = bar_chart(context["chart"])
        return extra
