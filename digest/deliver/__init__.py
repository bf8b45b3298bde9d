"""Deliver: an edition and the subscribers in, one mail each out (ledger, segments, backends).

Backends sit behind one small interface, chosen by name from config.

A backend gets a :class:`Batch` (one segment's rendered edition, with its
personalisation markers, and up to ``batch_size`` recipients with their own
links) and answers one :class:`Result` per recipient. It knows nothing of the
ledger: :mod:`digest.deliver.send` claims, retries and records.

Backends register themselves with :func:`register`; :func:`make_backend`
imports ``digest.deliver.<name>`` on first use, so adding a backend is adding
a module.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import TYPE_CHECKING, ClassVar, NamedTuple, Self

from digest.deliver.message import Sender, build_message
from digest.errors import DeliveryError
from digest.render.outputs import RenderedEdition, personalise
from digest.subscribers import greeting_name

if TYPE_CHECKING:
    from email.message import EmailMessage

    from digest.config import Config

BUILTIN: tuple[str, ...] = ("outbox", "smtp", "sendgrid")


class Outcome(StrEnum):
    SENT = "sent"  # the provider accepted it (or it is in the outbox)
    RETRY = "retry"  # refused for now (429, 5xx, 4xx SMTP): nothing was sent
    FAILED = "failed"  # refused for good; the reason says why
    UNCERTAIN = "uncertain"  # no answer after handing it over: may or may not be sent
    SANDBOX = "sandbox"  # validated by the provider, delivered to nobody


@dataclass(frozen=True, slots=True)
class Result:
    """What became of one recipient's mail."""

    outcome: Outcome
    reason: str | None = None
    retry_after: float | None = None
    provider_id: str | None = None


class Addressee(NamedTuple):
    """One recipient of a batch with their personal links and headers.

    A named tuple, not a frozen dataclass: one is made per recipient, and a
    frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``
    (three times the cost)."""

    subscriber_id: int
    email: str
    name: str | None
    unsubscribe_url: str
    preferences_url: str
    list_unsubscribe: str
    message_id: str
    first_name: str | None = None  # the greeting's name when given (see greeting_name)

    @property
    def greeting(self) -> str:
        """Whom the greeting names: :func:`digest.subscribers.greeting_name`."""
        return greeting_name(self.first_name, self.name)


@dataclass(frozen=True, slots=True)
class Batch:
    """One segment's edition for up to ``batch_size`` recipients."""

    edition_id: str
    edition_name: str
    rendered: RenderedEdition
    sender: Sender
    recipients: tuple[Addressee, ...]
    date: datetime


def personal_message(batch: Batch, to: Addressee, *, seven_bit: bool = False) -> EmailMessage:
    """The full message for one recipient (for backends that send MIME)."""
    part = personalise(
        batch.rendered,
        name=to.name,
        first_name=to.first_name,
        unsubscribe_url=to.unsubscribe_url,
        preferences_url=to.preferences_url,
    )
    return build_message(
        part,
        sender=batch.sender,
        to_email=to.email,
        to_name=to.name,
        message_id=to.message_id,
        list_unsubscribe=to.list_unsubscribe,
        date=batch.date,
        seven_bit=seven_bit,
    )


class Backend(ABC):
    """Hands batches to a provider. Use as a context manager (opens, closes).

    ``idempotent``: sending the same (edition, subscriber) twice cannot make
    two mails (the outbox), so a send interrupted at any point is simply
    repeated. ``claim_size``: ledger rows taken at once; ``batch_size``:
    recipients per :meth:`send` call.
    """

    name: ClassVar[str]
    idempotent: ClassVar[bool] = False
    claim_size: int = 500
    batch_size: int = 500

    @classmethod
    @abstractmethod
    def from_config(cls, config: Config) -> Self:
        """The backend as ``[delivery]`` configures it (secrets from the environment)."""

    def open(self) -> None:  # noqa: B027 - optional hook
        """Connect; raise DeliveryError when the provider cannot be reached at all."""

    @abstractmethod
    def send(self, batch: Batch) -> dict[int, Result]:
        """A result per subscriber id of ``batch.recipients``.

        Raise DeliveryError only for what no later batch can survive either
        (credentials refused); everything else is a Result.
        """

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


_REGISTRY: dict[str, type[Backend]] = {}


def register(cls: type[Backend]) -> type[Backend]:
    """Class decorator: make ``cls`` available under ``cls.name``."""
    _REGISTRY[cls.name] = cls
    return cls


def backend_class(name: str) -> type[Backend]:
    """The backend registered as ``name``, importing its built-in module if needed."""
    if name not in _REGISTRY and name in BUILTIN:
        importlib.import_module(f"{__name__}.{name}")
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted({*BUILTIN, *_REGISTRY}))
        raise DeliveryError(
            f"Config value 'delivery.backend': no backend {name!r}; known: {known}"
        ) from None


def make_backend(config: Config) -> Backend:
    """The configured backend, not yet opened."""
    return backend_class(config.delivery.backend).from_config(config)
