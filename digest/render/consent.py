"""The consent text a reader agrees to, as shown on the sign-up and
preferences pages (``templates/web/consent.html``, translated, overridable):
its words are what the consent log's ``text_version`` hashes."""

from __future__ import annotations

import jinja2


def consent_statement(env: jinja2.Environment, site_title: str) -> str:
    """The consent text in ``env``'s language, spacing normalised."""
    text = env.get_template("web/consent.html").render(site_title=site_title)
    return " ".join(text.split())
