"""Rendering the planned pages: HTML through the archive templates, each
edition's sections through the mail's own partials (``render_edition_body``),
and the edition's Markdown through ``render_edition``.

Section fragments are rendered once per build and shared by the edition
page, the region pages and the feeds.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jinja2
import jinja2.runtime
from markupsafe import Markup

from digest.errors import PublishError
from digest.model import Edition, EditionSection
from digest.publish.assets import Assets
from digest.publish.cache import BodyCache
from digest.publish.chart import bar_chart
from digest.publish.meta import collection_ld, install_archive_globals
from digest.publish.site import EditionEntry, Page, SiteSettings, digest_of, relative_root
from digest.render import markup
from digest.render.environment import RenderError, formatter_of, make_environment
from digest.render.i18n import LOCALE_DIR, translations
from digest.render.outputs import late_note, render_edition_body

ARCHIVE_LOCALE = "nl"  # the default: [archive] locale, else [site] locale
OG_LOCALES = {"nl": "nl_NL", "en": "en_GB"}
SHARE_IMAGE = "share.png"  # beside each edition page, and the site's own at the root
ARCHIVE_TEMPLATES = ("archive/", "partials/", "markdown/")
ONCE = "once"  # an edition's body for a reader of every region: each story once
KEEP_BODIES = 64  # bodies kept in memory beside a cache
_TRAILING = re.compile(r"[ \t]+\n")
_BLANKS = re.compile(r"\n{3,}")


STORY_OPEN, STORY_CLOSE = "\ue002", "\ue003"  # private use: brief text never holds them
_STORY_LINK = re.compile(f"{STORY_OPEN}([^{STORY_CLOSE}]*){STORY_CLOSE}")

_ENVIRONMENTS: dict[tuple[tuple[Path, ...], str], tuple[str, jinja2.Environment]] = {}


def archive_environment(
    template_dirs: list[Path] | None = None, locale: str = ARCHIVE_LOCALE
) -> jinja2.Environment:
    """The one Jinja environment of digest (``make_environment``), for the archive's
    locale. Kept while its templates stay the same, so that a long-running
    scheduler compiles them once (the environment never reloads templates itself)."""
    folders = tuple(template_dirs or ())
    found = _ENVIRONMENTS.get((folders, locale))
    if found is not None and found[0] == templates_fingerprint(found[1]):
        return found[1]
    env = make_environment(list(folders), locale)
    install_archive_globals(env, story_href)
    # Babel's format_decimal costs about 0.35 ms a call and a build asks for the
    # same few counts thousands of times (section counts, "N berichten").
    env.filters["format_number"] = functools.lru_cache(maxsize=4096)(env.filters["format_number"])
    cached = cached_gettext(translations(locale).gettext)
    env.globals.update(gettext=cached, _=cached)
    _ENVIRONMENTS[(folders, locale)] = (templates_fingerprint(env), env)
    return env


def cached_gettext(translate: Callable[[str], str]) -> Callable[..., str]:
    """Jinja's new-style ``gettext`` (and ``_``) for ``translate``, the catalog
    looked up once per message. Every page asks for its chrome's two dozen
    messages, and Jinja's own goes through three calls (alias, wrapper,
    catalog) for each: a tenth of an archive build. Same result: the message,
    Markup when the template autoescapes, formatted with its variables."""
    found: dict[tuple[str, bool], str] = {}

    @jinja2.pass_context
    def gettext(context: jinja2.runtime.Context, message: str, **variables: Any) -> str:
        autoescape = bool(context.eval_ctx.autoescape)
        text = found.get((message, autoescape))
        if text is None:
            text = Markup(translate(message)) if autoescape else translate(message)
            found[(message, autoescape)] = text
        return text % variables

    return gettext


def story_href(story_id: str) -> Markup:
    """A link to a story's page inside a fragment shared by pages at any depth and
    by the feeds: a marker that :meth:`Renderer.resolve` turns into the address."""
    return Markup(f"{STORY_OPEN}{story_id}{STORY_CLOSE}")


def templates_fingerprint(env: jinja2.Environment) -> str:
    """Changes when any template the archive renders, or the catalog, changes."""
    digest = hashlib.blake2b(digest_size=12)
    loader = env.loader
    if loader is None:
        raise PublishError("the archive's template environment has no loader")
    for name in sorted(n for n in loader.list_templates() if n.startswith(ARCHIVE_TEMPLATES)):
        digest.update(name.encode() + b"\0" + loader.get_source(env, name)[0].encode() + b"\0")
    catalog = LOCALE_DIR / archive_locale(env) / "LC_MESSAGES" / "messages.mo"
    if catalog.is_file():
        digest.update(catalog.read_bytes())
    return digest.hexdigest()


def archive_locale(env: jinja2.Environment) -> str:
    """The locale ``env`` renders in (``nl``, ``en``)."""
    return str(formatter_of(env).locale)


def page_href(root: str, target: str) -> str:
    """A relative link to an archive address that also works opened from disk
    (``file://``), where a browser shows a folder's listing, not its index page."""
    href = root + target
    return href + "index.html" if not href or href.endswith("/") else href


def tidy_markdown(text: str) -> str:
    """No trailing blanks, at most one blank line in a row, one final newline."""
    text = _TRAILING.sub("\n", text)
    return _BLANKS.sub("\n\n", text).strip("\n") + "\n"


def _cut(edition: Edition, body: str) -> dict[str, str]:
    """``body`` (of ``edition``) cut into its sections at each section's opening
    tag, by section key; empty if the partials ever stop producing those tags."""
    sections = edition.sections
    starts = [body.find(f'<div class="section" id="section-{s.key}">') for s in sections]
    if not all(b > a for a, b in zip([-1, *starts], starts, strict=False)):
        return {}
    ends = [*starts[1:], len(body)]
    return {s.key: body[a:b] for s, a, b in zip(sections, starts, ends, strict=True)}


@dataclass(frozen=True, slots=True)
class Chrome:
    """The pieces of ``archive/chrome.html`` that base.html pastes into a page."""

    header: Markup
    search_form: Markup
    footer: Markup


class Renderer:
    """Renders pages of one site plan. An edition's body (the costly part) is
    rendered once, as a reader of every region got it, and kept in ``cache``
    between publishes when one is given (see :mod:`digest.publish.cache`), else
    for the whole build in memory; every page and feed that shows one of its
    sections cuts it from there, so a section looks the same everywhere."""

    def __init__(
        self,
        env: jinja2.Environment,
        settings: SiteSettings,
        assets: Assets,
        cache: BodyCache | None = None,
        story_urls: dict[str, str] | None = None,
    ) -> None:
        self.env = env
        self.settings = settings
        self.assets = assets
        self.cache = cache
        self._bodies: dict[str, str] = {}  # the last few (all of them without a cache)
        self.story_urls = story_urls or {}
        self._chrome: dict[tuple[str, str | None], Chrome] = {}
        self._chrome_modules: dict[str, Any] = {}
        self._macros: Any = None

    def resolve(self, html: str, root: str) -> str:
        """``html`` with its story links (:func:`story_href`) pointing at the story
        pages from ``root`` (relative, or the absolute root for feeds)."""
        if STORY_OPEN not in html:
            return html
        urls = self.story_urls

        def link(match: re.Match[str]) -> str:
            url = urls.get(match.group(1))
            return page_href(root, url) if url else page_href(root, "")

        return _STORY_LINK.sub(link, html)

    def feed_fragment(self, entry: EditionEntry, section: EditionSection) -> str:
        """:meth:`fragment` with absolute story links, for the feeds."""
        return self.resolve(self.fragment(entry, section), self.settings.root_url)

    def feed_body(self, entry: EditionEntry) -> Markup:
        """:meth:`body` with absolute story links, for the feeds."""
        return Markup(self.resolve(self.body(entry), self.settings.root_url))

    def fragment(self, entry: EditionEntry, section: EditionSection) -> str:
        """``section`` of an edition as the edition page shows it, or, for a
        part of one (a story in two sections, or carried again by a newer
        edition), rendered on its own."""
        once = entry.edition.for_regions(None)
        shown = next((s for s in once.sections if s.key == section.key), None)
        if shown is section or shown == section:
            found = _cut(once, self.edition_body(entry)).get(section.key)
            if found is not None:
                return found
        return self._section_body(entry, section)  # also when the partials lost the marks

    def body(self, entry: EditionEntry) -> Markup:
        """All sections of an edition, in order, each story once: the HTML of
        ``render_edition_body`` for a reader of every region."""
        whole = self.edition_body(entry)
        return Markup("".join(_cut(entry.edition.for_regions(None), whole).values()) or whole)

    def edition_body(self, entry: EditionEntry) -> str:
        """``render_edition_body`` of what a reader of every region gets, from
        the cache when it has it."""
        key = f"{entry.fingerprint}:{ONCE}"
        found = self._bodies.get(key)
        if found is None and self.cache is not None:
            found = self.cache.get(key)
        if found is None:
            found = self._body_html(entry.edition.for_regions(None))
            if self.cache is not None:
                self.cache.put(key, found)
        self._remember(key, found)
        return found

    def render_bodies(self, entry: EditionEntry) -> dict[str, str]:
        """The body of an edition, rendered (in a worker) for :meth:`keep_bodies`."""
        return {ONCE: self._body_html(entry.edition.for_regions(None))}

    def has_bodies(self, entry: EditionEntry) -> bool:
        """Whether :meth:`edition_body` has ``entry``'s body without rendering."""
        key = f"{entry.fingerprint}:{ONCE}"
        return key in self._bodies or (self.cache is not None and key in self.cache)

    def keep_bodies(self, entry: EditionEntry, bodies: dict[str, str]) -> None:
        for kind, html in bodies.items():
            key = f"{entry.fingerprint}:{kind}"
            if self.cache is not None:
                self.cache.put(key, html)
            else:
                self._bodies[key] = html

    def flush(self) -> None:
        """Write kept bodies to the cache (before worker processes read it)."""
        if self.cache is not None:
            self.cache.flush()

    def _remember(self, key: str, html: str) -> None:
        self._bodies[key] = html
        if self.cache is not None and len(self._bodies) > KEEP_BODIES:
            del self._bodies[next(iter(self._bodies))]  # the oldest: memory stays flat

    def _section_body(self, entry: EditionEntry, section: EditionSection) -> str:
        ids = ",".join(b.story.id for b in section.briefs)
        key = f"{entry.fingerprint}:{digest_of(section.key, section.title, ids)}"
        found = self._bodies.get(key)
        if found is None and self.cache is not None:
            found = self.cache.get(key)
        if found is None:
            found = self._body_html(replace(entry.edition, sections=(section,)))
            if self.cache is not None:
                self.cache.put(key, found)
        self._remember(key, found)
        return found

    def _body_html(self, edition: Edition) -> str:
        try:
            return render_edition_body(edition, locale=archive_locale(self.env), env=self.env)
        except RenderError as exc:
            raise PublishError(f"edition {edition.id}: {exc}") from exc

    def markdown(self, entry: EditionEntry) -> bytes:
        """``index.md`` beside the edition page (archive/edition.md: the mail's
        Markdown sections, without greeting and subscription footer)."""
        edition = markup.clean_edition(entry.edition.for_regions(None))
        note = edition.note_markdown
        context = {
            "edition": edition,
            "issued": edition.issued_at,
            "site_title": markup.one_line(self.settings.title),
            "canonical": self.settings.root_url + entry.url,
            "note_html": Markup(markup.note_to_html(note)) if note else None,
        }
        try:
            text = self.env.get_template("archive/edition.md").render(context)
        except jinja2.TemplateError as exc:
            raise PublishError(f"archive template archive/edition.md ({entry.id}): {exc}") from exc
        return tidy_markdown(text).encode()

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
        site_root = self.settings.root_url

        def link(target: str) -> str:
            return page_href(root, target)

        context = {
            "site": self.settings,
            "assets": self.assets,
            "root": root,
            "page_url": url,
            "canonical": canonical,
            "link": link,
            "chrome": self.chrome(root, url, link),
            "m": self.macros(),
            "share_image": site_root + SHARE_IMAGE,
            "og_locale": OG_LOCALES.get(self.settings.locale, self.settings.locale),
            "collection_ld": lambda name, parts: collection_ld(
                name, canonical, parts, site_root, self.settings.locale
            ),
            **extra,
        }
        try:
            text = self.env.get_template(template).render(context)
        except jinja2.TemplateError as exc:
            raise PublishError(f"archive template {template} (page /{url}): {exc}") from exc
        return self.resolve(text, root).encode()

    def macros(self) -> Any:
        """``archive/macros.html`` as a module, made once: the pages find it as ``m``
        (an ``{% import %}`` in each page would look the module up on every render)."""
        if self._macros is None:
            self._macros = self._module("archive/macros.html", {})
        return self._macros

    def chrome(self, root: str, url: str, link: Callable[[str], str]) -> Chrome:
        """The shared header, search form and footer of a page at ``url``, linking
        from ``root``: rendered once per root and navigation entry the page is
        (``nav_pages`` of the template), since nothing else of the page goes in."""
        module = self._chrome_module(root, link)
        current = url if url in module.nav_pages else None
        found = self._chrome.get((root, current))
        if found is None:
            try:
                found = Chrome(module.header(current), module.search_form(), module.footer())
            except jinja2.TemplateError as exc:
                raise PublishError(f"archive template archive/chrome.html: {exc}") from exc
            self._chrome[(root, current)] = found
        return found

    def _chrome_module(self, root: str, link: Callable[[str], str]) -> Any:
        found = self._chrome_modules.get(root)
        if found is None:
            variables = {"site": self.settings, "root": root, "link": link}
            found = self._chrome_modules[root] = self._module("archive/chrome.html", variables)
        return found

    def _module(self, name: str, variables: dict[str, Any]) -> Any:
        """The template ``name`` run once with ``variables``, as a module of its macros."""
        try:
            return self.env.get_template(name).make_module(variables)
        except jinja2.TemplateError as exc:
            raise PublishError(f"archive template {name}: {exc}") from exc

    def _extra(self, page: Page) -> dict[str, Any]:
        context = dict(page.context)
        if page.template == "archive/edition.html":
            entry: EditionEntry = context["entry"]
            note = entry.edition.note_markdown
            context |= {
                "edition": entry.edition.for_regions(None),  # what the body shows (the TOC too)
                "late_note": late_note(entry.edition, formatter_of(self.env)),
                "body": self.body(entry),
                "note_html": Markup(markup.note_to_html(note)) if note else None,
            }
            context["share_image"] = self.settings.root_url + entry.url + SHARE_IMAGE
            ids = entry.edition.story_ids()
            context["story_pages"] = [self.story_urls[i] for i in ids if i in self.story_urls]
        elif page.template == "archive/region.html":
            context |= self._region_extra(context)
        elif page.template == "archive/story.html":
            newest = context["story"].carried[-1].entry
            context["share_image"] = self.settings.root_url + newest.url + SHARE_IMAGE
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
