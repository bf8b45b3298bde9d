"""``new_item`` makes the very value ``Item(...)`` makes."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.model import Item, new_item

AT = datetime(2026, 1, 20, 12, tzinfo=UTC)
texts = st.text(max_size=20)
maybe_texts = st.none() | texts
names = st.tuples() | st.tuples(texts) | st.tuples(texts, texts)
instants = st.none() | st.just(AT)


@given(
    st.tuples(
        st.sampled_from(["article", "brief"]), maybe_texts, maybe_texts, names, texts, instants,
        maybe_texts, texts, instants, maybe_texts, names, names,
    )
)  # fmt: skip
def test_new_item_equals_item_with_every_field(values: tuple[object, ...]) -> None:
    made, built = new_item(*values), Item(*values)  # type: ignore[arg-type]
    assert made == built
    assert hash(made) == hash(built)
    assert repr(made) == repr(built)
    assert [getattr(made, f.name) for f in fields(Item)] == list(values)


def test_new_item_defaults_are_items_defaults() -> None:
    values = ("brief", None, "KYIV", ("ANP",), "Tekst.", AT, None, "s.txt")
    assert new_item(*values) == Item(*values)  # type: ignore[arg-type]
    assert new_item(*values).regions == () and new_item(*values).url is None  # type: ignore[arg-type]


def test_new_item_is_frozen_and_classified_keeps_the_rest() -> None:
    item = new_item("brief", None, "KYIV", ("ANP",), "Tekst.", AT, None, "s.txt")
    with pytest.raises(FrozenInstanceError):
        item.text = "ander"  # type: ignore[misc]
    labelled = item.classified(("europa",), ("UA",))
    assert labelled == Item(
        "brief", None, "KYIV", ("ANP",), "Tekst.", AT, None, "s.txt", regions=("europa",),
        countries=("UA",),
    )  # fmt: skip
