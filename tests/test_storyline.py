"""Story lines: the topical tier that joins a region's briefs on one conflict."""

from __future__ import annotations

from digest.edition.cluster import cluster_texts
from digest.edition.storyline import home_countries, storyline_pairs, tense

# The four Groenland briefs of the seeds, shortened: pairwise they share too
# few words for the lexical tier, but each names a foreign state and tension.
TROOPS = "Ook Duitsland stuurt militairen naar Groenland. Denemarken versterkt het eiland."
TARIFFS = "De Duitse en Franse ministers noemen het bezweren van de Groenlandcrisis cruciaal."
WARNING = "Dreigen met importheffingen is geen aanpak, zegt Kallas tegen VS en Deense minister."
TRUMP = "Trump wil niet zeggen of een Amerikaanse militaire bezetting van Groenland mogelijk is."
ICE = "Onderzoekers uit Kopenhagen zien de ijskap sneller smelten dan ooit gemeten."
COUNTRIES = [("DE", "DK", "GL"), ("DE", "FR", "GL"), ("US", "DK", "GL"), ("US", "GL"), ("DK", "GL")]


def test_tension_terms_are_found_inside_compounds() -> None:
    assert tense("het bezweren van de Groenlandcrisis")
    assert tense("Dreigen met importheffingen")
    assert not tense("De ijskap smelt sneller dan gemeten.")


def test_the_home_country_is_the_one_most_briefs_name() -> None:
    assert home_countries(COUNTRIES) == {"GL"}
    assert home_countries([("US", "VE"), ("VE", "US")]) == {"US", "VE"}
    assert home_countries([]) == set()


def test_a_shared_foreign_state_and_tension_make_one_story_line() -> None:
    texts = [TROOPS, TARIFFS, WARNING, TRUMP, ICE]
    groups = cluster_texts(texts, ["gl"] * 5, COUNTRIES, regional=[True] * 5)
    assert sorted(groups) == [[0, 1, 2, 3], [4]]


def test_no_story_line_without_tension_or_outside_a_region() -> None:
    texts = [TROOPS, ICE]
    countries = [COUNTRIES[0], COUNTRIES[4]]
    assert storyline_pairs(texts, ["gl", "gl"], countries, [True, True]) == []
    three = [TROOPS, TROOPS.replace("Ook Duitsland", "Duitsland"), ICE]
    countries = [("DE", "GL"), ("DE", "GL"), ("GL",)]
    assert storyline_pairs(three, ["gl"] * 3, countries, [True] * 3) == [(0, 1)]
    assert storyline_pairs(three, ["overig"] * 3, countries, [False] * 3) == []


def test_an_event_mostly_about_something_else_does_not_join_a_story_line() -> None:
    texts = [
        "Inspecteurs bezoeken de installaties.",
        "Sancties blijven van kracht.",
        "Een drone-aanval.",
    ]
    countries = [("IR",), ("IR", "US"), ("IR", "US")]
    assert storyline_pairs(texts, ["ir"] * 3, countries, [True] * 3) == [(1, 2)]
    # briefs 0 and 1 are one lexical event, only half of it (brief 1) on a story line: joins
    assert storyline_pairs(texts, ["ir"] * 3, countries, [True] * 3, [0, 0, 2]) == [(1, 2)]
    texts.append("De inspecteurs zijn tevreden.")
    countries.append(("IR",))
    # now a third of the event is: brief 1 does not take it onto the story line
    assert storyline_pairs(texts, ["ir"] * 4, countries, [True] * 4, [0, 0, 2, 0]) == []
