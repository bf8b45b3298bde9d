"""The editor's page in `digest serve`: behind a login (argon2 hash or token)
and CSRF, it previews the waiting edition and approves or holds it; approved
there, the edition goes out once with the next run."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from argon2 import PasswordHasher

from digest.config import load_config
from digest.store import open_store
from digest.store.approvals import get_approval
from digest.tokens import TokenSigner
from digest.web import create_app
from digest.web.editor import EditorLogin, editor_login_from_env
from tests.test_approval import Answer, approval_site, cli  # noqa: F401  (fixtures)
from tests.test_run import AMS_AT, SECRET, SLOT_KEY, Site, site  # noqa: F401

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

EDITION_ID = "ochtend-2026-01-21T0700"
PASSWORD = "een lang redactiewachtwoord"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
EVERYONE = {e: 1 for e in ("ans@example.nl", "bram@example.nl", "cor@example.nl")}


def test_the_login_takes_an_argon2_hash_or_a_long_token() -> None:
    login = EditorLogin(password_hash=PasswordHasher().hash(PASSWORD))
    assert login.accepts(PASSWORD) and not login.accepts("fout") and not login.accepts("")
    assert EditorLogin(token="t" * 20).accepts("t" * 20)
    assert editor_login_from_env({}) is None
    assert editor_login_from_env({"DIGEST_EDITOR_TOKEN": "kort"}) is None  # too short
    assert EditorLogin(password_hash="not-a-hash").accepts("x") is False


@pytest.fixture
def editor(approval_site: Site) -> Iterator[TestClient]:  # noqa: F811
    config = load_config(approval_site.config)
    store = open_store(approval_site.url)
    app = create_app(
        config,
        store,
        signer=TokenSigner(SECRET),
        environ={"DIGEST_EDITOR_PASSWORD_HASH": PasswordHasher().hash(PASSWORD)},
        now=lambda: datetime.fromisoformat("2026-01-21T07:30:00+01:00"),
    )
    with TestClient(app, base_url="https://digest.example.org") as client:
        yield client
    store.close()


def _csrf(page: str) -> str:
    found = CSRF.search(page)
    assert found is not None
    return found.group(1)


def test_the_editor_approves_on_the_page_and_the_next_run_sends_it_once(
    approval_site: Site,  # noqa: F811
    cli: Callable[..., Answer],  # noqa: F811
    editor: TestClient,
) -> None:
    assert cli("run", "--at", AMS_AT).exit_code == 0
    assert approval_site.received() == {}
    closed = editor.get(f"/editor/{EDITION_ID}")  # no preview before the login
    assert closed.status_code == 200 and "Inloggen als redacteur" in closed.text
    assert "Groenland" not in closed.text
    token = _csrf(closed.text)
    wrong = editor.post("/editor", data={"csrf": token, "secret": "fout"})
    assert wrong.status_code == 403 and "klopt niet" in wrong.text
    forged = editor.post("/editor", data={"secret": PASSWORD})
    assert forged.status_code == 403
    home = editor.post("/editor", data={"csrf": token, "secret": PASSWORD})
    assert home.status_code == 200 and EDITION_ID in home.text
    preview = editor.get(f"/editor/{EDITION_ID}")
    assert preview.status_code == 200 and "Groenland" in preview.text
    assert 'value="approve"' in preview.text and 'value="hold"' in preview.text
    fresh = _csrf(preview.text)
    assert token != fresh  # a new session at login
    no_csrf = editor.post(f"/editor/{EDITION_ID}", data={"action": "approve"})
    assert no_csrf.status_code == 403
    held = editor.post(f"/editor/{EDITION_ID}", data={"csrf": fresh, "action": "hold"})
    assert held.status_code == 200 and "Tegengehouden" in held.text
    assert "waiting for approval (held)" in cli("run", "--at", "2026-01-21T07:40:00+01:00").output
    assert approval_site.received() == {}
    approved = editor.post(
        f"/editor/{EDITION_ID}", data={"csrf": fresh, "action": "approve", "note": "akkoord"}
    )
    assert approved.status_code == 200 and "Goedgekeurd" in approved.text
    store = open_store(approval_site.url)
    try:
        approval = get_approval(store, EDITION_ID)
        assert approval is not None and approval.state == "approved"
        assert (approval.note, approval.decided_by) == ("akkoord", "editor page")
    finally:
        store.close()
    again = editor.post(f"/editor/{EDITION_ID}", data={"csrf": fresh, "action": "hold"})
    assert again.status_code == 409  # decided: nothing more to decide
    sent = cli("run", "--at", "2026-01-21T07:45:00+01:00")
    assert f"{SLOT_KEY}: done:" in sent.output, sent.output
    assert approval_site.received() == EVERYONE
    cli("run", "--at", "2026-01-21T08:00:00+01:00")
    assert approval_site.received() == EVERYONE


def test_without_a_login_configured_the_page_is_off(approval_site: Site) -> None:  # noqa: F811
    config = load_config(approval_site.config)
    store = open_store(approval_site.url)
    app = create_app(config, store, signer=TokenSigner(SECRET), environ={})
    with TestClient(app) as client:
        page = client.get("/editor")
        assert page.status_code == 404 and "DIGEST_EDITOR_PASSWORD_HASH" in page.text
    store.close()
