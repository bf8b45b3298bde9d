"""A fixed, seed-like edition for render tests and golden files (no store needed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from digest.edition.group import group_edition
from digest.model import Edition, Story

ZONE = ZoneInfo("Europe/Amsterdam")
SLOT = datetime(2026, 1, 21, 7, 0, tzinfo=ZONE)
START = SLOT - timedelta(hours=24)
HOSTILE = (
    '<script>alert("x")</script> <img src=x onerror=alert(1)> '
    "[klik](javascript:alert(1)) <javascript:alert(2)> {{ 7*7 }} {% if 1 %}ja{% endif %} "
    "*nadruk* _lijn_ `code` # kop & &amp; \ue000name\ue001 \ue000unsubscribe_url\ue001"
)


@dataclass(frozen=True)
class Region:
    id: str
    name: str


REGIONS = (
    Region("groenland", "Groenland"),
    Region("iran", "Iran"),
    Region("venezuela", "Venezuela"),
)


def story(
    sid: str,
    dateline: str | None,
    text: str,
    minutes: float | None,
    regions: tuple[str, ...] = (),
    **extra: object,
) -> Story:
    fields: dict[str, object] = {
        "id": sid,
        "kind": "brief",
        "title": None,
        "dateline": dateline,
        "agencies": ("ANP",) if dateline else (),
        "text": text,
        "published_at": SLOT - timedelta(minutes=minutes) if minutes is not None else None,
        "section": "Buitenland",
        "source": "seeds/000.txt",
        "first_seen": SLOT - timedelta(hours=2),
        "last_seen": SLOT - timedelta(hours=1),
        "regions": regions,
    }
    fields.update(extra)
    return Story(**fields)  # type: ignore[arg-type]


def sample_stories() -> list[Story]:
    g, i, v = ("groenland",), ("iran",), ("venezuela",)
    return [
        story(
            "lead01",
            "MOSKOU",
            "De Russische defensieminister zegt dat 71 militairen zijn gedood.\n\n"
            "Aan de Oekraïense kant zouden zeker 3700 doden en gewonden zijn gevallen.",
            None,
            kind="article",
            title="Rusland: 71 militairen gedood door Oekraïens offensief",
            agencies=("ANP", "RTR"),
        ),
        story(
            "grl001",
            "WASHINGTON",
            "Trump wil niets zeggen over een bezetting van Groenland.",
            15,
            g,
        ),
        story(
            "grl002",
            "BRUSSEL",
            "De veiligheid in het Arctische gebied is een gedeeld trans-Atlantisch belang, "
            'zegt EU-buitenlandchef Kaja Kallas. "Dreigen met importheffingen is niet de '
            'juiste aanpak", schrijft ze op X.',
            40,
            g,
        ),
        story(
            "grl003", "BRUSSEL", "Duitsland en Frankrijk noemen de Groenlandcrisis cruciaal.", 75, g
        ),
        story(
            "grl004",
            "NUUK",
            "Groenlanders demonstreren opnieuw voor zelfbeschikking.",
            60 * 11,
            g,
            first_seen=START - timedelta(hours=3),
            updated_at=SLOT - timedelta(hours=3),
        ),
        story("irn001", "TEHERAN", "Iran zegt dat het internet geleidelijk wordt hersteld.", 23, i),
        story(
            "irn002",
            "GENÈVE",
            "Volker Türk ziet een toename van executies; in Iran zeker 1500 in 2025.",
            90,
            i,
            agencies=("ANP", "AFP"),
            url="https://example.org/nieuws/irn002",
        ),
        story("irn003", "TEHERAN", "De executie van een demonstrant is uitgesteld.", 60 * 9, i),
        story("ven001", "WASHINGTON", "De Senaat blokkeert een resolutie over Venezuela.", 34, v),
        story("ven002", "CARACAS", "De oppositie roept op tot nieuwe verkiezingen.", 60 * 30, v),
        story(
            "oth001",
            "PARIJS",
            "Frankrijk wil de begroting buiten het parlement om doordrukken.",
            54,
        ),
        story("oth002", "VLISSINGEN", "Een veerboot is uit de vaart genomen.", None, agencies=()),
        story("oth003", None, "Bericht zonder plaatsnaam, met 12.000 deelnemers.", 60 * 50),
    ]


def sample_edition(note: str | None = None, extra: list[Story] | None = None) -> Edition:
    return group_edition(
        [*sample_stories(), *(extra or [])],
        REGIONS,
        name="ochtend",
        title="Ochtendeditie",
        slot=SLOT,
        window_start=START,
        zone=ZONE,
        note_markdown=note,
    )


NOTE = (
    "**Van de redactie:** vanaf maandag verschijnt ook een [avondeditie](https://example.org/avond).\n\n"
    "- Groenland blijft een *hoofdthema*\n- Meer regio's volgen\n"
)
