"""Building an edition: the edge between the store and the pure core.

Reads the window's stories, groups them into an edition, records it (or
returns the one already recorded for that slot) and writes the rendered
files. ``digest build`` and ``digest run`` both come through here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Literal

from digest.config import Config, EditionConfig, parse_duration
from digest.edition.address import edition_url
from digest.edition.group import edition_id, skip_reason
from digest.edition.select import edition_window, window_stop
from digest.edition.special import (
    build_extra,
    build_weekly,
    configured_edition,
    marked_reported,
)
from digest.errors import DigestError
from digest.model import Edition, RegionLike
from digest.store import Store
from digest.store.editions import (
    load_edition,
    record_edition,
    replace_edition,
    window_stories,
)
from digest.store.history import carried_stories, first_of_its_day, latest_cut

Status = Literal["recorded", "existing", "rebuilt", "skipped", "preview"]


@dataclass(frozen=True, slots=True)
class BuildResult:
    """The edition of a slot and what building it did; ``skipped`` says why
    an edition with too little news was neither recorded nor written."""

    edition: Edition
    status: Status
    skipped: str | None = None


def slot_of(at: datetime) -> datetime:
    """The slot an instant falls in: edition ids have minute precision."""
    return at.replace(second=0, microsecond=0)


def read_note(config: Config, edition_config: EditionConfig, note: Path | None) -> str | None:
    """The editor's note: ``--note FILE`` wins over ``[[editions]] note``."""
    path = note or (config.resolve(edition_config.note) if edition_config.note else None)
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DigestError(f"{path}: editor's note cannot be read ({exc}); check the path") from exc


def build_edition(
    store: Store,
    config: Config,
    edition_config: EditionConfig,
    regions: Sequence[RegionLike],
    *,
    at: datetime,
    note_markdown: str | None = None,
    rebuild: bool = False,
    window_end: datetime | None = None,
    record: bool = True,
) -> BuildResult:
    """The edition of ``edition_config`` at ``at``: the recorded one if the
    slot was built before (unless ``rebuild``), else a new one, recorded
    unless :func:`digest.edition.group.skip_reason` says there is too little news.

    Its window continues the site's timeline (see :mod:`digest.edition.select`):
    it starts at the latest end of any recorded edition, and stories that an
    edition already carried come again only when they changed since.
    With ``record=False`` the edition is built but not recorded (a preview).
    """
    zone = config.zone
    slot = slot_of(at.astimezone(zone))
    own_id = edition_id(edition_config.name, slot, zone)
    if not rebuild:
        found = load_edition(store, own_id)
        if found is not None:
            return BuildResult(found, "existing")
    if edition_config.on_timeline:
        edition = _on_timeline(store, config, edition_config, regions, slot, window_end, own_id)
    else:
        build = build_weekly if edition_config.kind == "weekly" else build_extra
        stop = window_stop(slot, window_end)
        edition = build(store, config, edition_config, regions, slot=slot, end=stop)
    edition = replace(edition, note_markdown=note_markdown)
    # An Extra editie's min_briefs is what fires it; whatever fired it is enough to send.
    least = 1 if edition_config.kind == "extra" else edition_config.min_briefs
    reason = skip_reason(edition, least)
    if reason is not None:
        return BuildResult(edition, "skipped", reason)
    if not record:  # a preview: it must not become part of the site's timeline
        return BuildResult(edition, "preview")
    if rebuild:
        return BuildResult(replace_edition(store, edition), "rebuilt")
    recorded = record_edition(store, edition)
    return BuildResult(recorded, "recorded" if recorded is edition else "existing")


def _on_timeline(
    store: Store,
    config: Config,
    edition_config: EditionConfig,
    regions: Sequence[RegionLike],
    slot: datetime,
    window_end: datetime | None,
    own_id: str,
) -> Edition:
    """A regular edition: its window continues the timeline of the regular
    editions; stories an Extra editie carried come marked "al gemeld"."""
    timeline = config.timeline_names
    lookback = parse_duration(edition_config.window)
    start, end = edition_window(
        slot,
        latest_cut(store, until=window_stop(slot, window_end), other_than=own_id, names=timeline),
        lookback,
        window_end,
    )
    # Stories of the look-back before the window that no edition carried arrived
    # late (stored after the edition whose window held them was built): they come now.
    late_since = min(end - lookback, start)
    candidates = window_stories(store, late_since, end)
    carried = carried_stories(store, [s.id for s in candidates], other_than=own_id, names=timeline)
    edition = configured_edition(
        candidates,
        regions,
        config,
        edition_config,
        slot=slot,
        start=start,
        end=end,
        carried=carried,
        late_since=late_since,
    )
    return marked_reported(store, config, edition)


def archive_page(store: Store, config: Config, edition: Edition) -> str:
    """The address of the edition's archive page, which its mail links to."""
    first = first_of_its_day(store, edition)
    return edition_url(config.archive.base_url, edition, first_of_its_day=first)
