"""``digest send``: the command, its dry run, and runs killed with SIGKILL then rerun."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from digest.cli import main
from digest.deliver import ledger
from digest.store import Store, open_store
from digest.store.subscribers import list_subscribers
from digest.tokens import SECRET_ENV
from tests.delivery_helpers import SECRET, add_readers, make_edition, record, write_config
from tests.support import free_port
from tests.support.sendgrid_server import SendGridServer, processed_events
from tests.support.smtp_server import SmtpServer

EDITION = "ochtend-2026-01-21T0700"
DIGEST = Path(sys.executable).with_name("digest")


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    monkeypatch.delenv("DIGEST_DATABASE_URL", raising=False)


def prepare(tmp: Path, readers: int, **delivery: object) -> Path:
    """A config in ``tmp`` with a recorded edition and ``readers`` active subscribers."""
    config = write_config(tmp, **delivery)
    store = open_store(f"sqlite:///{tmp / 'digest.db'}")
    record(store, make_edition())
    add_readers(store, readers)
    store.close()
    return config


def with_store(tmp: Path) -> Store:
    return open_store(f"sqlite:///{tmp / 'digest.db'}")


def wanted(tmp: Path) -> list[str]:
    store = with_store(tmp)
    found = [s.email for s in list_subscribers(store) if s.regions != frozenset({"limburg"})]
    store.close()
    return sorted(found)


def counts(tmp: Path) -> dict[str, int]:
    store = with_store(tmp)
    found = ledger.counts(store, EDITION)
    store.close()
    return found


def test_send_refuses_without_the_signing_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = prepare(tmp_path, 2)
    monkeypatch.delenv(SECRET_ENV)
    assert main(["--config", str(config), "send"]) == 1
    assert f"digest: error: {SECRET_ENV} is not set" in capsys.readouterr().err
    assert not (tmp_path / "outbox").exists()


def test_dry_run_shows_each_segment_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = prepare(tmp_path, 40)
    assert main(["--config", str(config), "send", "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == (
        f"{EDITION} (dry run, outbox): 37 of 40 active subscribers would get mail, "
        "in 32 segments; nothing sent"
    )
    assert (
        "nl, regions limburg: 2 recipients: nothing new in these regions, none would get mail"
        in out
    )
    segment = "nl, regions groenland, limburg: 2 recipients: 2 would get 'Ochtendeditie: "
    assert any(
        line.startswith(segment) and line.endswith("' (3 stories in Groenland)") for line in out
    )  # the subject names the segment's lead event
    assert any(line.startswith("en, all regions: 1 recipient: 1 would get") for line in out)
    assert counts(tmp_path) == {} and not (tmp_path / "outbox").exists()


def test_send_then_send_again_sends_nothing_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = prepare(tmp_path, 20)
    assert main(["--config", str(config), "send", "ochtend", "--at", "2026-01-21T07:00"]) == 0
    assert (
        capsys.readouterr()
        .out.splitlines()[-1]
        .startswith(
            f"{EDITION} via outbox: 19 sent now, 0 before, 1 skipped, 0 failed, 0 uncertain"
        )
    )
    assert main(["--config", str(config), "send"]) == 0
    assert "0 sent now, 19 before" in capsys.readouterr().out
    assert len(list((tmp_path / "outbox").iterdir())) == 19


def test_send_to_one_subscriber(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = prepare(tmp_path, 5)
    assert main(["--config", str(config), "send", "--to", "READER000001@example.org"]) == 0
    assert [p.name for p in (tmp_path / "outbox").iterdir()] == [f"{EDITION}.2.eml"]
    assert counts(tmp_path) == {"sent": 1}
    assert main(["--config", str(config), "send", "--to", "nobody@example.org"]) == 1
    assert "not a subscriber" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["--at", "2026-01-22T07:00"], "no recorded edition ochtend-2026-01-22T0700", 1),
        (["avond"], "no edition 'avond'; choose from: ochtend", 2),  # a usage error
    ],
)
def test_a_missing_edition_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str, code: int
) -> None:
    config = prepare(tmp_path, 1)
    assert main(["--config", str(config), "send", *args]) == code
    assert message in capsys.readouterr().err


def test_failures_left_make_the_exit_status_one(
    tmp_path: Path,
    sendgrid_server: SendGridServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.test")
    config = prepare(
        tmp_path, 1, backend="sendgrid", max_retries=0, sendgrid={"host": sendgrid_server.url}
    )
    sendgrid_server.fail_next(500)
    assert main(["--config", str(config), "send"]) == 1
    captured = capsys.readouterr()
    assert "digest: failed: reader000000@example.org: gave up after 1 attempt" in captured.err
    assert "1 mail failed and 0 uncertain" in captured.err
    assert main(["--config", str(config), "send"]) == 0  # the next run retries it
    assert len(sendgrid_server.recipients()) == 1


def test_send_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["send", "--help"]) == 0
    assert "--retry-uncertain" in capsys.readouterr().out


# --- SIGKILL at random moments, then rerun ---------------------------------------------


def start(config: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, SECRET_ENV: SECRET}
    return subprocess.Popen(
        [str(DIGEST), "--config", str(config), "send", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_at_random(
    config: Path, times: int, seed: int, progress: Callable[[], int], *args: str
) -> int:
    """Start ``digest send`` and SIGKILL it at a random point of its progress,
    ``times`` times: after a random number (1-40) of further mails reached
    ``progress`` (a run that finished first is not killed); how many were
    killed. Counting mails, not seconds, keeps the kills inside the sending
    however fast the machine is."""
    rng = random.Random(seed)
    killed = 0
    for _ in range(times):
        target = progress() + rng.randint(1, 40)
        proc = start(config, *args)
        deadline = time.monotonic() + 60
        while proc.poll() is None and progress() < target and time.monotonic() < deadline:
            time.sleep(0.002)
        if proc.poll() is None:
            proc.kill()  # SIGKILL: no cleanup of any kind
            killed += 1
        proc.wait()
    return killed


def files(outbox: Path) -> dict[str, tuple[int, int]]:
    """Every .eml with the identity of the write that made it."""
    if not outbox.exists():
        return {}
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in outbox.glob("*.eml")}


@pytest.mark.slow
def test_killed_outbox_sends_resume_without_loss_or_double(tmp_path: Path) -> None:
    config = prepare(tmp_path, 400)
    outbox = tmp_path / "outbox"
    seen: dict[str, tuple[int, int]] = {}
    rng = random.Random(11)
    killed = 0
    for _ in range(4):
        killed += kill_at_random(config, 1, rng.randrange(1000), lambda: len(files(outbox)))
        now = files(outbox)
        assert {k: now[k] for k in seen} == seen, "a written mail was written again"
        seen = now
    assert killed >= 2
    final = subprocess.run(
        [str(DIGEST), "--config", str(config), "send"],
        env={**os.environ, SECRET_ENV: SECRET},
        capture_output=True,
        text=True,
        check=False,
    )
    assert final.returncode == 0, final.stderr
    done = files(outbox)
    assert {k: done[k] for k in seen} == seen
    subscribers = {p.split(".")[-2] for p in done}
    assert len(done) == len(subscribers) == len(wanted(tmp_path))
    assert counts(tmp_path) == {"sent": len(done), "skipped": 25}


@pytest.mark.slow
def test_killed_smtp_sends_never_double_and_say_what_is_uncertain(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    """SMTP has no events: the documented policy resends an uncertain mail once after
    the wait, with the same Message-ID. Measured: nobody missing, and a double only
    where a kill left a mail uncertain that had in fact arrived."""
    smtp = {"host": smtp_server.host, "port": smtp_server.port, "security": "none"}
    config = prepare(tmp_path, 300, backend="smtp", resend_uncertain_after="1h", smtp=smtp)
    killed = kill_at_random(config, 3, 5, lambda: len(smtp_server.recipients()))
    assert killed >= 2
    final = start(config)
    assert final.wait(timeout=120) == 0  # mails left uncertain wait: not a failure
    received = smtp_server.recipients()
    assert len(received) == len(set(received)), "a mail was sent twice"
    state = counts(tmp_path)
    uncertain = state.get("uncertain", 0)
    assert uncertain <= killed  # at most the one mail in flight per kill
    expected = {"sent": len(wanted(tmp_path)) - uncertain, "skipped": 19}
    assert state == {**expected, **({"uncertain": uncertain} if uncertain else {})}
    missing = set(wanted(tmp_path)) - set(received)
    assert len(missing) <= uncertain  # nobody missing who is not reported uncertain
    # The wait (1h) passes: the uncertain ones are resent once, by policy. Their
    # hand-over is moved two hours back rather than waiting an hour here.
    with sqlite3.connect(tmp_path / "digest.db") as conn:
        conn.execute(
            "UPDATE deliveries SET claimed_at = datetime(claimed_at, '-2 hours') "
            "WHERE status = 'uncertain'"
        )
    resend = start(config)
    assert resend.wait(timeout=120) == 0
    received = smtp_server.recipients()
    assert set(received) == set(wanted(tmp_path))
    doubled = len(received) - len(set(received))
    assert doubled <= uncertain  # doubles only where uncertain
    assert counts(tmp_path) == {"sent": len(wanted(tmp_path)), "skipped": 19}
    print(f"\nSMTP: {killed} kills, {uncertain} uncertain, {doubled} doubled, 0 missing")


# --- SendGrid: killed runs settled by the event webhook of `digest serve` -----------------


def _serve(config: Path, port: int, public_key: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, SECRET_ENV: SECRET, "SENDGRID_WEBHOOK_PUBLIC_KEY": public_key}
    proc = subprocess.Popen(
        [str(DIGEST), "--config", str(config), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("digest serve did not come up")


def _poster(url: str, key: ec.EllipticCurvePrivateKey, log: list[int]) -> Any:
    """Post each accepted request's processed events, signed, to ``url`` (as SendGrid)."""

    def post(request: Any) -> None:
        payload = json.dumps(processed_events(request)).encode()
        stamp = str(int(time.time()))
        signature = key.sign(stamp.encode() + payload, ec.ECDSA(hashes.SHA256()))
        headers = {
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
            "Content-Type": "application/json",
        }
        for _ in range(50):  # SendGrid retries a webhook that fails
            try:
                answer = httpx.post(url, content=payload, headers=headers, timeout=10)
            except httpx.HTTPError:
                answer = None
            if answer is not None and answer.status_code == 200:
                log.append(answer.json()["settled"])
                return
            time.sleep(0.2)

    return post


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_killed_sendgrid_sends_are_settled_by_events_with_none_doubled_or_missing(
    tmp_path: Path, sendgrid_server: SendGridServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """20 SIGKILLs at random points of a SendGrid delivery whose events go to
    `digest serve`'s webhook; then runs until nothing is left to settle."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = base64.b64encode(
        key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    ).decode()
    port = free_port()
    settled: list[int] = []
    sendgrid_server.on_accepted = _poster(
        f"http://127.0.0.1:{port}/webhooks/sendgrid", key, settled
    )
    sendgrid_server.delay = 0.03  # kills land while requests are in flight, too
    config = prepare(
        tmp_path,
        1200,
        backend="sendgrid",
        resend_uncertain_after="1m",  # the shortest wait the config allows
        sendgrid={"host": sendgrid_server.url, "batch_size": 10},
    )
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.test-key")
    server = _serve(config, port, public)
    try:
        killed = kill_at_random(config, 20, 14, lambda: len(sendgrid_server.recipients()))
        assert killed == 20
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            final = subprocess.run(
                [str(DIGEST), "--config", str(config), "send"],
                env={**os.environ, SECRET_ENV: SECRET},
                capture_output=True,
                text=True,
                check=False,
            )
            assert final.returncode == 0, final.stderr
            state = counts(tmp_path)
            if set(state) <= {"sent", "skipped"}:
                break
            time.sleep(1)
    finally:
        server.kill()
        server.wait()
    received = Counter(sendgrid_server.recipients())
    assert sendgrid_server.invalid == []
    assert sorted(received) == wanted(tmp_path)  # 0 missing
    assert [a for a, n in received.items() if n > 1] == []  # 0 doubled
    assert counts(tmp_path) == {"sent": len(wanted(tmp_path)), "skipped": 75}
    print(f"\n{killed} kills; {sum(settled)} rows settled by events; {len(received)} accepted once")


def test_send_refuses_an_edition_that_fails_its_pre_flight(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = prepare(tmp_path, 2)
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[site]\n", '[site]\ntemplates = "mine"\n', 1), "utf-8")
    (tmp_path / "mine/partials").mkdir(parents=True)
    (tmp_path / "mine/partials/front.html").write_text('<img src="x.png"><a href="#nergens">x</a>')
    assert main(["--config", str(config), "send"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"digest: error: edition {EDITION} (nl): pre-flight failed (broken link '#nergens'; "
        "1 image(s) without alt text); nothing sent; fix the templates or the edition and "
        "send again"
    ]
    assert counts(tmp_path) == {} and not (tmp_path / "outbox").exists()


def test_send_test_mails_one_segment_to_any_address_outside_the_ledger(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = prepare(tmp_path, 3)
    args = ["--config", str(config), "send", "--test", "redactie@example.org"]
    assert main([*args, "--regions", "groenland", "--locale", "en"]) == 0
    out = capsys.readouterr().out
    assert "test mail '[TEST] Ochtendeditie: " in out and "(not in the ledger)" in out
    (mail,) = list((tmp_path / "outbox").iterdir())
    message = email.message_from_bytes(mail.read_bytes(), policy=email.policy.default)
    assert message["To"] == "redactie@example.org"
    assert str(message["Subject"]).startswith("[TEST] Ochtendeditie: ")
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "GROENLAND" in text and "ZEELAND" not in text and "Good morning" in text
    assert counts(tmp_path) == {}  # a real send afterwards still reaches everyone
    assert main(["--config", str(config), "send", "--regions", "groenland"]) == 1
    assert "--regions and --locale go with --test ADDRESS" in capsys.readouterr().err
    assert main([*args[:-1], "niet-een-adres"]) == 1
    assert "--test: 'niet-een-adres' is not an address" in capsys.readouterr().err


def test_preview_writes_the_edition_as_a_segment_gets_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = prepare(tmp_path, 1)
    out_dir = tmp_path / "preview"
    args = ["--config", str(config), "preview", "--regions", "zeeland", "--out", str(out_dir)]
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("subject: Ochtendeditie: ") and lines[1].startswith("preheader: ")
    html = (out_dir / f"{EDITION}-nl-zeeland.html").read_text(encoding="utf-8")
    assert "Zeeland" in html and "Groenland (" not in html and "\ue000" not in html
    assert counts(tmp_path) == {} and not (tmp_path / "outbox").exists()
    assert main([*args[:3], "--regions", "atlantis"]) == 1
    assert "--regions: unknown region 'atlantis'" in capsys.readouterr().err
