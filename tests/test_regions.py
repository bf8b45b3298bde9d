"""Loading regions.toml: the shipped defaults and every kind of mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.classify.regions import Region, load_regions
from digest.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "regions.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_regions(path)
    assert str(path) in str(info.value)
    return info.value.problems


def test_the_shipped_regions() -> None:
    regions = load_regions(ROOT / "config" / "regions.toml")
    assert [(r.id, r.name, r.countries) for r in regions] == [
        ("groenland", "Groenland", ("GL",)),
        ("iran", "Iran", ("IR",)),
        ("venezuela", "Venezuela", ("VE",)),
    ]
    assert all(r.keywords for r in regions)


def test_a_valid_region_with_every_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[regions]]
id = "noorden"
name = "Het Noorden"
countries = ["dk", "NO", "SE"]
keywords = ["Scandinavië", "Noordse Raad", "Sami*"]
exclude = ["Noorder*"]
""",
    )
    assert load_regions(path) == (
        Region(
            "noorden",
            "Het Noorden",
            ("DK", "NO", "SE"),
            ("Scandinavië", "Noordse Raad", "Sami*"),
            ("Noorder*",),
        ),
    )


def test_keywords_alone_make_a_region(tmp_path: Path) -> None:
    path = write(tmp_path, '[[regions]]\nid = "navo"\nname = "NAVO"\nkeywords = ["NAVO"]\n')
    assert load_regions(path)[0].countries == ()


def test_an_empty_file_has_no_regions(tmp_path: Path) -> None:
    assert load_regions(write(tmp_path, "")) == ()


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
colour = "blue"

[[regions]]
id = "iran"
name = "Iran"
countries = ["IR"]

[[regions]]
id = "iran"
name = "Iran bis"
countries = ["IR"]

[[regions]]
id = "Bad Id"
name = "Bad"
countries = ["XX"]
keyword = ["typo"]

[[regions]]
id = "leeg"
name = "Leeg"

[[regions]]
id = "zonder-naam"
countries = ["GL"]
keywords = [3]
""",
    )
    found = problems(path)
    expected = [
        "Config value 'colour': unknown key",
        "Config value 'regions[1].id': duplicate id 'iran' (also regions[0])",
        "Config value 'regions[2].keyword': unknown key (region 'Bad Id')",
        "Config value 'regions[2].id': 'Bad Id' is not a valid id",
        "Config value 'regions[2].countries': unknown country code 'XX' (region 'Bad Id')",
        "Config value 'regions[3]': empty region (region 'leeg')",
        "Config value 'regions[4].name': is required (region 'zonder-naam')",
        "Config value 'regions[4].keywords': must be a list of non-empty strings",
    ]
    assert len(found) == len(expected), found
    for prefix, problem in zip(expected, found, strict=True):
        assert problem.startswith(prefix), problem


def test_terms_without_letters_are_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[[regions]]\nid = "x"\nname = "X"\nkeywords = ["*"]\nexclude = ["--"]\n'
    )
    found = problems(path)
    assert any("regions[0].keywords': '*' has no letters" in p for p in found)
    assert any("regions[0].exclude': '--' has no letters" in p for p in found)


def test_regions_must_be_tables(tmp_path: Path) -> None:
    assert problems(write(tmp_path, 'regions = "groenland"\n')) == [
        "Config value 'regions': must be a list of [[regions]] tables"
    ]


def test_missing_file(tmp_path: Path) -> None:
    found = problems(tmp_path / "nowhere.toml")
    assert found[0].startswith("file not found")


def test_not_toml(tmp_path: Path) -> None:
    found = problems(write(tmp_path, "[[regions]\nid = \n"))
    assert found[0].startswith("not valid TOML")


def test_the_message_names_file_region_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, '[[regions]]\nid = "x"\nname = "X"\ncountries = ["ZZ"]\n')
    with pytest.raises(ConfigError) as info:
        load_regions(path)
    message = str(info.value)
    assert str(path) in message
    assert "regions[0].countries" in message and "'ZZ'" in message and "region 'x'" in message


def test_co_occurrence_keywords_and_region_countries(tmp_path: Path) -> None:
    """Issue 15: the US–Denmark agreement over Greenland without the word Groenland,
    and a brief from OSLO about Machado in Venezuela whose countries lacked VE."""
    from digest.classify.classifier import Classifier
    from digest.classify.regions import load_regions, with_context
    from digest.model import Item

    root = Path(__file__).resolve().parent.parent
    regions = load_regions(root / "config" / "regions.toml")
    annotate = with_context(Classifier(regions).annotate, regions)

    def brief(place: str, text: str) -> Item:
        return Item("brief", None, place, ("ANP",), text, None, None, "t")

    deal = annotate(
        brief(
            "KOPENHAGEN",
            "De overeenkomst tussen de Verenigde Staten en Denemarken over de basis wordt "
            "volgende week ondertekend, zegt de Deense regering.",
        )
    )
    assert "groenland" in deal.regions and "GL" in deal.countries
    plain = annotate(brief("KOPENHAGEN", "Denemarken en de Verenigde Staten praten over handel."))
    assert "groenland" not in plain.regions
    oslo = annotate(
        brief(
            "OSLO",
            "De Venezolaanse oppositieleider María Corina Machado is in Oslo aangekomen "
            "om de Nobelprijs voor de Vrede in ontvangst te nemen.",
        )
    )
    assert "venezuela" in oslo.regions and "VE" in oslo.countries
    keyword_only = annotate(
        brief("OSLO", "Oppositieleider María Corina Machado is in Oslo aangekomen voor de prijs.")
    )
    assert "venezuela" in keyword_only.regions and "VE" in keyword_only.countries
