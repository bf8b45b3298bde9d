"""Pre-flight: what `digest build` prints and `digest send` refuses on."""

from __future__ import annotations

from dataclasses import replace

from digest.render.outputs import GMAIL_LIMIT
from digest.render.preflight import preflight
from tests.test_render import render


def test_the_sample_edition_passes() -> None:
    checks = preflight(render())
    assert checks.ok and not checks.warnings, checks.describe()
    assert checks.describe().startswith("pre-flight: html ") and checks.describe().endswith(": ok")
    assert 0 < checks.html_bytes < GMAIL_LIMIT


def test_hard_failures_are_found() -> None:
    rendered = render()
    broken = rendered.html.replace(
        "</body>",
        '<a href="#nergens">x</a><a href="javascript:alert(1)">y</a><img src="a.png">'
        "\ue000voornaam\ue001</body>",
    )
    checks = preflight(replace(rendered, html=broken, subject=" "))
    text = "\n".join(checks.errors)
    assert not checks.ok
    assert "broken link '#nergens'" in text and "broken link 'javascript:alert(1)'" in text
    assert "1 image(s) without alt text" in text
    assert "unfilled personalisation marker in the html part" in text
    assert "empty subject" in text


def test_an_oversized_mail_and_a_long_subject() -> None:
    rendered = render()
    big = rendered.html.replace("</body>", "<p>" + "x" * GMAIL_LIMIT + "</p></body>")
    checks = preflight(replace(rendered, html=big, subject="Ochtendeditie: " + "lang " * 30))
    assert any("Gmail clips" in e for e in checks.errors)
    assert any("subject is" in w for w in checks.warnings)
