"""Team versions of templates (content/versions.py): small partitions of the stats table, as
the sequence switches are, so the words the team owns add no table.

- ``tmpl#v#<template_id>#<language>`` / ``v000001``...: one item per version, written once and
  never overwritten (a conditional put); approval adds who and when to it, once;
- ``tmpl#live`` / ``<template_id>#<language>``: the live pointer of each template the team ever
  approved: the live version's words (so every container reads all live words with one Query of
  one small partition), the versions live before it (for rollback) and a revision that each
  change is conditioned on (two approvals at once: one wins, the other is a Conflict).
"""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.models import Model

from .ddb import is_conditional
from .errors import Conflict
from .models import _meta

VERSIONS = "tmpl#v#"
LIVE = "tmpl#live"


def version_key(version: int) -> str:
    return f"v{version:06d}"


class TemplateModel(Model):
    Meta = _meta("stats")
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    doc = JSONAttribute()
    approved_by = UnicodeAttribute(null=True)
    approved_at = UnicodeAttribute(null=True)
    rev = NumberAttribute(null=True)


def _version(m: TemplateModel) -> dict:
    return {**m.doc, "approved_by": m.approved_by, "approved_at": m.approved_at}


class TemplateRepo:
    def add_version(self, template_id: str, language: str, doc: dict) -> bool:
        """Write version ``doc["version"]``; False when that number is taken (write the next)."""
        m = TemplateModel(f"{VERSIONS}{template_id}#{language}", version_key(doc["version"]), doc=doc)
        try:
            m.save(condition=TemplateModel.pk.does_not_exist())
        except PutError as exc:
            if is_conditional(exc):
                return False
            raise
        return True

    def versions(self, template_id: str, language: str) -> list[dict]:
        """Every version, oldest first (strongly consistent: a save is seen by the next read)."""
        return [_version(m) for m in TemplateModel.query(f"{VERSIONS}{template_id}#{language}", consistent_read=True)]

    def approve(self, template_id: str, language: str, version: int, by: str, at: str) -> bool:
        """Record who approved a version and when; False if it was approved already."""
        m = TemplateModel(f"{VERSIONS}{template_id}#{language}", version_key(version))
        try:
            m.update(actions=[TemplateModel.approved_by.set(by), TemplateModel.approved_at.set(at)],
                     condition=TemplateModel.pk.exists() & TemplateModel.approved_at.does_not_exist())
        except UpdateError as exc:
            if is_conditional(exc):
                return False
            raise
        return True

    def live(self, template_id: str, language: str) -> dict | None:
        """The live pointer with its ``rev``, or None (the built-in file was never replaced)."""
        try:
            m = TemplateModel.get(LIVE, f"{template_id}#{language}", consistent_read=True)
        except TemplateModel.DoesNotExist:
            return None
        return {**m.doc, "rev": int(m.rev or 0)}

    def set_live(self, template_id: str, language: str, doc: dict, expect_rev: int | None) -> None:
        """Replace the pointer, if it is still at ``expect_rev`` (None: there was none); Conflict else."""
        rev = (expect_rev or 0) + 1
        m = TemplateModel(LIVE, f"{template_id}#{language}", doc={k: v for k, v in doc.items() if k != "rev"}, rev=rev)
        condition = TemplateModel.pk.does_not_exist() if expect_rev is None else TemplateModel.rev == expect_rev
        try:
            m.save(condition=condition)
        except PutError as exc:
            if is_conditional(exc):
                raise Conflict(f"{template_id}: the live version changed") from None
            raise

    def live_all(self) -> dict[tuple[str, str], dict]:
        """Every live pointer: one Query of one small partition."""
        out = {}
        for m in TemplateModel.query(LIVE):
            template_id, _, language = m.sk.rpartition("#")
            out[(template_id, language)] = {**m.doc, "rev": int(m.rev or 0)}
        return out
