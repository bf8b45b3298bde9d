"""Synthetic wire-text snapshots in the compact layout, for benchmarks.

``generate_snapshot(n, seed)`` renders one lead article, a ``Meer uit
Buitenland`` line and ``n`` briefs with varied datelines (slashes, hyphens,
apostrophes, diacritics, no agency), agency combinations and relative times
that grow older down the page, each time glued to the next brief's dateline
as on the real pages. The same ``(n, seed)`` always gives the same text, and
every brief's opening words are unique (they carry a running figure), so a
store that dedupes by dateline and opening words keeps all ``n``.
"""

from __future__ import annotations

import random

PLACES = [
    "DEN HAAG", "AMSTERDAM", "ROTTERDAM", "UTRECHT", "BRUSSEL", "WASHINGTON", "MOSKOU",
    "KYIV", "JERUZALEM", "TEHERAN", "TEHERAN/JERUZALEM", "PARIJS", "BERLIJN", "LONDEN",
    "GENÈVE", "MEXICO-STAD", "'S-HERTOGENBOSCH", "ST. ANTON AM ARLBERG", "SÃO PAULO",
    "NEW YORK", "KOPENHAGEN", "NUUK", "CARACAS", "PEKING", "KRAKÓW", "REYKJAVÍK",
]  # fmt: skip
REGIONAL = ["VLISSINGEN", "MIDDELBURG", "GOES", "TERNEUZEN", "ZIERIKZEE"]
AGENCIES = [
    ("ANP",), ("ANP", "AFP"), ("ANP", "RTR"), ("ANP", "DPA"), ("ANP", "AFP", "RTR"),
    ("ANP", "DPA", "AFP"), ("ANP", "BLOOMBERG"), ("ANP", "EFE"), ("ANP", "NTB"), ("ANP", "BELGA"),
]  # fmt: skip
SUBJECTS = [
    "De regering", "Het kabinet", "De politie", "Een woordvoerder van het ministerie",
    "De burgemeester", "Het parlement", "De oppositie", "Een rechtbank", "De centrale bank",
    "Het leger", "De brandweer", "Een vakbond", "De Europese Commissie", "De president",
]  # fmt: skip
VERBS = [
    "meldt dat", "zegt dat", "bevestigt dat", "ontkent dat", "waarschuwt dat",
    "maakt bekend dat", "verwacht dat", "laat weten dat",
]  # fmt: skip
FACTS = [
    "{n} mensen zijn geëvacueerd na hevige regenval",
    "{n} militairen naar de grens worden gestuurd",
    "de begroting met {n} miljoen euro wordt verhoogd",
    "{n} huizen zonder stroom zitten na een storm",
    "er {n} arrestaties zijn verricht bij demonstraties",
    "het onderzoek naar {n} verdachte transacties wordt uitgebreid",
    "{n} vluchten zijn geannuleerd vanwege een staking",
]  # fmt: skip
FOLLOW_UPS = [
    "Volgens lokale media is de situatie inmiddels onder controle.",
    'Een woordvoerder sprak van "een zorgelijke ontwikkeling".',
    "De oppositie eist opheldering in het parlement.",
    "Het is nog onduidelijk wanneer er meer bekend wordt.",
    "Eerder deze week waren er al vergelijkbare berichten.",
    "Internationale organisaties volgen de ontwikkelingen op de voet.",
]  # fmt: skip
LEAD = (
    "Kabinet trekt extra geld uit voor dijkversterking\n"
    "DEN HAAG (ANP/RTR) - Het kabinet trekt de komende vijf jaar 800 miljoen euro extra uit "
    "voor het versterken van dijken langs de grote rivieren.\n"
    "Volgens het ministerie voldoet bijna een derde van de keringen nog niet aan de normen.\n"
    "Meer uit Buitenland"
)


def relative_time(age_minutes: int) -> str:
    """The page's wording for an age, as the site would print it."""
    if age_minutes < 1:
        return "zojuist"
    if age_minutes < 60:
        return f"{age_minutes} {'minuut' if age_minutes == 1 else 'minuten'} geleden"
    hours = age_minutes // 60
    if hours < 24:
        return f"{hours} uur geleden"
    days = hours // 24
    if days < 7:
        return f"{days} {'dag' if days == 1 else 'dagen'} geleden"
    if days < 31:
        return f"{days // 7} {'week' if days < 14 else 'weken'} geleden"
    months = days // 30
    return f"{months} {'maand' if months == 1 else 'maanden'} geleden"


def _dateline(rng: random.Random) -> str:
    if rng.random() < 0.05:
        return f"{rng.choice(REGIONAL)} - "
    return f"{rng.choice(PLACES)} ({'/'.join(rng.choice(AGENCIES))}) - "


def _body(rng: random.Random, index: int) -> str:
    figure = 10 * index + rng.randrange(10)  # running: opening words never repeat
    fact = rng.choice(FACTS).format(n=figure)
    sentences = [f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {fact}."]
    sentences += rng.sample(FOLLOW_UPS, rng.randrange(3))
    return " ".join(sentences)


def generate_snapshot(n: int, seed: int = 0) -> str:
    """A compact-layout page: a lead article, ``Meer uit Buitenland``, ``n`` briefs."""
    rng = random.Random(seed)
    ages = sorted(rng.randrange(0, 60 * 24 * 90) for _ in range(n))
    lines = [LEAD]
    previous_time = ""
    for index, age in enumerate(ages):
        lines.append(previous_time + _dateline(rng) + _body(rng, index))
        previous_time = relative_time(age)
    if n:
        lines.append(previous_time)
    return "\n".join(lines)
