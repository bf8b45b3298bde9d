"""parse_snapshot: the seeds exactly, every layout, and messy input."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digest.ingest.chrome import normalise_lines
from digest.ingest.wire import parse_snapshot
from digest.model import Item

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
SNAPSHOTS = Path(__file__).resolve().parent / "data" / "snapshots"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CAPTURED = datetime(2026, 1, 20, 14, 0, tzinfo=AMSTERDAM)

# (kind, title, dateline, agencies, minutes ago or None, text) in source order
SEED_ITEMS = [
    (
        "article",
        "Rusland: 71 militairen gedood door Oekraïens offensief",
        "MOSKOU",
        ["ANP", "RTR"],
        None,
        (
            "De Russische defensieminister Sergej Sjojgoe zegt dat 71 Russische "
            "militairen de afgelopen dagen zijn gedood door Oekraïense strijdkrachten. "
            "Nog eens 210 militairen raakten gewond. Rusland laat zelden informatie los "
            "over de eigen verliezen.\n\nSjojgoe stelt dat een Oekraïens tegenoffensief nu "
            "zo’n drie dagen aan de gang is. Volgens de defensieminister zijn de "
            "Oekraïense aanvallen tot nu toe allemaal afgeslagen. Aan de Oekraïense kant "
            "zouden de afgelopen drie dagen zeker 3700 doden en gewonden zijn gevallen, "
            "aldus Sjojgoe.\n\nOekraïne bestempelde de uitspraken van Sjojgoe als leugens. "
            "Een Oekraïens tegenoffensief wordt al lange tijd verwacht, maar Kyiv laat "
            "daar hoegenaamd niets over los."
        ),
    ),
    (
        "brief",
        None,
        "BRUSSEL",
        ["ANP"],
        15,
        (
            "De veiligheid in het Arctische gebied is een gedeeld trans-Atlantisch "
            "belang waarover de EU en de VS met elkaar moeten spreken, zegt "
            'EU-buitenlandchef Kaja Kallas. "Dreigen met importheffingen is niet de '
            'juiste aanpak", schrijft ze op X, na een ontmoeting met de Deense minister '
            "Troels Lund Poulsen (Defensie) en de Groenlandse minister van Buitenlandse "
            "Zaken Vivian Motzfeldt."
        ),
    ),
    (
        "brief",
        None,
        "WASHINGTON",
        ["ANP"],
        21,
        (
            "Terwijl de spanningen rondom Groenland hoog oplopen, wil Trump zich in een "
            "kort interview met de Amerikaanse nieuwszender NBC niet uitspreken over een "
            'eventuele militaire bezetting van Groenland. "Geen commentaar", antwoordde '
            "de president toen hij hiernaar werd gevraagd."
        ),
    ),
    (
        "brief",
        None,
        "JERUZALEM",
        ["ANP", "RTR"],
        23,
        (
            "Israël is door de VS uitgenodigd om deel te nemen aan de zogenoemde "
            "Vredesraad van president Donald Trump. Dat meldt Reuters op basis van "
            "anonieme bronnen."
        ),
    ),
    (
        "brief",
        None,
        "TEHERAN",
        ["ANP", "AFP"],
        54,
        (
            'Iran zegt dat het internet in het land deze week "geleidelijk" wordt '
            "hersteld. Het internet werd elf dagen geleden afgesloten om de "
            "grootschalige protesten tegen het regime te bedwingen. Amnesty "
            'International noemde dat een "ernstige mensenrechtenschending", die bedoeld '
            "was om misdaden van de autoriteiten te verbergen."
        ),
    ),
    (
        "brief",
        None,
        "PARIJS",
        ["ANP"],
        60,
        (
            "Frankrijk wil zijn staatsbegroting voor 2026 doordrukken buiten het "
            "parlement om. Dat melden Franse media, waaronder Le Parisien. Officieel is "
            "de stap nog niet bekendgemaakt, maar volgens regeringsbronnen van dat "
            "medium zou premier Sébastien Lecornu zijn keuze al enkele dagen geleden "
            "hebben gemaakt."
        ),
    ),
    (
        "brief",
        None,
        "GENÈVE",
        ["ANP"],
        60,
        (
            'VN-mensenrechtenchef Volker Türk heeft afgelopen jaar een "verontrustende '
            'toename" gezien in het wereldwijde aantal executies. Dat komt met name door '
            "de situatie in Iran, waar volgens zijn kantoor in 2025 zeker 1500 "
            "doodstraffen zijn uitgevoerd. Een jaar eerder waren dat er nog 901."
        ),
    ),
    (
        "brief",
        None,
        "BRUSSEL",
        ["ANP"],
        120,
        (
            "De Duitse en Franse ministers van Financiën, Lars Klingbeil en Roland "
            "Lescure, hebben maandag in Brussel zij aan zij benadrukt dat het bezweren "
            'van de Groenlandcrisis een cruciaal moment is voor Europa. "Dit is een heel '
            "Europees moment en we moeten samenwerken als het gaat om beslissingen in "
            'Europa", zei Klingbeil. "We hebben nog nooit meegemaakt dat een bondgenoot, '
            'een vriend van 250 jaar, overweegt om tarieven in te voeren", vulde Lescure '
            "aan."
        ),
    ),
    (
        "article",
        "Zelensky claimt dat 3000 Noord-Koreanen zijn gedood of verwond",
        "KOERSK",
        ["ANP"],
        None,
        (
            "De Oekraïense president Volodymyr Zelensky zegt dat er inmiddels 3000 "
            "Noord-Koreaanse militairen gedood of gewond zijn geraakt in de Russische "
            "regio Koersk, waar ze tegen Oekraïense troepen vechten. Zuid-Korea zei "
            "eerder maandag nog dat er 1100 dode en gewonde Noord-Koreanen waren.\n\n"
            "Zelensky schrijft op X dat legerleider Oleksandr Syrsky hem heeft ingelicht "
            "over het aantal Noord-Koreaanse slachtoffers. Oekraïne, de Verenigde Staten "
            "en Zuid-Korea claimden eerder al dat er naar schatting meer dan 12.000 "
            "Noord-Koreaanse troepen actief zijn in Rusland.\n\nVolgens Zelensky bestaat "
            "de kans dat Pyongyang nog meer troepen naar de regio Koersk stuurt. De "
            "Oekraïense president benadrukt dat de samenwerking tussen Noord-Korea en "
            "Rusland een gevaar is voor de hele wereldorde, omdat de bondgenoten niet "
            "alleen wapens, maar ook technologieën met elkaar delen."
        ),
    ),
    (
        "brief",
        None,
        "AUSTIN",
        ["ANP", "AFP"],
        34,
        (
            "Het platform X van Elon Musk neemt maatregelen om te voorkomen dat "
            "AI-chatbot Grok beelden genereert waarop echte mensen zijn uitgekleed. Het "
            "bedrijf kondigde de ingreep alleen aan voor landen waar het delen van "
            "dergelijke beelden in strijd is met de wet."
        ),
    ),
    (
        "brief",
        None,
        "WASHINGTON",
        ["ANP", "AFP"],
        60,
        (
            "Republikeinen in de Amerikaanse Senaat hebben het nagenoeg onmogelijk "
            "gemaakt voor de initiatiefnemers van een resolutie die de macht van "
            "president Donald Trump zou inperken bij militair ingrijpen in Venezuela. Na "
            "een procedurele ingreep zouden er meer stemmen voor de resolutie nodig zijn "
            "dan er medestanders zijn."
        ),
    ),
    (
        "brief",
        None,
        "TEHERAN",
        ["ANP", "AFP", "RTR"],
        120,
        (
            "De executie van een Iraanse demonstrant die volgens ngo's en het "
            "Amerikaanse ministerie van Buitenlandse Zaken woensdag zou plaatsvinden, is "
            "uitgesteld. Dat heeft mensenrechtenorganisatie Hengaw bekendgemaakt."
        ),
    ),
    (
        "brief",
        None,
        "HOUSTON",
        ["ANP", "RTR"],
        180,
        (
            "Een maand eerder dan gepland zijn vier bemanningsleden van ruimtestation "
            "ISS begonnen aan hun terugkeer naar de aarde. Een van hen heeft medische "
            "klachten gekregen tijdens het verblijf in de ruimte. Om wie het gaat en wat "
            "de kwaal is, wordt om privacyredenen niet gedeeld. Ruimtevaartorganisatie "
            "NASA meldt alleen dat de toestand stabiel is."
        ),
    ),
    (
        "brief",
        None,
        "WASHINGTON",
        ["ANP", "DPA", "AFP"],
        240,
        (
            "De Amerikaanse president Donald Trump zegt uitgebreid te hebben gesproken "
            'met de nieuwe interim-leider van Venezuela, Delcy Rodríguez. "We hebben '
            'vandaag een geweldig gesprek gehad en ze is een fantastisch persoon", '
            "verklaarde hij tegenover de pers."
        ),
    ),
    (
        "brief",
        None,
        "BERLIJN",
        ["ANP", "RTR"],
        360,
        (
            "Ook Duitsland stuurt militairen naar Groenland. Denemarken kondigde eerder "
            "op woensdag aan de militaire aanwezigheid op het eiland te versterken, ook "
            "met hulp van bondgenoten."
        ),
    ),
    (
        "brief",
        None,
        "MEXICO-STAD",
        ["ANP", "AFP"],
        420,
        (
            "Mexico heeft bemiddeling aangeboden tussen Cuba en de Verenigde Staten. "
            "President Claudia Sheinbaum stelde dat haar regering zich wil inzetten voor "
            'het "bevorderen van de dialoog" tussen de landen.'
        ),
    ),
]


def parse_file(path: Path, captured: datetime = CAPTURED) -> tuple[list[Item], list[str]]:
    result = parse_snapshot(path.read_text(encoding="utf-8"), captured, path.name)
    return list(result.items), [str(w) for w in result.warnings]


def parse_text(text: str, captured: datetime = CAPTURED) -> tuple[list[Item], list[str]]:
    result = parse_snapshot(text, captured, "page.txt")
    return list(result.items), [str(w) for w in result.warnings]


def seed_items() -> list[Item]:
    items: list[Item] = []
    for path in SEEDS:
        parsed, warnings = parse_file(path)
        assert warnings == []
        items.extend(parsed)
    return items


def test_seeds_hold_two_articles_and_fourteen_briefs() -> None:
    kinds = [item.kind for item in seed_items()]
    assert len(SEEDS) == 2
    assert kinds.count("article") == 2
    assert kinds.count("brief") == 14


@pytest.mark.parametrize("index", range(len(SEED_ITEMS)))
def test_seed_item_exactly(index: int) -> None:
    kind, title, dateline, agencies, minutes, text = SEED_ITEMS[index]
    item = seed_items()[index]
    assert (item.kind, item.title, item.dateline, list(item.agencies)) == (
        kind,
        title,
        dateline,
        agencies,
    )
    assert item.text == text
    assert item.section == "Buitenland"
    assert item.regions == () and item.countries == ()
    if minutes is None:
        assert item.published_at is None and item.earliest is None
    else:
        assert item.published_at == CAPTURED - timedelta(minutes=minutes)


def test_seed_sources_name_their_file() -> None:
    names = [item.source for item in seed_items()]
    assert names == [SEEDS[0].name] * 8 + [SEEDS[1].name] * 8


def test_earliest_is_the_start_of_the_stated_age() -> None:
    items = seed_items()
    brussel, parijs = items[1], items[5]
    assert brussel.earliest == CAPTURED - timedelta(minutes=16) + timedelta(seconds=1)
    assert parijs.earliest == CAPTURED - timedelta(hours=2) + timedelta(seconds=1)


def test_json_shape_of_a_seed_brief() -> None:
    data = seed_items()[2].to_json()
    assert data["dateline"] == "WASHINGTON"
    assert data["agencies"] == ["ANP"]
    assert data["published_at"] == "2026-01-20T13:39:00+01:00"
    assert data["title"] is None and data["kind"] == "brief"


def test_naive_capture_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_snapshot("MOSKOU (ANP) - Tekst.", datetime(2026, 1, 20, 14, 0), "x.txt")


def test_parse_is_pure_and_repeatable() -> None:
    text = SEEDS[0].read_text(encoding="utf-8")
    assert parse_snapshot(text, CAPTURED, "a") == parse_snapshot(text, CAPTURED, "a")


def brief(place: str, agencies: str, body: str) -> str:
    return f"{place} ({agencies}) - {body}" if agencies else f"{place} - {body}"


def summary(items: list[Item]) -> list[tuple[object, ...]]:
    return [(i.kind, i.title, i.dateline, i.agencies, i.published_at, i.section) for i in items]


def test_titled_layout() -> None:
    items, warnings = parse_file(SNAPSHOTS / "titled.txt")
    yesterday_2105 = datetime(2026, 1, 19, 21, 5, tzinfo=AMSTERDAM)
    today_0912 = datetime(2026, 1, 20, 9, 12, tzinfo=AMSTERDAM)
    assert summary(items) == [
        ("article", "Kabinet trekt extra geld uit voor dijkversterking", "DEN HAAG",
         ("ANP",), None, "Binnenland"),
        ("brief", "Rechtbank doet uitspraak in fraudezaak zorgbureau", "'S-HERTOGENBOSCH",
         ("ANP",), CAPTURED - timedelta(minutes=12), "Binnenland"),
        ("brief", "Veerdienst Vlissingen-Breskens vaart weer volgens dienstregeling",
         "VLISSINGEN", (), CAPTURED - timedelta(minutes=47), "Binnenland"),
        ("brief", "Lawine bij Oostenrijks skioord, Nederlander gewond", "ST. ANTON AM ARLBERG",
         ("ANP", "DPA"), yesterday_2105, "Binnenland"),
        ("brief", "Verkeersongeluk op A58 zorgt voor lange file", None, (), today_0912,
         "Binnenland"),
        ("brief", "Nieuwe directeur voor Zeeuws Museum", "MIDDELBURG", ("ANP",), None,
         "Binnenland"),
    ]  # fmt: skip
    assert items[0].text.split("\n\n")[2] == "Waterschappen"
    assert len(items[0].text.split("\n\n")) == 4
    assert items[3].text.endswith(
        "\n\nDe man skiede volgens de politie buiten de gemarkeerde pistes."
    )
    assert items[4].text.startswith("Een vrachtwagen is dinsdagochtend")
    assert warnings == ["titled.txt:47: item has no time (truncated page?); kept undated"]


def test_list_page_layout() -> None:
    items, warnings = parse_file(SNAPSHOTS / "list_page.txt")
    ages = [CAPTURED - item.published_at for item in items if item.published_at]
    assert [item.title for item in items] == [
        "Kamer wil snel debat over asielwetten",
        "Premier naar Brussel voor extra EU-top",
        "Oud-Kamerlid overleden",
        "Provincie zoekt nieuwe gedeputeerde",
        "Minister: geen extra geld voor gemeenten",
        "Noorse regering overleeft motie van wantrouwen",
        "Senaat stemt in met pensioenwet",
    ]
    assert [item.agencies for item in items] == [
        ("ANP",),
        ("ANP", "BELGA"),
        ("ANP",),
        (),
        ("ANP",),
        ("ANP", "NTB"),
        ("ANP",),
    ]
    assert items[3].dateline == "MIDDELBURG"
    assert ages[:5] == [timedelta(0), timedelta(minutes=5), timedelta(hours=1),
                        timedelta(days=3), timedelta(weeks=2)]  # fmt: skip
    assert items[5].published_at == datetime(2025, 12, 20, 14, 0, tzinfo=AMSTERDAM)
    assert items[6].published_at == datetime(2025, 1, 20, 14, 0, tzinfo=AMSTERDAM)
    assert {item.section for item in items} == {"Politiek"}
    assert {item.kind for item in items} == {"brief"}
    assert warnings == []


def test_compact_page_with_ticker_chrome_and_every_glued_time_form() -> None:
    items, warnings = parse_file(SNAPSHOTS / "compact_ticker.txt")

    def at(year: int, month: int, day: int, hour: int, minute: int, sec: int = 0) -> datetime:
        return datetime(year, month, day, hour, minute, sec, tzinfo=AMSTERDAM)

    assert [(i.dateline, i.agencies, i.published_at) for i in items] == [
        ("GENÈVE", ("ANP", "RTR"), CAPTURED - timedelta(minutes=11)),
        ("TEHERAN/JERUZALEM", ("ANP", "RTR"), CAPTURED),
        ("MADRID", ("ANP", "EFE"), at(2026, 1, 19, 14, 30)),
        ("NEW YORK", ("ANP", "BLOOMBERG"), at(2026, 1, 19, 23, 59, 59)),
        ("LUXEMBURG", (), at(2025, 1, 21, 9, 15)),
        ("SÃO PAULO", ("ANP", "AFP", "AP"), at(2026, 1, 19, 8, 0)),
        (None, (), at(2026, 1, 20, 9, 12)),
        ("MOSKOU", ("ANP",), None),
    ]
    assert items[3].earliest == at(2026, 1, 19, 0, 0)
    assert {i.title for i in items} == {None}
    assert {i.section for i in items} == {"Buitenland"}
    assert items[6].text.startswith("Een Nederlandse toerist is in Thailand")
    assert warnings == ["compact_ticker.txt:13: item has no time (truncated page?); kept undated"]


def test_messy_line_breaks_spaces_and_invisible_characters_change_nothing() -> None:
    clean = SEEDS[0].read_text(encoding="utf-8")
    messy = "\ufeff\u200b" + clean.replace(
        "MOSKOU (ANP/RTR) - ", "MOSKOU\u00a0(ANP/RTR)\u202f-\u00a0"
    ).replace(" - ", " \u2013 ").replace(
        "Meer uit Buitenland", "Meer uit\u00a0Buitenland \t "
    ).replace("militairen", "mili\u00adtairen").replace("\n", "  \r\n")
    assert parse_text(messy) == parse_text(clean)
    assert parse_text(clean.replace("\n", "\r")) == parse_text(clean)


def test_normalised_lines() -> None:
    assert normalise_lines("a\u00a0 b \r\nc\u2028d\rGENE\u0300VE\u200b\n") == [
        "a b",
        "c",
        "d",
        "GENÈVE",
        "",
    ]


def test_dash_variants_and_decomposed_accents_in_datelines() -> None:
    text = "\n".join(
        [
            "BRUSSEL (ANP) – Eerste bericht met en dash.",
            "1 uur geledenGENE\u0300VE (ANP) — Tweede bericht met em dash.",
            "2 uur geleden",
        ]
    )
    items, warnings = parse_text(text)
    assert [(i.dateline, i.text) for i in items] == [
        ("BRUSSEL", "Eerste bericht met en dash."),
        ("GENÈVE", "Tweede bericht met em dash."),
    ]
    assert warnings == []


def test_curly_apostrophe_dateline_and_curly_quotes_kept_in_text() -> None:
    body = "De rechtbank zegt: “Dit is ’s lands hoogste straf.”"
    items, _ = parse_text(f"’S-HERTOGENBOSCH (ANP) - {body}\n5 minuten geleden")
    assert items[0].dateline == "'S-HERTOGENBOSCH"
    assert items[0].text == body


def test_time_glued_with_a_space_before_a_dateline_still_splits() -> None:
    text = "PARIJS (ANP) - Eerste.\n15 minuten geleden WASHINGTON (ANP) - Tweede.\n1 uur geleden"
    items, _ = parse_text(text)
    assert [(i.dateline, CAPTURED - i.published_at) for i in items if i.published_at] == [
        ("PARIJS", timedelta(minutes=15)),
        ("WASHINGTON", timedelta(hours=1)),
    ]


def test_time_glued_to_the_end_of_a_text_line() -> None:
    text = "PARIJS (ANP) - Eerste bericht.2 uur geledenBERLIJN (ANP) - Tweede bericht.3 uur geleden"
    items, _ = parse_text(text)
    assert [(i.dateline, i.text, CAPTURED - i.published_at) for i in items if i.published_at] == [
        ("PARIJS", "Eerste bericht.", timedelta(hours=2)),
        ("BERLIJN", "Tweede bericht.", timedelta(hours=3)),
    ]


def test_times_inside_sentences_stay_text() -> None:
    lines = [
        "ROME (ANP) - Het gebouw stortte in.",
        "3 dagen geleden werd al gewaarschuwd voor instortingsgevaar.",
        "Gisterenavond zei de burgemeester dat elf dagen geleden een inspectie was.",
        "12.30 uur begon de ontruiming.",
        "5 minuten geleden",
    ]
    items, warnings = parse_text("\n".join(lines))
    assert len(items) == 1 and warnings == []
    assert items[0].text == "\n\n".join(["Het gebouw stortte in.", *lines[1:4]])


def test_no_dateline_and_no_agency_items() -> None:
    text = "\n".join(
        [
            "Meer uit Zeeland",
            brief(
                "GOES",
                "",
                "De gemeente Goes opent in maart een nieuw zwembad aan de rand van de stad.",
            ),
            "10 minuten geledenDe brandweer heeft in Terneuzen een uitslaande brand geblust.",
            "20 minuten geleden",
        ]
    )
    items, warnings = parse_text(text)
    assert [(i.dateline, i.agencies, i.section) for i in items] == [
        ("GOES", (), "Zeeland"),
        (None, (), "Zeeland"),
    ]
    assert items[1].text == "De brandweer heeft in Terneuzen een uitslaande brand geblust."
    assert warnings == []


def test_chrome_lines_are_dropped() -> None:
    text = "\n".join(
        [
            "Wij gebruiken cookies om de site te verbeteren.",
            "U heeft 3 nieuwe berichten in uw webmail",
            "Home",
            "Meer uit Buitenland",
            brief("OSLO", "ANP/NTB", "Noorwegen verhoogt het defensiebudget."),
            "Lees meer",
            "Advertentie",
            "5 minuten geledenLees ook: Zweden wil ook meer uitgeven",
            brief("STOCKHOLM", "ANP", "Zweden volgt het Noorse voorbeeld."),
            "Lees meer",
            "8 minuten geleden",
            "Volg ons",
            "© 2026 ANP",
        ]
    )
    items, warnings = parse_text(text)
    assert [(i.dateline, i.title, i.text) for i in items] == [
        ("OSLO", None, "Noorwegen verhoogt het defensiebudget."),
        ("STOCKHOLM", None, "Zweden volgt het Noorse voorbeeld."),
    ]
    assert warnings == []


def test_repeated_headline_inside_an_item_is_dropped() -> None:
    headline = "Storm legt treinverkeer plat"
    text = "\n".join(
        [
            headline,
            brief("UTRECHT", "ANP", "Door de storm rijden er geen treinen."),
            headline,
            "Meer uit Binnenland",
        ]
    )
    items, _ = parse_text(text)
    assert [(i.kind, i.title, i.text) for i in items] == [
        ("article", headline, "Door de storm rijden er geen treinen.")
    ]


def test_untimed_titled_brief_hands_its_last_line_to_the_next_as_title() -> None:
    text = "\n\n".join(
        [
            "Meer uit Binnenland",
            "Eerste kop",
            brief("ASSEN", "ANP", "Eerste bericht zonder tijd."),
            "Tweede kop",
            brief("EMMEN", "ANP", "Tweede bericht."),
            "4 minuten geleden",
        ]
    )
    items, warnings = parse_text(text)
    assert [(i.title, i.dateline, i.text) for i in items] == [
        ("Eerste kop", "ASSEN", "Eerste bericht zonder tijd."),
        ("Tweede kop", "EMMEN", "Tweede bericht."),
    ]
    assert warnings == ["page.txt:5: item has no time (truncated page?); kept undated"]


def test_meer_uit_glued_to_a_time_closes_and_sets_the_section() -> None:
    text = "\n".join(
        [
            brief("LONDEN", "ANP", "Een bericht zonder rubriek ervoor."),
            "3 minuten geledenMeer uit Economie",
            brief("FRANKFURT", "ANP/DPA", "De ECB houdt de rente gelijk."),
            "9 minuten geleden",
        ]
    )
    items, _ = parse_text(text)
    assert [(i.dateline, i.section) for i in items] == [
        ("LONDEN", "Economie"),
        ("FRANKFURT", "Economie"),
    ]


def test_time_problems_are_warned_and_kept() -> None:
    text = "\n".join(
        [
            "7 minuten geleden",
            brief("ROME", "ANP", "Een bericht uit de toekomst."),
            "vandaag 23:00",
            brief("MILAAN", "ANP", "Een bericht met een onmogelijke datum."),
            "31-02-2026 10:00",
        ]
    )
    items, warnings = parse_text(text)
    assert [i.published_at for i in items] == [CAPTURED, None]
    assert warnings == [
        "page.txt:1: time '7 minuten geleden' follows no item; ignored",
        "page.txt:3: time 'vandaag 23:00' lies after the capture time; using the capture time",
        "page.txt:5: cannot read the time '31-02-2026 10:00' (no such date); kept undated",
    ]


def test_dates_out_of_range_leave_their_item_undated_and_the_page_goes_on() -> None:
    text = "\n".join(
        [
            brief("ROME", "ANP", "Een bericht uit het jaar 9999."),
            "31 december 9999",
            brief("MILAAN", "ANP", "Een bericht uit het jaar 1."),
            "1 januari 0001 00:05",
            brief("NAPELS", "ANP", "Een gewoon bericht."),
            "7 minuten geleden",
        ]
    )
    items, warnings = parse_text(text)
    assert [i.published_at for i in items] == [None, None, CAPTURED - timedelta(minutes=7)]
    assert warnings == [
        "page.txt:2: cannot read the time '31 december 9999' (no such date); kept undated",
        "page.txt:4: cannot read the time '1 januari 0001 00:05' (no such date); kept undated",
    ]


def test_stray_sentences_between_items_are_warned_header_and_footer_not() -> None:
    text = "\n".join(
        [
            "Deze website is onderdeel van een groter netwerk.",
            brief("BONN", "ANP", "Eerste bericht."),
            "1 uur geleden",
            "Deze tekst hoort nergens bij.",
            brief("KEULEN", "ANP", "Tweede bericht."),
            "2 uur geleden",
            "Alle inhoud is met zorg samengesteld.",
        ]
    )
    items, warnings = parse_text(text)
    assert [i.dateline for i in items] == ["BONN", "KEULEN"]
    assert warnings == [
        "page.txt:4: skipped text outside any item: 'Deze tekst hoort nergens bij.'"
    ]


def test_empty_and_chrome_only_pages_give_nothing() -> None:
    assert parse_text("") == ([], [])
    assert parse_text("\n \r\n\u00a0\n") == ([], [])
    assert parse_text("Webmail\nKies je webmail\nHome\nLees meer\n") == ([], [])


def test_labelled_entry_without_dateline_takes_the_label_agencies() -> None:
    text = (
        "ANP/AFP Vulkaan barst uit op IJsland\n"
        "De vulkaan bij Grindavík is opnieuw uitgebarsten.\n2 uur geleden"
    )
    items, warnings = parse_text(text)
    assert [(i.title, i.dateline, i.agencies) for i in items] == [
        ("Vulkaan barst uit op IJsland", None, ("ANP", "AFP"))
    ]
    assert warnings == []


def test_captured_zone_decides_clock_times_and_output_offset() -> None:
    utc_capture = CAPTURED.astimezone(ZoneInfo("UTC"))
    text = brief("KYIV", "ANP", "Luchtalarm in de hoofdstad.") + "\ngisteren 21:05"
    (amsterdam,), _ = parse_text(text)
    (utc,), _ = parse_text(text, utc_capture)
    assert amsterdam.published_at is not None and utc.published_at is not None
    assert amsterdam.published_at.isoformat() == "2026-01-19T21:05:00+01:00"
    assert utc.published_at.isoformat() == "2026-01-19T21:05:00+00:00"


def test_headline_with_an_ellipsis_is_still_a_title() -> None:
    text = "Meer uit Sport\nEn toen ging het licht uit...\n" + brief(
        "ARNHEM", "ANP", "Stroomstoring legt wedstrijd stil."
    )
    items, _ = parse_text(text + "\n2 uur geleden")
    assert [(i.title, i.section) for i in items] == [("En toen ging het licht uit...", "Sport")]
