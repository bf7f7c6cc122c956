"""Import jobs and LOS milestone counters (the ``imports`` table), and the import's lead writes.

One partition per import: the job item (``job``), the uploaded file in compressed pieces
(``raw#NNNN``, deleted once planned) and one item per chunk of borrowers (``chunk#NNNNN``: the
borrowers while pending, the chunk's report once done). The report is summed from the chunk
items when it is read, so a chunk processed twice (SQS is at-least-once) is counted once.
LOS milestone counters live in the ``los`` partition. Items expire (TTL) after 90 days.

The borrowers of a chunk become leads in as few TransactWriteItems calls as fit (100 actions
each, ``UnitOfWork.commit_many``): per lead its item, its identity claims (e-mail, phone and
``loan#<number>``, the same table and claims as ``LeadRepo.create``), its timeline item and any
enrollment, all-or-nothing (``RowWrite``).
"""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pynamodb.attributes import BinaryAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from .models import IdentityModel, _meta
from .ddb import connection, is_conditional
from .writeset import WriteSet

PIECE_BYTES = 350_000       # under DynamoDB's 400 KB item limit
KEEP_DAYS = 90
LOS = "los"


class ImportModel(Model):
    Meta = _meta("imports")
    pk = UnicodeAttribute(hash_key=True)        # import id, or "los"
    sk = UnicodeAttribute(range_key=True)       # job | raw#0000 | chunk#00000 | milestone#<name>
    status = UnicodeAttribute(null=True)        # job: planning | running | failed; chunk: pending | done
    doc = JSONAttribute(null=True)              # job: file, columns, counts; chunk: its report
    data = BinaryAttribute(null=True, legacy_encoding=False)   # zlib: a piece of the file, a chunk's borrowers
    chunks = NumberAttribute(null=True)
    chunks_done = NumberAttribute(null=True)
    count = NumberAttribute(null=True)
    expires_at = NumberAttribute(null=True)


def identity_key(kind: str, value: str) -> str:
    """The identities table's key: "email#<lower-case address>", "phone#<E.164>", "loan#<number>"."""
    return f"{kind}#{value}"


def _pack(value) -> bytes:
    return zlib.compress(json.dumps(value, separators=(",", ":")).encode(), 6)


def _unpack(data: bytes | None):
    return json.loads(zlib.decompress(data)) if data else None


@dataclass
class RowWrite(WriteSet):
    """What one borrower writes: its lead's WriteSet, plus the identities it claims (e-mail,
    phone, loan numbers), conditioned on being free or already its own. It goes through
    ``UnitOfWork.commit_many`` like any lead's write set: many per transaction, all-or-nothing each."""
    claims: list[tuple[str, str]] = field(default_factory=list)

    @property
    def lead_id(self) -> str:
        return (self.lead or {}).get("lead_id", "")

    def extra_actions(self) -> list[tuple]:
        """The identity claims, after the lead's own writes (store/unit_of_work.py adds them)."""
        mine = IdentityModel.lead_id == self.lead_id
        return [("save", IdentityModel(identity_key(kind, value), lead_id=self.lead_id),
                 IdentityModel.identity.does_not_exist() | mine) for kind, value in self.claims]


class ImportRepo:
    @staticmethod
    def _expiry(now: datetime) -> int:
        return int((now + timedelta(days=KEEP_DAYS)).timestamp())

    # -- the job -------------------------------------------------------------------------------
    def create(self, import_id: str, job: dict, body: bytes, now: datetime) -> None:
        """The job and the file (compressed, in pieces), in BatchWriteItem calls."""
        packed = zlib.compress(body, 6)
        pieces = [packed[i:i + PIECE_BYTES] for i in range(0, len(packed), PIECE_BYTES)] or [b""]
        expires = self._expiry(now)
        with ImportModel.batch_write() as batch:
            batch.save(ImportModel(import_id, "job", status="planning", doc={**job, "pieces": len(pieces)},
                                   chunks_done=0, expires_at=expires))
            for n, piece in enumerate(pieces):
                batch.save(ImportModel(import_id, f"raw#{n:04d}", data=piece, expires_at=expires))

    def job(self, import_id: str) -> dict | None:
        try:
            m = ImportModel.get(import_id, "job", consistent_read=True)
        except ImportModel.DoesNotExist:
            return None
        return {**(m.doc or {}), "import_id": import_id, "status": m.status, "chunks": int(m.chunks or 0),
                "chunks_done": int(m.chunks_done or 0)}

    def body(self, import_id: str, pieces: int) -> bytes:
        keys = [(import_id, f"raw#{n:04d}") for n in range(pieces)]
        found = {m.sk: m.data or b"" for m in ImportModel.batch_get(keys, consistent_read=True)}
        if len(found) != pieces:
            raise LookupError(f"import {import_id}: {pieces - len(found)} pieces of the file are missing")
        return zlib.decompress(b"".join(found[sk] for _, sk in keys))

    def planned(self, import_id: str, chunks: list[dict], doc: dict, now: datetime) -> None:
        """Store the chunks of borrowers, then mark the job running (a replanned import writes
        the same chunks again: they are deterministic)."""
        expires = self._expiry(now)
        with ImportModel.batch_write() as batch:
            for n, chunk in enumerate(chunks):
                batch.save(ImportModel(import_id, f"chunk#{n:05d}", status="pending", data=_pack(chunk),
                                       expires_at=expires))
        ImportModel(import_id, "job").update(actions=[
            ImportModel.status.set("running"), ImportModel.chunks.set(len(chunks)),
            ImportModel.doc.set(doc),
        ])

    def drop_file(self, import_id: str, pieces: int) -> None:
        """The raw file is not kept once planned (it holds every borrower's details)."""
        with ImportModel.batch_write() as batch:
            for n in range(pieces):
                batch.delete(ImportModel(import_id, f"raw#{n:04d}"))

    def fail(self, import_id: str, doc: dict) -> None:
        ImportModel(import_id, "job").update(actions=[ImportModel.status.set("failed"), ImportModel.doc.set(doc)])

    # -- chunks --------------------------------------------------------------------------------
    def chunk(self, import_id: str, n: int) -> tuple[str, dict | None]:
        """(status, borrowers) of one chunk."""
        try:
            m = ImportModel.get(import_id, f"chunk#{n:05d}", consistent_read=True)
        except ImportModel.DoesNotExist:
            return "missing", None
        return m.status or "pending", _unpack(m.data)

    def pending_chunks(self, import_id: str) -> list[int]:
        return [int(m.sk.split("#")[1]) for m in ImportModel.query(
            import_id, ImportModel.sk.startswith("chunk#"), attributes_to_get=["sk", "status"])
            if m.status != "done"]

    def finish_chunk(self, import_id: str, n: int, report: dict) -> bool:
        """Record a chunk's report once (and drop its borrowers); False if it was already done."""
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.update(ImportModel(import_id, f"chunk#{n:05d}"),
                          actions=[ImportModel.status.set("done"), ImportModel.doc.set(report),
                                   ImportModel.data.remove()],
                          condition=ImportModel.status == "pending")
                tx.update(ImportModel(import_id, "job"), actions=[ImportModel.chunks_done.add(1)])
        except TransactWriteError as exc:
            if is_conditional(exc):
                return False
            raise
        return True

    def reports(self, import_id: str) -> list[dict]:
        return [m.doc or {} for m in ImportModel.query(import_id, ImportModel.sk.startswith("chunk#"),
                                                       attributes_to_get=["sk", "status", "doc"])
                if m.status == "done"]

    # -- identities and leads --------------------------------------------------------------------
    def owners(self, claims: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Which lead holds each identity (consistent reads, 100 keys per BatchGetItem)."""
        keys = {identity_key(kind, value): (kind, value) for kind, value in claims}
        if not keys:
            return {}
        return {keys[m.identity]: m.lead_id for m in IdentityModel.batch_get(list(keys), consistent_read=True)}

    def claim(self, kind: str, value: str, lead_id: str) -> bool:
        """Claim one identity for a lead (an LOS loan number met for the first time)."""
        from pynamodb.exceptions import PutError

        try:
            IdentityModel(identity_key(kind, value), lead_id=lead_id).save(
                IdentityModel.identity.does_not_exist() | (IdentityModel.lead_id == lead_id))
        except PutError as exc:
            if is_conditional(exc):
                return False
            raise
        return True

    def owner(self, kind: str, value: str) -> str | None:
        try:
            return IdentityModel.get(identity_key(kind, value), consistent_read=True).lead_id
        except IdentityModel.DoesNotExist:
            return None

    # -- LOS milestone counters ------------------------------------------------------------------
    def count_milestone(self, key: str, name: str, outcome: str, now: datetime) -> None:
        """One more LOS event of this milestone with this outcome (applied, ignored, unknown, unmatched)."""
        ImportModel(LOS, f"milestone#{outcome}#{key}").update(actions=[
            ImportModel.count.add(1),
            ImportModel.doc.set({"milestone": name, "outcome": outcome, "last_at": now.isoformat()}),
        ])

    def milestones(self) -> list[dict]:
        return [{**(m.doc or {}), "count": int(m.count or 0)}
                for m in ImportModel.query(LOS, ImportModel.sk.startswith("milestone#"))]
