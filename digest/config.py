"""The one configuration schema: ``config/digest.toml``.

Every key is declared here with its type, default and a one-line doc.
Loading validates the whole file and reports every problem at once.
Paths in the file are relative to the file itself.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import types
import typing
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from digest.errors import ConfigError
from digest.model import LOCALES as LOCALES  # re-exported: the locales of the schema
from digest.model import EditionKind

CONFIG_ENV = "DIGEST_CONFIG"
DATABASE_ENV = "DIGEST_DATABASE_URL"
# The files digest ships inside the package (templates, default config, seeds,
# starter site). In a checkout these are symlinks to the top-level folders, so
# the default config resolves to the checkout's config/digest.toml.
RESOURCES = Path(str(resources.files("digest") / "resources"))
DEFAULT_CONFIG = (RESOURCES / "config" / "digest.toml").resolve()
PROJECT_ROOT = DEFAULT_CONFIG.parent.parent  # the checkout (or the package's resources)
SITE_CONFIG = "digest.toml"  # the file `digest init` writes and the current folder may hold

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """``"15m"``, ``"24h"``, ``"2d"`` → timedelta; raises ValueError otherwise."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration; write e.g. '15m', '24h' or '2d'")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def _at_least(minimum: str) -> AfterValidator:
    """A check that a duration string reads as one and is no shorter than ``minimum``."""

    def check(value: str) -> str:
        if parse_duration(value) < parse_duration(minimum):
            raise ValueError(f"{value!r} is too short; write {minimum!r} or more")
        return value

    return AfterValidator(check)


Duration = Annotated[str, _at_least("1m")]


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DOW_PART = re.compile(r"^(\*|\d+(?:-\d+)?)(?:/(\d+))?$")


def crontab(value: str) -> str:
    """``value`` with its weekday field in cron's own numbering (0 and 7 are Sunday)
    written as names: APScheduler 3 reads a number there as Monday-based, so that
    ``0 9 * * 0`` would fire on Mondays. Names and other fields pass unchanged."""
    fields = value.split()
    if len(fields) != 5:
        return value
    parts = []
    for part in fields[4].split(","):
        match = _DOW_PART.match(part)
        if not match:
            parts.append(part)
            continue
        span, step = match.group(1), int(match.group(2) or 1)
        low, _, high = ("0-6" if span == "*" else span).partition("-")
        first, last = int(low), int(high) if high else (6 if match.group(2) else int(low))
        if last > 7 or first > last or step < 1:
            parts.append(part)  # let the trigger say what is wrong
            continue
        if span == "*" and step == 1:
            parts.append("*")
            continue
        parts += [_WEEKDAYS[d] for d in range(first, last + 1, step)]
    return " ".join([*fields[:4], ",".join(dict.fromkeys(parts))])


def check_cron(value: str) -> str:
    """A five-field cron expression that fires at least once; ValueError saying why not."""
    from apscheduler.triggers.cron import CronTrigger  # only when a config is checked

    example = "write five fields (minute hour day month weekday), e.g. '0 7 * * *'"
    try:
        trigger = CronTrigger.from_crontab(crontab(value), timezone=ZoneInfo("UTC"))
    except ValueError as exc:
        reason = str(exc).removeprefix("Error validating expression ")
        raise ValueError(f"{value!r} is not a valid cron expression ({reason}); {example}") from exc
    if trigger.get_next_fire_time(None, datetime.now(UTC)) is None:
        raise ValueError(f"{value!r} never fires (no such date); {example}")
    return value


def check_address(value: str) -> str:
    """``Name <user@example.org>`` or ``user@example.org``; ValueError saying why not."""
    from email.utils import parseaddr

    from email_validator import EmailNotValidError, validate_email

    _, address = parseaddr(value)
    try:
        validate_email(address, check_deliverability=False, globally_deliverable=False)
    except EmailNotValidError as exc:
        raise ValueError(
            f"{value!r} is not a mail address ({str(exc).rstrip('.')}); "
            "write e.g. 'Digest <digest@example.org>'"
        ) from exc
    return value


def check_url(value: str) -> str:
    """An absolute http(s) URL with a host; ValueError saying what to write."""
    from urllib.parse import urlsplit

    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value.strip():
        raise ValueError(f"{value!r} is not an http(s) URL; write e.g. 'https://example.org'")
    return value


Address = Annotated[str, AfterValidator(check_address)]
Url = Annotated[str, AfterValidator(check_url)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SiteConfig(Section):
    title: str = Field("Digest", description="Name of the newsletter, shown in mail and archive.")
    base_url: Url = Field("http://localhost:8000", description="Public URL of the web app (links).")
    locale: Literal["nl", "en"] = Field("nl", description="Default locale of interface text.")
    timezone: str = Field("Europe/Amsterdam", description="IANA zone for slots and dates.")
    regions: Path = Field(Path("regions.toml"), description="The regions file.")
    templates: Path | None = Field(None, description="Folder whose templates override ours.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name") from exc
        return value


class StorageConfig(Section):
    url: str = Field(
        "sqlite:///../var/digest.db",
        description="SQLAlchemy URL; relative SQLite paths are relative to this file.",
    )


class SourceConfig(Section):
    name: str = Field(description="Short name of the source, used in logs.")
    path: Path | None = Field(None, description="A file or folder of snapshots or feed files.")
    url: str | None = Field(None, description="URL of a feed.")
    kind: Literal["wire", "feed"] = Field("wire", description="Wire-text snapshots or RSS/Atom.")
    every: Duration = Field("15m", description="How often `digest schedule` reads it.")

    @model_validator(mode="after")
    def _one_location(self) -> SourceConfig:
        if (self.path is None) == (self.url is None):
            raise ValueError("give exactly one of 'path' or 'url'")
        return self


class EditionConfig(Section):
    name: str = Field(description="Slug, e.g. 'ochtend'.")
    title: str = Field(description="Title shown to readers, e.g. 'Ochtendeditie'.")
    cron: str = Field("0 7 * * *", description="When the edition is due, in site timezone.")
    window: Duration = Field("24h", description="Look-back of the first edition of this name.")
    min_briefs: int = Field(1, ge=0, description="Skip the edition with fewer new briefs.")
    note: Path | None = Field(None, description="Editor's note in Markdown for every edition.")
    approval: bool = Field(
        False, description="A built edition waits for `digest editions approve` before it goes out."
    )
    approval_timeout: Duration = Field(
        "2h", description="An edition not approved this long after it was built is skipped."
    )
    kind: EditionKind = Field(
        "regular", description="regular (a cron slot), weekly (overview) or extra (Extra editie)."
    )
    top: int = Field(5, ge=1, description="weekly: the biggest events kept per region.")
    within_minutes: int = Field(
        60, ge=1, description="extra: min_briefs new briefs of a region within this many minutes."
    )
    keywords: list[str] = Field(
        default_factory=list, description="extra: a new brief with one of these words fires too."
    )
    quiet_hours: str | None = Field(
        None, description='extra: "22:00-07:00": none sent then; deferred to the end.'
    )
    daily_cap: int = Field(3, ge=1, description="extra: at most this many a day.")

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", value):
            raise ValueError(
                f"{value!r} is not a valid name; use lower-case letters, digits and hyphens, "
                "e.g. 'ochtend'"
            )
        return value

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        return check_cron(value)

    @field_validator("quiet_hours")
    @classmethod
    def _valid_quiet(cls, value: str | None) -> str | None:
        if value is not None:
            quiet_span(value)
        return value

    @model_validator(mode="after")
    def _keys_of_kind(self) -> EditionConfig:
        given = self.model_fields_set
        for key, kinds in _KIND_KEYS.items():
            if key in given and self.kind not in kinds:
                only = " or ".join(repr(k) for k in kinds)
                raise ValueError(
                    f"Config value 'editions.{self.name}.{key}': only for kind = {only}, "
                    f"not {self.kind!r}; remove it or change 'kind'"
                )
        if self.kind == "weekly" and "window" not in given:
            self.window = "7d"  # a week ending at its slot
        if self.kind == "extra" and "min_briefs" not in given:
            self.min_briefs = 3
        if self.kind == "extra" and self.min_briefs == 0 and not self.keywords:
            raise ValueError(
                f"Config value 'editions.{self.name}.min_briefs': 0 without keywords never fires; "
                "write 1 or more, or add keywords"
            )
        return self

    @property
    def on_timeline(self) -> bool:
        """A regular edition: its window continues the site's timeline of editions."""
        return self.kind == "regular"


# Keys that only some edition kinds use, with those kinds.
_KIND_KEYS: dict[str, tuple[str, ...]] = {
    "cron": ("regular", "weekly"),
    "approval": ("regular", "weekly"),
    "top": ("weekly",),
    "within_minutes": ("extra",),
    "keywords": ("extra",),
    "quiet_hours": ("extra",),
    "daily_cap": ("extra",),
}
_CLOCK = re.compile(r"^\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]):([0-5]\d)\s*$")


def quiet_span(text: str) -> tuple[int, int]:
    """``"22:00-07:00"`` → minutes after midnight of start and end (the span may
    pass midnight); ValueError saying what to write."""
    match = _CLOCK.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a span of clock times; write e.g. '22:00-07:00'")
    hour, minute, hour_end, minute_end = (int(g) for g in match.groups())
    start, end = hour * 60 + minute, hour_end * 60 + minute_end
    if start == end:
        raise ValueError(f"{text!r} is empty (starts where it ends); write e.g. '22:00-07:00'")
    return start, end


class OutboxConfig(Section):
    dir: Path = Field(Path("../var/outbox"), description="Folder for .eml files.")


class SmtpConfig(Section):
    host: str = Field("localhost", description="SMTP server host.")
    port: int = Field(587, ge=1, le=65535, description="SMTP server port.")
    security: Literal["starttls", "ssl", "none"] = Field("starttls", description="TLS mode.")
    username: str | None = Field(None, description="Login; password from DIGEST_SMTP_PASSWORD.")
    allow_plaintext_login: bool = Field(
        False, description='Log in even with security = "none" (the password travels in clear).'
    )
    timeout: float = Field(30.0, gt=0, description="Seconds before a connection gives up.")


class SendgridConfig(Section):
    host: Url = Field("https://api.sendgrid.com", description="API host (tests point it local).")
    sandbox: bool = Field(False, description="Ask SendGrid to validate but not send.")
    asm_group_id: int | None = Field(None, description="Unsubscribe group id, if any.")
    batch_size: int = Field(1000, ge=1, le=1000, description="Personalizations per request.")
    timeout: float = Field(30.0, gt=0, description="Seconds before a request gives up.")


class DeliveryConfig(Section):
    backend: Literal["outbox", "smtp", "sendgrid"] = Field("outbox", description="Who sends.")
    from_: Address = Field(
        "Digest <digest@example.org>", alias="from", description="From address of every mail."
    )
    reply_to: Address | None = Field(None, description="Reply-To address, if any.")
    unsubscribe_mailto: str | None = Field(None, description="mailto for List-Unsubscribe.")
    send_empty: bool = Field(False, description="Mail subscribers whose regions have nothing new.")
    max_retries: int = Field(5, ge=0, description="Retries of a 429/5xx before giving up.")
    resend_uncertain_after: Duration = Field(
        "1h", description="An uncertain mail no provider event settled is resent once after this."
    )
    outbox: OutboxConfig = Field(default_factory=OutboxConfig)
    smtp: SmtpConfig = Field(default_factory=SmtpConfig)
    sendgrid: SendgridConfig = Field(default_factory=SendgridConfig)


class ArchiveConfig(Section):
    dir: Path = Field(Path("../var/archive"), description="Folder of the static archive.")
    base_url: Url = Field("http://localhost:8000/archief", description="Canonical archive URL.")
    per_page: int = Field(20, ge=1, le=1000, description="Entries per index or region page.")
    topics: list[str] = Field(
        default_factory=list,
        description="Keywords that each get a topic page with feeds (matched at word starts).",
    )
    topic_places: int = Field(12, ge=0, description="Most mentioned places given a topic page.")
    topic_people: int = Field(12, ge=0, description="Most mentioned people given a topic page.")
    topic_min: int = Field(3, ge=1, description="Stories a place or person needs for a page.")
    locale: Literal["nl", "en"] | None = Field(
        None, description="Language of the archive's pages and feeds (default: [site] locale)."
    )
    alternates: dict[str, Url] = Field(
        default_factory=dict,
        description="Base URL of this archive in another language, by locale (hreflang links).",
    )

    @field_validator("topics")
    @classmethod
    def _words(cls, value: list[str]) -> list[str]:
        words = [" ".join(word.split()) for word in value]
        if any(not word for word in words):
            raise ValueError("an empty keyword would match every story; remove it")
        if len(set(map(str.casefold, words))) < len(words):
            raise ValueError(f"a keyword is repeated: {', '.join(words)}")
        return words

    @field_validator("alternates")
    @classmethod
    def _locales(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(LOCALES))
        if unknown:
            raise ValueError(f"unknown locale {unknown[0]!r}; use one of {', '.join(LOCALES)}")
        return value


class ScheduleConfig(Section):
    misfire_grace: Duration = Field("6h", description="A missed slot this recent still runs.")
    catch_up: Literal["latest", "none"] = Field("latest", description="Missed slots policy.")


class SubscribersConfig(Section):
    default_editions: list[str] | None = Field(
        None,
        description="Editions a new reader gets when they choose none (default: the regular ones).",
    )
    prune_pending_after: Duration = Field(
        "30d", description="Sign-ups still unconfirmed this long are deleted (by `digest run`)."
    )


def _default_sources() -> list[SourceConfig]:
    return [SourceConfig(name="seeds", path=Path("../seeds"))]


def _default_editions() -> list[EditionConfig]:
    return [EditionConfig(name="ochtend", title="Ochtendeditie")]


class Config(Section):
    site: SiteConfig = Field(default_factory=SiteConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    sources: list[SourceConfig] = Field(default_factory=_default_sources)
    editions: list[EditionConfig] = Field(default_factory=_default_editions)
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig)
    archive: ArchiveConfig = Field(default_factory=ArchiveConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    subscribers: SubscribersConfig = Field(default_factory=SubscribersConfig)
    path: Path = Field(DEFAULT_CONFIG, exclude=True, description="The file this came from.")

    @field_validator("editions")
    @classmethod
    def _unique_editions(cls, value: list[EditionConfig]) -> list[EditionConfig]:
        if not value:
            raise ValueError(
                "no edition; add at least one [[editions]] table with name, title and cron"
            )
        names = [e.name for e in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"edition names must be unique; repeated: {', '.join(dupes)}")
        return value

    @model_validator(mode="after")
    def _known_default_editions(self) -> Config:
        chosen = self.subscribers.default_editions
        if chosen is None:
            return self
        known = [e.name for e in self.editions]
        unknown = [name for name in chosen if name not in known]
        if unknown or not chosen:
            what = f"unknown edition {', '.join(map(repr, unknown))}" if unknown else "empty"
            raise ValueError(
                f"Config value 'subscribers.default_editions': {what}; "
                f"write names of [[editions]]: {', '.join(known)}"
            )
        return self

    @property
    def edition_names(self) -> list[str]:
        """The configured editions' names, in config order."""
        return [e.name for e in self.editions]

    @property
    def default_editions(self) -> frozenset[str]:
        """What a new reader who chose no edition receives: by default the
        regular editions (weekly and Extra editie are for readers who choose them)."""
        chosen = self.subscribers.default_editions
        regular = [e.name for e in self.editions if e.on_timeline]
        return frozenset((regular or self.edition_names) if chosen is None else chosen)

    @property
    def timeline_names(self) -> list[str]:
        """The regular editions' names: those whose windows form the site's timeline."""
        return [e.name for e in self.editions if e.on_timeline]

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def resolve(self, path: Path) -> Path:
        """A path from the config file, made absolute against the file's folder
        (:func:`resolve_beside`)."""
        return resolve_beside(self.base_dir, path)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.site.timezone)

    @property
    def database_url(self) -> str:
        url = os.environ.get(DATABASE_ENV) or self.storage.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and url != "sqlite:///:memory:":
            raw = Path(url[len(prefix) :])
            return prefix + str(self.resolve(raw))
        return url

    def work_dir(self, name: str) -> Path:
        """A folder for the editor's own files (built editions, previews): beside
        the outbox, so ``var/`` both in a checkout and in a site ``digest init``
        made (a fixed ``../var`` fits only the checkout's ``config/`` folder)."""
        return self.resolve(self.delivery.outbox.dir).parent / name

    def edition(self, name: str | None) -> EditionConfig:
        """The named edition, or the first one; raises ConfigError if unknown."""
        if name is None:
            return self.editions[0]
        for edition in self.editions:
            if edition.name == name:
                return edition
        known = ", ".join(e.name for e in self.editions)
        raise ConfigError(
            str(self.path), [f"Config value 'editions': no edition {name!r}; known: {known}"]
        )


# Pydantic's wording for each kind of error, turned into what to write instead.
_MESSAGES = {
    "missing": "is required; add it",
    "extra_forbidden": "unknown key; check the spelling against the README",
    "string_type": 'must be text; write it in quotes, e.g. "..."',
    "int_type": "must be a whole number; write e.g. 5",
    "int_parsing": "must be a whole number; write e.g. 5",
    "int_from_float": "must be a whole number; write e.g. 5",
    "float_type": "must be a number; write e.g. 30",
    "float_parsing": "must be a number; write e.g. 30",
    "bool_type": "must be true or false; write one of them, without quotes",
    "bool_parsing": "must be true or false; write one of them, without quotes",
    "model_type": "must be a table; write [{key}] and its keys",
    "model_attributes_type": "must be a table; write [{key}] and its keys",
    "dict_type": "must be a table; write [{key}] and its keys",
    "list_type": "must be a list; write {listed}",
    "path_type": "must be a path; write it in quotes",
    "literal_error": "write one of {expected}",
    "greater_than_equal": "{input} is too small; write {ge} or more",
    "greater_than": "{input} is too small; write more than {gt}",
    "less_than_equal": "{input} is too large; write {le} or less",
}


def _where(loc: tuple[Any, ...]) -> str:
    where = ""
    for part in loc:
        where += f"[{part}]" if isinstance(part, int) else f".{part}" if where else str(part)
    return where or "(top level)"


def _format_error(error: Any) -> str:
    loc = tuple(error["loc"])
    where = _where(loc)
    key = str(next((p for p in reversed(loc) if isinstance(p, str)), where))
    message = _MESSAGES.get(error["type"])
    if message is None:  # pydantic's or a validator's text, which may quote the value as is
        message = str(error["msg"]).removeprefix("Value error, ")
        message = message.replace("Input should be", "must be")
        if message.startswith("Config value '"):  # a check across tables names its own key
            return message
        return f"Config value '{where}': {message}"
    if error["type"] == "extra_forbidden":
        known = _keys_of(_model_in(_annotation_at(loc[:-1])))
        near = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
        if near:
            message = f"unknown key; write '{near[0]}' if you meant that one"
    tables = _model_in(_item_of(_annotation_at(loc))) is not None
    listed = f"[[{key}]] tables" if tables else 'a list in brackets, e.g. ["..."]'
    shown = _shown(error.get("input"))
    values = {"key": key, "listed": listed, "input": shown, **error.get("ctx", {})}
    return f"Config value '{where}': {message.format(**values)}"


def _shown(value: Any) -> str:
    """A value as the TOML file wrote it: ``false``, ``-3``, ``'text'``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)


def _annotation_at(loc: tuple[Any, ...]) -> Any:
    """The type a key path of ``digest.toml`` (``("editions", 0, "cron")``) must
    have, from the models; None where the path leaves them."""
    annotation: Any = Config
    for part in loc:
        if isinstance(part, int):
            annotation = _item_of(annotation)
            continue
        model = _model_in(annotation)
        fields = model.model_fields if model is not None else {}
        found = next((f for name, f in fields.items() if part in (name, f.alias)), None)
        if found is None:
            return None
        annotation = found.annotation
    return annotation


def _options(annotation: Any) -> tuple[Any, ...]:
    """The members of ``X | None`` (or ``X`` alone)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The table model of an annotation (``SiteConfig``, ``SiteConfig | None``)."""
    found = (a for a in _options(annotation) if isinstance(a, type) and issubclass(a, BaseModel))
    return next(found, None)


def _item_of(annotation: Any) -> Any:
    """The item type of ``list[X]`` or ``tuple[X, ...]`` (also ``| None``)."""
    for option in _options(annotation):
        if typing.get_origin(option) in (list, tuple) and typing.get_args(option):
            return typing.get_args(option)[0]
    return None


def _keys_of(model: type[BaseModel] | None) -> list[str]:
    """The keys a table of ``model`` may hold (the config's own ``path`` is not one)."""
    if model is None:
        return []
    fields = model.model_fields.items()
    return [f.alias or name for name, f in fields if not (model is Config and name == "path")]


def resolve_beside(folder: Path, path: Path) -> Path:
    """``path`` as a config file in ``folder`` means it: absolute against that folder.

    Symlinks are kept as they are (``..`` is folded lexically): the archive
    folder is a symlink that publishing swaps, and must be named, not followed.
    """
    return Path(os.path.normpath(path if path.is_absolute() else folder / path))


def config_path(explicit: str | Path | None = None) -> Path:
    """The config file to use: the argument, then $DIGEST_CONFIG, then a
    ``digest.toml`` in the current folder, then the checkout's default.

    An installed package has no default site (its state would land inside the
    installation), so outside a checkout the operator is sent to ``digest init``.
    """
    chosen = explicit or os.environ.get(CONFIG_ENV)
    if not chosen and Path(SITE_CONFIG).is_file():
        chosen = SITE_CONFIG
    if not chosen and not in_checkout():
        raise ConfigError(
            str(Path.cwd() / SITE_CONFIG),
            [
                "no configuration here; run `digest init` to write one, "
                "or pass --config PATH or set DIGEST_CONFIG"
            ],
        )
    return Path(os.path.abspath(chosen or DEFAULT_CONFIG))


def in_checkout() -> bool:
    """Whether digest runs from a source checkout (whose config/ is the default)."""
    return (PROJECT_ROOT / "pyproject.toml").is_file()


def read_toml(path: Path, missing_hint: str) -> dict[str, Any]:
    """The table in a TOML file; ConfigError naming the file (and, when it
    is missing, ``missing_hint`` on what to do)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(str(path), [f"file not found; {missing_hint}"]) from exc
    except tomllib.TOMLDecodeError as exc:  # before ValueError: it is one
        raise ConfigError(str(path), [f"not valid TOML: {exc}"]) from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # ValueError: a NUL in the path
        raise ConfigError(str(path), [f"cannot be read: {exc}"]) from exc


def load_config(explicit: str | Path | None = None) -> Config:
    """Read and validate a ``digest.toml``; raise ConfigError naming every problem."""
    path = config_path(explicit)
    return config_from_dict(read_toml(path, "pass --config or set DIGEST_CONFIG"), path)


def config_from_dict(data: dict[str, Any], path: Path = DEFAULT_CONFIG) -> Config:
    """Validate an already-read mapping as if it came from ``path``."""
    try:
        return Config.model_validate({**data, "path": path})
    except ValidationError as exc:
        raise ConfigError(str(path), [_format_error(e) for e in exc.errors()]) from exc
