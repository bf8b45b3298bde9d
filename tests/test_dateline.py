"""Datelines: places as printed, agencies as a list, and what is not a dateline."""

from __future__ import annotations

import pytest

from digest.ingest.dateline import Dateline, match_dateline


@pytest.mark.parametrize(
    ("line", "place", "agencies"),
    [
        ("MOSKOU (ANP/RTR) - Tekst", "MOSKOU", ("ANP", "RTR")),
        ("MEXICO-STAD (ANP/AFP) - Tekst", "MEXICO-STAD", ("ANP", "AFP")),
        ("DEN HAAG (ANP) - Tekst", "DEN HAAG", ("ANP",)),
        ("ST. ANTON AM ARLBERG (ANP) - Tekst", "ST. ANTON AM ARLBERG", ("ANP",)),
        ("'S-HERTOGENBOSCH (ANP) - Tekst", "'S-HERTOGENBOSCH", ("ANP",)),
        ("’S-HERTOGENBOSCH (ANP) - Tekst", "'S-HERTOGENBOSCH", ("ANP",)),
        ("'s-GRAVENHAGE (ANP) - Tekst", "'s-GRAVENHAGE", ("ANP",)),
        ("TEHERAN/JERUZALEM (ANP/RTR) - Tekst", "TEHERAN/JERUZALEM", ("ANP", "RTR")),
        ("MARGRATEN/HILVERSUM (ANP) - Tekst", "MARGRATEN/HILVERSUM", ("ANP",)),
        ("GENÈVE (ANP) - Tekst", "GENÈVE", ("ANP",)),
        ("ÅLESUND (ANP/NTB) - Tekst", "ÅLESUND", ("ANP", "NTB")),
        ("KRAKÓW (ANP/AP/EFE/DPA) - Tekst", "KRAKÓW", ("ANP", "AP", "EFE", "DPA")),
        ("NEW YORK (ANP/Bloomberg) - Tekst", "NEW YORK", ("ANP", "BLOOMBERG")),
        ("BRUSSEL (ANP/BELGA) – Tekst", "BRUSSEL", ("ANP", "BELGA")),
        ("BRUSSEL (ANP) — Tekst", "BRUSSEL", ("ANP",)),
        ("BRUSSEL (ANP)-Tekst", "BRUSSEL", ("ANP",)),
        ("KYIV (ANP, RTR) - Tekst", "KYIV", ("ANP", "RTR")),
        ("MEXICO\u2011STAD (ANP) - Tekst", "MEXICO-STAD", ("ANP",)),
        ("VLISSINGEN - De veerdienst vaart weer volgens de dienstregeling.", "VLISSINGEN", ()),
    ],
)
def test_datelines(line: str, place: str, agencies: tuple[str, ...]) -> None:
    dateline = match_dateline(line)
    assert dateline is not None
    assert (dateline.place, dateline.agencies) == (place, agencies)


def test_body_is_the_text_after_the_separator() -> None:
    assert match_dateline("PARIJS (ANP) - Frankrijk wil.") == Dateline(
        "PARIJS", ("ANP",), "Frankrijk wil."
    )
    assert match_dateline("PARIJS (ANP) -") == Dateline("PARIJS", ("ANP",), "")


@pytest.mark.parametrize(
    "line",
    [
        "Rusland: 71 militairen gedood door Oekraïens offensief",
        "PSV - Ajax eindigt in gelijkspel",  # a headline, not a sentence
        "VS - China: akkoord",  # no agency: too short to be a dateline
        "EK - Nederland wint van België na strafschoppen",  # two-letter place, no agency
        "NAVO (Noord-Atlantische Verdragsorganisatie) heeft een nieuwe chef.",
        "DEN HAAG -Tekst zonder spatie en zonder agentschap hoort er niet bij",
        "De Russische defensieminister zegt - volgens bronnen - dat",
        "",
    ],
)
def test_not_datelines(line: str) -> None:
    assert match_dateline(line) is None
