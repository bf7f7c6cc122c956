"""Rate history and each product's latest quote in memory (store/rates.py)."""
from __future__ import annotations

from .tables import lock


class MemoryRateRepo:
    def __init__(self):
        self._history: dict[str, dict[str, dict]] = {}  # product -> as_of -> quote
        self._latest: dict[str, dict] = {}

    def put(self, product: str, rate: float, as_of: str, source: str) -> None:
        quote = {"product": product, "rate": float(rate), "as_of": as_of, "source": source}
        with lock:
            self._history.setdefault(product, {})[as_of] = quote
            if product not in self._latest or self._latest[product]["as_of"] <= as_of:
                self._latest[product] = quote

    def latest(self, product: str) -> dict | None:
        with lock:
            quote = self._latest.get(product)
            return dict(quote) if quote else None

    def latest_all(self) -> list[dict]:
        with lock:
            return [dict(self._latest[p]) for p in sorted(self._latest)]

    def history(self, product: str, limit: int = 52) -> list[dict]:
        with lock:
            days = sorted(self._history.get(product, {}), reverse=True)[:limit]
            return [dict(self._history[product][d]) for d in days]
