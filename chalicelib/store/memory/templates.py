"""Team versions of templates in memory (store/templates.py): the same answers and refusals."""
from __future__ import annotations

import copy

from ..errors import Conflict
from .tables import lock


class MemoryTemplateRepo:
    def __init__(self):
        self._versions: dict[tuple[str, str], dict[int, dict]] = {}
        self._live: dict[tuple[str, str], dict] = {}

    def add_version(self, template_id: str, language: str, doc: dict) -> bool:
        with lock:
            found = self._versions.setdefault((template_id, language), {})
            if doc["version"] in found:
                return False
            found[doc["version"]] = {**copy.deepcopy(doc), "approved_by": None, "approved_at": None}
            return True

    def versions(self, template_id: str, language: str) -> list[dict]:
        with lock:
            found = self._versions.get((template_id, language), {})
            return [copy.deepcopy(found[v]) for v in sorted(found)]

    def approve(self, template_id: str, language: str, version: int, by: str, at: str) -> bool:
        with lock:
            doc = self._versions.get((template_id, language), {}).get(version)
            if doc is None or doc.get("approved_at"):
                return False
            doc.update(approved_by=by, approved_at=at)
            return True

    def live(self, template_id: str, language: str) -> dict | None:
        with lock:
            doc = self._live.get((template_id, language))
            return copy.deepcopy(doc) if doc else None

    def set_live(self, template_id: str, language: str, doc: dict, expect_rev: int | None) -> None:
        with lock:
            current = self._live.get((template_id, language))
            if (current["rev"] if current else None) != expect_rev:
                raise Conflict(f"{template_id}: the live version changed")
            self._live[(template_id, language)] = {**copy.deepcopy({k: v for k, v in doc.items() if k != "rev"}),
                                                   "rev": (expect_rev or 0) + 1}

    def live_all(self) -> dict[tuple[str, str], dict]:
        with lock:
            return copy.deepcopy(self._live)
