"""Rendering: the environment, Babel filters, the three outputs, escaping and markers.

Golden files live in tests/golden; regenerate them with ``DIGEST_UPDATE_GOLDEN=1``
and review the diff before committing.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import html5lib
import jinja2
import markdown
import pytest
from playwright.sync_api import Page

from digest.edition.events import SUBJECT_BUDGET
from digest.edition.headline import lead_sentence
from digest.model import Edition
from digest.render.environment import RenderError, make_environment
from digest.render.i18n import LocaleError
from digest.render.outputs import RenderedEdition, personalise, render_edition, render_edition_body
from digest.render.typography import typographic
from tests.sample_edition import HOSTILE, NOTE, SLOT, sample_edition, story
from tests.support.browser import axe_violations, save_screenshot

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("DIGEST_UPDATE_GOLDEN") == "1"
NS = "{http://www.w3.org/1999/xhtml}"
SITE = {"site_title": "Digest", "base_url": "https://digest.example.org"}
LINKS = {
    "unsubscribe_url": "https://digest.example.org/afmelden?t=abc&s=1",
    "preferences_url": "https://digest.example.org/voorkeuren?t=abc",
}


def render(edition: Edition | None = None, locale: str = "nl") -> RenderedEdition:
    return render_edition(
        edition or sample_edition(NOTE),
        locale=locale,
        site_title=SITE["site_title"],
        base_url=SITE["base_url"],
    )


def personal(
    edition: Edition | None = None, locale: str = "nl", name: str | None = "Anna"
) -> RenderedEdition:
    return personalise(render(edition, locale), name=name, **LINKS)


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} missing; run with DIGEST_UPDATE_GOLDEN=1 to create it"
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs from the golden file"


def parse_html(document: str) -> ElementTree.Element:
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=True)
    return parser.parse(document)  # type: ignore[no-any-return]


def local(tag: object) -> str:
    """The tag name without namespace; "" for comments."""
    return tag.removeprefix(NS) if isinstance(tag, str) else ""


def text_of(element: ElementTree.Element) -> str:
    return " ".join("".join(element.itertext()).split())


# --- environment and filters -------------------------------------------------


def test_environment_escapes_html_but_not_text() -> None:
    env = make_environment()
    assert env.from_string("{{ x }}").render(x="<b>") == "<b>"
    html = env.get_template("partials/edition_body.html")
    assert html.environment.autoescape is not False
    assert env.autoescape("email/edition.html") is True  # type: ignore[operator]
    assert env.autoescape("text/edition.txt") is False  # type: ignore[operator]


def test_environment_is_strict_about_undefined_names() -> None:
    with pytest.raises(jinja2.UndefinedError):
        make_environment().from_string("{{ missing }}").render()


def test_user_templates_override_package_templates(tmp_path: Path) -> None:
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "subject.txt").write_text("Eigen: {{ edition.title }}\n")
    env = make_environment([tmp_path], "nl")
    rendered = render_edition(sample_edition(), env=env, **SITE)
    assert rendered.subject == "Eigen: Ochtendeditie"
    assert "Groenland" in rendered.html  # the rest still comes from the package


def test_broken_user_template_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "subject.txt").write_text("{{ edition.nope }}\n")
    env = make_environment([tmp_path], "nl")
    with pytest.raises(RenderError, match=r"email/subject\.txt"):
        render_edition(sample_edition(), env=env, **SITE)


def test_missing_template_folder_and_unknown_locale_are_errors(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="does not exist"):
        make_environment([tmp_path / "nope"])
    with pytest.raises(LocaleError, match="'fr'"):
        make_environment(locale="fr")


def test_babel_filters_in_dutch_and_english() -> None:
    template = (
        "{{ t|format_date }} | {{ t|format_time }} | {{ n|format_number }} | "
        "{{ ngettext('%(num)s new brief', '%(num)s new briefs', 1) }} | "
        "{{ ngettext('%(num)s new brief', '%(num)s new briefs', n, num=n|format_number) }}"
    )
    values = {"t": SLOT, "n": 3700}
    nl = make_environment(locale="nl").from_string(template).render(values)
    en = make_environment(locale="en").from_string(template).render(values)
    assert nl == (
        "woensdag 21 januari 2026 | 07:00 | 3.700 | 1 nieuw bericht | 3.700 nieuwe berichten"
    )
    assert en == (
        "Wednesday, January 21, 2026 | 7:00\u202fAM | 3,700 | 1 new brief | 3,700 new briefs"
    )


def test_no_relative_age_can_be_rendered() -> None:
    """Ages measured at build time ("17 minuten geleden") froze into mails and pages."""
    with pytest.raises(jinja2.TemplateAssertionError):
        make_environment(locale="nl").from_string("{{ t|relative_time(t) }}")


def test_dates_are_shown_in_the_edition_zone_not_the_values_zone() -> None:
    env = make_environment()
    edition = sample_edition()
    utc = SLOT.astimezone(UTC)
    assert env.from_string("{{ t|format_time }}").render(t=utc) == "06:00"
    assert env.from_string("{{ t|format_time }}").render(edition=edition, t=utc) == "07:00"


# --- the three outputs ---------------------------------------------------------


LEAD = "Rusland: 71 militairen gedood door Oekraïens offensief"  # the sample's lead article


def test_subject_names_the_lead_event_and_the_preheader_the_next_ones() -> None:
    rendered = render()
    assert rendered.subject == f"Ochtendeditie: {LEAD}"
    assert len(rendered.subject) <= SUBJECT_BUDGET
    assert rendered.preheader == (
        "Verder: Trump wil niets zeggen over een bezetting van Groenland · "
        "Iran zegt dat het internet geleidelijk"
    )


def test_the_greeting_names_the_first_word_of_the_name() -> None:
    for name, shown in (
        ("Anna de Vries", "Anna"),
        ("  Anna-Maria  Jansen ", "Anna-Maria"),
        ("", ""),
    ):
        text = personal(name=name).text
        assert f"Goedemorgen{' ' + shown if shown else ''}," in text


def test_in_brief_and_contents_come_before_the_sections_in_every_part() -> None:
    rendered = render()
    for part in (rendered.html, rendered.text, rendered.markdown):
        bare = re.sub(r"<[^>]+>", " ", part).replace("&nbsp;", " ").replace("\u00a0", " ")
        plain = " ".join(bare.split())
        brief, contents = plain.lower().index("in het kort"), plain.index("In deze editie:")
        assert brief < contents < plain.index("Tussen 06:00 en 07:00")
        assert "In deze editie: Groenland 4 · Iran 3 · Venezuela 2 · Overig 4" in plain
    assert '<a class="contents-link" href="#section-groenland"' in re.sub(
        r' style="[^"]*"', "", rendered.html
    )
    anchors = re.findall(r'class="in-brief-link"[^>]*href="#([^"]+)"', rendered.html)
    anchors += re.findall(r'href="#([^"]+)"[^>]*class="in-brief-link"', rendered.html)
    assert 3 <= len(anchors) <= 5
    for anchor in anchors:
        assert f'id="{anchor}"' in rendered.html


def test_subject_cannot_carry_line_breaks() -> None:
    edition = replace(sample_edition(), title="Ochtend\r\nBcc: x@example.org\neditie")
    subject = render(edition).subject
    assert "\n" not in subject and "\r" not in subject
    assert subject.startswith("Ochtend Bcc: x@example.org editie")


def test_preheader_of_a_small_edition_without_region_sections_counts_briefs() -> None:
    only_other = sample_edition().for_regions(frozenset())
    last = sample_edition().sections[-1]
    other = replace(only_other, sections=(replace(last, briefs=last.briefs[:2]),))
    assert render(other).preheader == "2 berichten"  # too few events for "In het kort"


def test_html_is_strict_html5_with_lang_headings_and_hidden_preheader() -> None:
    rendered = personal()
    root = parse_html(rendered.html)
    assert root.get("lang") == "nl"
    headings = [(local(e.tag), text_of(e)) for e in root.iter() if local(e.tag) in {"h1", "h2"}]
    assert headings == [
        ("h1", "Ochtendeditie"),
        ("h2", "In het kort"),
        ("h2", "Groenland (4)"),
        ("h2", "Iran (3)"),
        ("h2", "Venezuela (2)"),
        ("h2", "Overig (4)"),
    ]
    preheader = next(e for e in root.iter() if e.get("class") == "preheader")
    assert text_of(preheader).startswith("Verder: Trump wil niets zeggen")
    assert "display: none" in (preheader.get("style") or "")


def test_every_element_in_the_body_has_inline_styles() -> None:
    root = parse_html(personal().html)
    body = next(e for e in root.iter() if local(e.tag) == "body")
    unstyled = [
        local(e.tag) + "." + (e.get("class") or "")
        for e in body.iter()
        if local(e.tag) not in {"", "tbody", "tr", "br"} and not e.get("style")
    ]
    assert unstyled == []


def test_html_needs_no_external_resources_and_keeps_dark_and_mobile_rules() -> None:
    html = personal().html
    assert not re.search(r"\bsrc=|<link\b|@import|url\(", html)
    assert '<meta name="color-scheme" content="light dark">' in html
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    assert style is not None
    assert "prefers-color-scheme: dark" in style.group(1)
    assert "max-width: 620px" in style.group(1)
    assert html.index('<meta charset="utf-8">') < 100


def test_text_is_wrapped_at_72_and_separates_sections_and_briefs() -> None:
    text = personal().text
    assert max(len(line) for line in text.splitlines()) <= 72
    assert "GROENLAND (4)" in text
    assert text.count("=" * 72) == 2 * 4
    assert "--- Tussen 06:00 en 07:00 ---" in text
    assert "* WASHINGTON (ANP) – Trump wil niets zeggen" in text
    assert "  [06:45]" in text


def test_markdown_renders_to_the_same_headings_and_briefs_as_the_html() -> None:
    rendered = personal()
    from_md = parse_html(f"<!DOCTYPE html><title>t</title>{markdown.markdown(rendered.markdown)}")
    mail = parse_html(rendered.html)

    def outline(root: ElementTree.Element, brief_tag: set[str]) -> list[str]:
        keep = {"h1", "h2", "h3", *brief_tag}
        return [text_of(e) for e in root.iter() if local(e.tag) in keep and text_of(e)]

    md_lines = outline(from_md, {"p"})
    html_lines = outline(mail, {"p"})
    briefs_md = [line for line in md_lines if " – " in line]
    briefs_html = [line for line in html_lines if " – " in line]
    assert briefs_md == briefs_html
    headings = [e for e in html_lines if e in md_lines]
    assert "Groenland (4)" in headings and "Tussen 06:00 en 07:00" in headings


def test_lead_article_is_shown_with_its_title_and_paragraphs() -> None:
    rendered = personal()
    lead = r'<h3 class="entry-title"[^>]*>Rusland: 71&nbsp;militairen gedood'
    assert re.search(lead, rendered.html)
    assert "### Rusland: 71\u00a0militairen gedood door Oekraïens offensief" in rendered.markdown
    assert "Aan de Oekraïense kant zouden zeker 3700\u00a0doden" in rendered.text


def test_updated_stories_are_marked() -> None:
    rendered = personal()
    # Marked with the moment it was reworded, stated against the edition's time.
    assert "bijgewerkt 04:00</span>" in rendered.html
    assert "[gisteren 20:00 · bijgewerkt 04:00]" in rendered.text
    assert "· bijgewerkt 04:00*" in rendered.markdown
    assert "bijgewerkt" in render(locale="nl").html


def test_english_locale_translates_the_interface_not_the_news() -> None:
    rendered = personal(locale="en")
    assert rendered.subject == f"Ochtendeditie: {LEAD}"
    assert 'lang="en"' in rendered.html
    for part in (rendered.html, rendered.text, rendered.markdown):
        assert "Good morning Anna," in part
        assert "Iran zegt dat het internet geleidelijk wordt hersteld." in part
        assert "Goedemorgen" not in part and "Afmelden" not in part
    assert "Between 6:00\u202fAM and 7:00\u202fAM" in rendered.html
    assert "Other (4)" in rendered.text.title() + rendered.markdown
    assert "[6:45\u202fAM]" in rendered.text


# --- untrusted text and markers -------------------------------------------------


def hostile_edition() -> Edition:
    bad = story("bad001", "<b>PLAATS</b>", HOSTILE, 5, ("iran",), url="javascript:alert(3)")
    return sample_edition(extra=[bad])


def assert_inert(root: ElementTree.Element) -> None:
    tags = {local(e.tag) for e in root.iter()}
    assert not tags & {"script", "img", "iframe", "object"}
    for element in root.iter():
        for attribute, value in element.attrib.items():
            assert not attribute.startswith("on"), (element.tag, attribute)
            assert "javascript:" not in value.lower(), (element.tag, attribute, value)


def test_hostile_brief_is_inert_and_visible_in_html() -> None:
    rendered = personal(hostile_edition())
    root = parse_html(rendered.html)
    assert_inert(root)
    visible = text_of(root)
    assert typographic('<script>alert("x")</script> <img src=x onerror=alert(1)>') in visible
    assert "{{ 7*7 }} {% if 1 %}ja{% endif %}" in visible
    assert "<b>PLAATS</b>" in visible


def test_hostile_brief_is_inert_and_visible_in_markdown() -> None:
    source = personal(hostile_edition()).markdown
    html = markdown.markdown(source)
    root = parse_html(f"<!DOCTYPE html><title>t</title>{html}")
    assert_inert(root)
    visible = text_of(root)
    assert typographic('<script>alert("x")</script> <img src=x onerror=alert(1)>') in visible
    assert "[klik](javascript:alert(1)) <javascript:alert(2)> {{ 7*7 }}" in visible
    assert "*nadruk* _lijn_ `code` # kop & &amp;" in visible


def test_hostile_markdown_is_inert_for_a_commonmark_parser_too() -> None:
    markdown_it = pytest.importorskip(
        "markdown_it", reason="markdown-it-py, the CommonMark reference used here, is absent"
    )
    html = markdown_it.MarkdownIt("commonmark").render(personal(hostile_edition()).markdown)
    root = parse_html(f"<!DOCTYPE html><title>t</title>{html}")
    assert_inert(root)
    assert "*nadruk* _lijn_ `code` # kop & &amp;" in text_of(root)


def test_hostile_brief_is_plain_in_text() -> None:
    text = personal(hostile_edition()).text
    flat = " ".join(text.split())
    assert typographic('<script>alert("x")</script> <img src=x onerror=alert(1)>') in flat
    assert "javascript:alert(3)" not in text  # the unsafe source link is dropped


def test_content_cannot_forge_personalisation_markers() -> None:
    rendered = personal(hostile_edition(), name="Anna")
    for part in (rendered.html, rendered.text, rendered.markdown):
        assert part.count("Anna") == 1
        assert "\ue000" not in part and "\ue001" not in part
    assert rendered.html.count("afmelden?t=abc") == 1


def test_personalise_escapes_each_part_its_own_way() -> None:
    rendered = personalise(
        render(),
        name='<b>"Jan"&amp;Co</b> de Vries',  # the greeting takes the first word
        unsubscribe_url='https://x.example/u?a=1&b="2"',
        preferences_url="mailto:redactie@example.org",
    )
    assert "Goedemorgen &lt;b&gt;&quot;Jan&quot;&amp;amp;Co&lt;/b&gt;," in rendered.html
    assert 'href="https://x.example/u?a=1&amp;b=&quot;2&quot;"' in rendered.html
    assert 'Goedemorgen <b>"Jan"&amp;Co</b>,' in rendered.text
    assert 'Afmelden: https://x.example/u?a=1&b="2"' in rendered.text
    md_html = markdown.markdown(rendered.markdown)
    assert "&lt;b&gt;" in md_html and "<b>" not in md_html
    assert 'href="https://x.example/u?a=1&amp;b=%222%22"' in md_html


def test_personalise_without_a_name_greets_everyone() -> None:
    rendered = personal(name=None)
    assert "Goedemorgen," in rendered.html and "Goedemorgen," in rendered.text


def test_personalise_refuses_script_urls() -> None:
    with pytest.raises(RenderError, match="unsubscribe_url"):
        personalise(
            render(), name=None, unsubscribe_url="javascript:alert(1)", preferences_url="https://x"
        )


def test_editors_note_is_markdown_sanitised_everywhere() -> None:
    note = (
        "Hallo *lezers*. <script>alert(1)</script> <img src=x onerror=alert(2)>\n\n"
        "[gevaar](javascript:alert(3)) [veilig](https://example.org/a) "
        '<a href="java&#115;cript:alert(4)">x</a>'
    )
    rendered = personal(sample_edition(note))
    root = parse_html(rendered.html)
    assert_inert(root)
    note_div = next(e for e in root.iter() if e.get("class") == "note")
    assert local(next(iter(note_div)).tag) == "p"
    assert any(e.get("href") == "https://example.org/a" for e in note_div.iter())
    md_root = parse_html(f"<!DOCTYPE html><title>t</title>{markdown.markdown(rendered.markdown)}")
    assert_inert(md_root)
    assert "<em>lezers</em>" in markdown.markdown(rendered.markdown)


def test_render_is_deterministic_and_states_times_against_the_edition() -> None:
    assert render() == render()
    text = render().text
    assert "[06:45]" in text and "geleden" not in text
    next_day = replace(sample_edition(), window_end=SLOT + timedelta(days=1))
    assert "[gisteren 06:45]" in render(next_day).text
    week_later = replace(sample_edition(), window_end=SLOT + timedelta(days=7))
    assert "[wo 21 jan, 06:45]" in render(week_later).text


AGES = re.compile(r"\b(?:geleden|zojuist|ago|just now|afgelopen uur|past hour)\b", re.IGNORECASE)


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_no_output_states_an_age_measured_when_it_was_built(locale: str) -> None:
    rendered = personal(locale=locale)
    for part in (rendered.subject, rendered.html, rendered.text, rendered.markdown):
        assert not AGES.search(part), AGES.search(part)


def test_a_late_edition_says_when_it_really_went_out() -> None:
    """A first run at 19:57 made an "Ochtendeditie · 07:00" that said "Goedemorgen"."""
    late = replace(sample_edition(), window_end=SLOT.replace(hour=19, minute=57))
    rendered = personal(late)
    assert rendered.subject == f"Ochtendeditie, later verzonden: {LEAD.rsplit(' ', 1)[0]}…"
    for part in (rendered.html, rendered.text, rendered.markdown):
        assert "Ochtendeditie, later verzonden" in part  # title, greeting and time agree
        assert "Goedenavond Anna," in part and "Goedemorgen" not in part
        assert "woensdag 21 januari 2026 · 19:57" in part
        assert "Gepland voor 07:00, verzonden om 19:57." in part
    on_time = personal()
    assert "Gepland voor" not in on_time.text and "Goedemorgen Anna," in on_time.text


def test_a_story_of_two_regions_is_rendered_once_for_a_reader_of_everything() -> None:
    edition = sample_edition()
    first = edition.sections[0]
    twice = replace(edition.sections[1], briefs=(first.briefs[0], *edition.sections[1].briefs))
    doubled = replace(edition, sections=(first, twice, *edition.sections[2:]))
    rendered = render(doubled)
    # the body after its dateline: the headline and "In het kort" repeat its first words
    text = "– " + first.briefs[0].story.text[:40]
    for part in (rendered.text, rendered.markdown):
        assert " ".join(part.split()).count(" ".join(text.split())) == 1


def test_lateness_is_elapsed_time_across_a_dst_change() -> None:
    """Fall-back night: 01:50 CEST to 02:05 CET is 75 minutes, not 15."""
    zone = ZoneInfo("Europe/Amsterdam")
    slot = datetime(2026, 10, 25, 1, 50, tzinfo=zone)
    end = datetime(2026, 10, 25, 2, 5, tzinfo=zone, fold=1)
    edition = replace(sample_edition(), slot=slot, window_start=slot, window_end=end)
    assert end.astimezone(UTC) - slot.astimezone(UTC) == timedelta(minutes=75)
    assert edition.late


def with_an_update() -> Edition:
    """The sample edition with its first brief reworded since the last edition."""
    edition = sample_edition()
    section = edition.sections[0]
    brief = section.briefs[0]
    before = brief.story.text.replace("een bezetting van", "een inval in")
    changes = (("inval in", "bezetting van"),)
    updated = replace(brief, updated=True, changes=changes, before=before)
    return replace(edition, sections=(replace(section, briefs=(updated, *section.briefs[1:])),))


def test_an_updated_story_shows_what_changed() -> None:
    edition = sample_edition()
    section = edition.sections[0]
    brief = replace(
        section.briefs[0], updated=True, changes=(("3.700", "4.100"), ("", "zegt Kyiv"))
    )
    changed = replace(edition, sections=(replace(section, briefs=(brief, *section.briefs[1:])),))
    rendered = personal(changed)
    assert "bijgewerkt: ‘3.700’ → ‘4.100’; nieuw: ‘zegt Kyiv’" in rendered.markdown
    assert re.search(
        r'bijgewerkt</span>: <span class="brief-changes"[^>]*>‘3.700’ → ‘4.100’', rendered.html
    )
    assert "‘3.700’ → ‘4.100’" in " ".join(rendered.text.split())


def test_a_mail_links_to_its_archive_page() -> None:
    url = "https://digest.example.org/archief/2026/01/21/ochtend/"
    rendered = render_edition(
        sample_edition(),
        site_title="Digest",
        base_url="https://digest.example.org",
        archive_url=url,
    )
    assert f'href="{url}"' in rendered.html and "Bekijk online" in rendered.html
    assert f"Bekijk online: {url}" in rendered.text
    assert f"[Bekijk online]({url})" in rendered.markdown


# --- archive body -------------------------------------------------------------


def test_archive_body_is_the_same_sections_without_inline_css_or_markers() -> None:
    edition = sample_edition(NOTE)
    body = render_edition_body(edition, locale="nl")
    assert "style=" not in body and "\ue000" not in body
    fragment = parse_html(f"<!DOCTYPE html><title>t</title>{body}")
    mail = parse_html(personal(edition).html)

    def briefs(root: ElementTree.Element) -> list[str]:
        return [
            text_of(e) for e in root.iter() if e.get("class") in {"brief-text", "section-title"}
        ]

    assert briefs(fragment) == briefs(mail)


# --- golden files -------------------------------------------------------------


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_golden_outputs(locale: str) -> None:
    rendered = personal(locale=locale)
    check_golden(f"sample-{locale}.html", rendered.html)
    check_golden(f"sample-{locale}.txt", rendered.text)
    check_golden(f"sample-{locale}.md", rendered.markdown)
    check_golden(
        f"sample-{locale}.body.html", render_edition_body(sample_edition(NOTE), locale=locale)
    )


# --- in a browser ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "width", "scheme"),
    [("desktop", 1280, "light"), ("phone", 375, "light"), ("phone-dark", 375, "dark")],
)
def test_mail_in_chromium_fits_and_is_screenshotted(
    page: Page, label: str, width: int, scheme: str
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    page.set_content(personal().html, wait_until="load")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{label}: {overflow}px wider than the viewport"
    heading = page.locator(".section-title").first
    assert heading.inner_text().startswith("Groenland")
    font_size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.brief-text')).fontSize)"
    )
    assert font_size >= 15
    shot = save_screenshot(page, f"edition-mail-{label}")
    assert shot.stat().st_size > 10_000


# axe's page rules ask for a <main> landmark; a mail is one article inside the
# reader's mail client, marked role="article" as e-mail accessibility guides advise.
PAGE_ONLY_RULES = {"landmark-one-main", "region"}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_mail_has_no_accessibility_violations(page: Page, scheme: str) -> None:
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    page.set_content(personal(with_an_update()).html, wait_until="load")
    assert page.locator("mark.brief-changed").count() == 1  # marks and changes line checked too
    if scheme == "dark":  # axe leaves inline-coloured text on a dark media query "incomplete"
        changes = page.locator(".brief-changes").evaluate("e => getComputedStyle(e).color")
        assert changes == "rgb(232, 230, 227)", "the changes line must be light on dark"
    found = [(v["id"], v["help"]) for v in axe_violations(page) if v["id"] not in PAGE_ONLY_RULES]
    assert found == []


def test_events_are_kept_by_content_and_an_unhashable_edition_still_renders() -> None:
    from digest.render.environment import events_by_section

    edition = sample_edition()
    copy = replace(edition, sections=tuple(replace(s) for s in edition.sections))
    assert events_by_section(copy) is events_by_section(edition)  # equal sections: kept once
    section = edition.sections[0]
    brief = replace(section.briefs[0], changes=[("text", "x")])  # type: ignore[arg-type]
    odd = replace(edition, sections=(replace(section, briefs=(brief,)), *edition.sections[1:]))
    assert render_edition_body(odd) == render_edition_body(odd)


def test_an_entry_whose_briefs_span_bands_says_since_when() -> None:
    """The entry sits under the band of its newest brief ("Tussen 06:00 en 07:00");
    when its oldest brief is from an earlier band the entry says "sinds 02:00", so
    the band is not read as the time of every brief beneath it."""
    from digest.edition.group import group_edition
    from tests.sample_edition import REGIONS, START

    text = "Denemarken stuurt extra militairen en schepen naar Groenland, meldt de Deense regering."
    spread = [
        story("g1", "KOPENHAGEN", text, 20, ("groenland",)),
        story(
            "g2", "NUUK", text.replace("meldt de Deense regering", "zegt Nuuk"), 300, ("groenland",)
        ),
    ]
    near = [
        story("g3", "KOPENHAGEN", text, 20, ("groenland",)),
        story(
            "g4", "NUUK", text.replace("meldt de Deense regering", "zegt Nuuk"), 40, ("groenland",)
        ),
    ]
    fill = [  # other briefs in the edition, so that three alike briefs still share terms
        story(f"f{k}", "ROME", f"De paus bezoekt stad {k} en spreekt over {w}.", 30 + k, ("iran",))
        for k, w in enumerate("appels peren druiven kersen bananen mango citroen limoen".split())
    ]
    undated = [  # an undated brief sorts last in the entry; the dated ones decide
        story("g5", "KOPENHAGEN", text, 20, ("groenland",)),
        story("g6", "NUUK", text, 300, ("groenland",)),
        story("g7", "GOES", text, None, ("groenland",)),
        *fill,
    ]
    featured = [  # under "Uitgelicht", a band that states no time: no "sinds"
        story("a1", "KOPENHAGEN", text, None, ("groenland",), kind="article"),
        story("g8", "NUUK", text, 300, ("groenland",)),
        *fill,
    ]
    cases = ((spread, True), (near, False), (undated, True), (featured, False))
    for stories, since in cases:
        edition = group_edition(
            stories,
            regions=REGIONS,
            name="ochtend",
            title="Ochtendeditie",
            slot=SLOT,
            window_start=START,
            zone=ZoneInfo("Europe/Amsterdam"),
        )
        for locale, word in (("nl", "sinds 02:00"), ("en", "since 2:00")):
            out = render(edition, locale)
            label = re.search(r'class="event-count"[^>]*>([^<]*)<', out.html)
            assert label is not None, "the two briefs must form one entry"
            assert (word in label.group(1)) is since, label.group(1)
            text, md = (
                " ".join(t.replace("\u202f", " ").split()) for t in (out.text, out.markdown)
            )
            assert (word in text) is since and (word in md) is since


QUAKE = [
    story(
        "quake1",
        "ANKARA",
        "Bij een zware aardbeving in het oosten van Turkije zijn zeker "
        "veertig doden gevallen. Reddingswerkers zoeken in het puin van ingestorte huizen naar "
        "overlevenden.",
        30,
    ),
    story(
        "quake2",
        "ISTANBUL",
        "De aardbeving in het oosten van Turkije had een kracht van 6,8. "
        "Het Turkse rampenbureau meldt dat honderden huizen zijn ingestort.",
        45,
    ),
    story(
        "quake3",
        "GENÈVE",
        "De VN sturen reddingswerkers naar het oosten van Turkije na de "
        "zware aardbeving. Ook Nederland biedt hulp aan met een reddingsteam.",
        50,
    ),
]
ARCHIVE_PAGE = "https://digest.example.org/archief/2026/01/21/ochtend/"


def render_linked(edition: Edition, archive_url: str | None = ARCHIVE_PAGE) -> RenderedEdition:
    return render_edition(
        edition,
        locale="nl",
        archive_url=archive_url,
        site_title="Digest",
        base_url=SITE["base_url"],
    )


def test_a_mail_linking_to_the_archive_shows_an_events_other_briefs_by_first_sentence() -> None:
    rendered = render_linked(sample_edition(extra=QUAKE))
    root = parse_html(rendered.html)
    (also,) = [ul for ul in root.iter(f"{NS}ul") if ul.get("class") == "also"]
    items = [text_of(li) for li in also.iter(f"{NS}li")]
    assert len(items) == 2
    assert "De aardbeving in het oosten van Turkije had een kracht van 6,8." in items[0]
    assert "rampenbureau" not in items[0] and "reddingsteam" not in items[1]
    assert "Reddingswerkers zoeken in het puin" in rendered.html  # the lead brief stays whole
    links = [a for a in root.iter(f"{NS}a") if a.get("class") == "also-link"]
    assert [text_of(a) for a in links] == ["Lees alle 3 berichten in het archief"]
    assert links[0].get("href") == ARCHIVE_PAGE + "#brief-quake1"
    label, target = "Lees alle 3 berichten in het archief", ARCHIVE_PAGE + "#brief-quake1"
    assert f"{label}: {target}" in rendered.text
    assert f"[{label}]({target})" in rendered.markdown
    second = "De aardbeving in het oosten van Turkije had een kracht van 6,8."
    assert f"- **ISTANBUL (ANP)** – {second} *" in rendered.markdown
    assert "rampenbureau" not in rendered.text and "rampenbureau" not in rendered.markdown


def test_without_an_archive_to_link_to_an_event_is_shown_whole() -> None:
    rendered = render_linked(sample_edition(extra=QUAKE), archive_url=None)
    assert 'class="also' not in rendered.html
    for part in (rendered.html, rendered.text, rendered.markdown):
        assert "Het Turkse rampenbureau meldt" in part and "reddingsteam" in part


def test_an_event_of_one_sentence_briefs_is_not_shortened() -> None:
    short = [
        replace(s, text=lead_sentence(s.text), id=s.id + "s") for s in QUAKE
    ]  # each brief is its first sentence: cutting would lose nothing, so nothing is cut
    rendered = render_linked(sample_edition(extra=short))
    assert 'class="also' not in rendered.html and "Lees alle" not in rendered.text
    assert "Het Turkse rampenbureau" not in rendered.html  # (it was the second sentence)
    assert "De aardbeving in het oosten van Turkije had een kracht van 6,8." in rendered.html


def test_the_archive_body_keeps_every_brief_whole_and_anchors_each() -> None:
    body = render_edition_body(sample_edition(extra=QUAKE))
    assert 'class="also' not in body and "Het Turkse rampenbureau meldt" in body
    assert all(f'id="brief-{s.id}"' in body for s in QUAKE)


def test_a_trimmed_mail_counts_an_events_briefs_it_no_longer_shows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Past the budget each entry keeps two briefs: the labels still count all three.
    from digest.render import outputs

    monkeypatch.setattr(outputs, "HTML_BUDGET", 1000)
    rendered = render_linked(sample_edition(extra=QUAKE))
    assert "quake3" not in rendered.html  # the third brief gave way
    assert "3 berichten hierover" in rendered.html
    assert "Lees alle 3 berichten in het archief" in rendered.html
    assert "Lees alle 3 berichten in het archief" in rendered.text
