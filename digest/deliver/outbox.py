"""The outbox backend: one ``.eml`` file per message in ``[delivery.outbox] dir``.

The file name is fixed by (edition, subscriber): ``<edition-id>.<subscriber-id>.eml``.
A file is written to a temporary name, flushed to disk and renamed, so it
is either whole or absent; a file already there is the mail already sent.
That makes the outbox idempotent: a run killed anywhere, rerun, writes each
missing file once and never a second copy.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Self

from digest.deliver import Backend, Batch, Outcome, Result, personal_message, register
from digest.deliver.message import message_bytes
from digest.errors import DeliveryError
from digest.files import fsync_path, write_atomic

if TYPE_CHECKING:
    from digest.config import Config


def outbox_name(edition_id: str, subscriber_id: int) -> str:
    return f"{edition_id}.{subscriber_id}.eml"


@register
class OutboxBackend(Backend):
    """Writes each message as an RFC 5322 file a mail client opens."""

    name = "outbox"
    idempotent = True

    def __init__(self, directory: Path, batch_size: int = 500) -> None:
        self.directory = directory
        self.claim_size = self.batch_size = batch_size

    @classmethod
    def from_config(cls, config: Config) -> Self:
        return cls(config.resolve(config.delivery.outbox.dir))

    def open(self) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DeliveryError(
                f"Config value 'delivery.outbox.dir': cannot create {self.directory}: {exc}"
            ) from exc

    def path_for(self, edition_id: str, subscriber_id: int) -> Path:
        return self.directory / outbox_name(edition_id, subscriber_id)

    def send(self, batch: Batch) -> dict[int, Result]:
        results: dict[int, Result] = {}
        for to in batch.recipients:
            path = self.path_for(batch.edition_id, to.subscriber_id)
            if path.exists():  # written before an interruption: that mail is sent
                results[to.subscriber_id] = Result(Outcome.SENT)
                continue
            try:
                write_atomic(path, message_bytes(personal_message(batch, to)))
            except OSError as exc:
                results[to.subscriber_id] = Result(Outcome.RETRY, f"cannot write {path}: {exc}")
                continue
            results[to.subscriber_id] = Result(Outcome.SENT)
        fsync_path(self.directory)  # the renames are durable before the ledger says sent
        return results
