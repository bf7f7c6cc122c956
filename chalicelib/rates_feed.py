"""Market-rate feeds behind one small interface.

A feed says what today's rates are, per product; ``services.rates.import_feed`` stores them
(with history) exactly as ``PUT /rates`` does, and the nightly rate sweep reads the latest.

:class:`PmmsFeed` reads Freddie Mac's Primary Mortgage Market Survey history file (public, weekly,
published Thursdays): ``https://www.freddiemac.com/pmms/docs/PMMS_history.csv``. Its columns:
``date,pmms30,pmms30p,pmms15,pmms15p,pmms51,pmms51p,pmms51m,pmms51spread``: the week's date as
``M/D/YYYY``, then the 30-year and 15-year fixed averages (percent) with their points, then the
discontinued 5/1 ARM series. Cells are blank where a series did not exist yet (the 15-year before
1991) or has stopped (the ARM since 2022), and the file may end with an empty row; a blank is
"no figure", never 0%. The 30-year becomes product ``conv30`` and the 15-year ``conv15``.

Tests use recorded files only (tests/fixtures/); nothing here runs on import.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Protocol

PMMS_URL = "https://www.freddiemac.com/pmms/docs/PMMS_history.csv"
PMMS_SERIES = {"pmms30": "conv30", "pmms15": "conv15"}


@dataclass(frozen=True)
class RateQuote:
    product: str
    rate: Decimal       # percent, e.g. Decimal("6.12")
    as_of: str          # YYYY-MM-DD
    source: str


class RateFeed(Protocol):
    def latest(self) -> list[RateQuote]:
        """The newest quote per product."""


class FeedError(ValueError):
    """The feed answered with something that is not its format (an error page, an empty file)."""


def _pmms_date(raw: str) -> date | None:
    parts = raw.strip().split("/")
    if len(parts) != 3:
        return None
    try:
        month, day, year = (int(p) for p in parts)
        return date(year, month, day)
    except ValueError:
        return None


def _rate(raw: str | None) -> Decimal | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    # a discontinued series left as 0 would be a 0% mortgage: no figure is better than a wrong one
    return value if value.is_finite() and 0 < value < 30 else None


def parse_pmms(text: str, source: str = "freddie_mac_pmms") -> list[RateQuote]:
    """Every weekly figure in the file, oldest first (by date, whatever the file's order)."""
    rows = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (rows.fieldnames or [])]
    if "date" not in header or not set(PMMS_SERIES) & set(header):
        raise FeedError("not a PMMS history file: the header lacks date and pmms30/pmms15")
    quotes = []
    for row in rows:
        row = {(k or "").strip().lower(): v for k, v in row.items()}
        week = _pmms_date(row.get("date") or "")
        if week is None:
            continue
        for column, product in PMMS_SERIES.items():
            rate = _rate(row.get(column))
            if rate is not None:
                quotes.append(RateQuote(product, rate, week.isoformat(), source))
    return sorted(quotes, key=lambda q: (q.as_of, q.product))


def newest_per_product(quotes: list[RateQuote]) -> list[RateQuote]:
    latest: dict[str, RateQuote] = {}
    for q in quotes:
        if q.product not in latest or q.as_of > latest[q.product].as_of:
            latest[q.product] = q
    return sorted(latest.values(), key=lambda q: q.product)


def _http_get(url: str) -> str:
    from urllib.request import Request, urlopen

    with urlopen(Request(url, headers={"User-Agent": "touchengine-rates/1"}), timeout=20) as resp:
        return resp.read().decode("utf-8", errors="replace")


class PmmsFeed:
    """Freddie Mac PMMS, fetched with ``fetch`` (a callable returning the file's text)."""

    def __init__(self, fetch: Callable[[], str] | None = None, url: str = PMMS_URL):
        self._fetch = fetch or (lambda: _http_get(url))

    def history(self) -> list[RateQuote]:
        return parse_pmms(self._fetch())

    def latest(self) -> list[RateQuote]:
        quotes = newest_per_product(self.history())
        if not quotes:
            raise FeedError("the PMMS file holds no rate")
        return quotes


class StaticFeed:
    """Fixed quotes (a manual override, a demo, a test double)."""

    def __init__(self, quotes: list[RateQuote]):
        self._quotes = list(quotes)

    def latest(self) -> list[RateQuote]:
        return newest_per_product(self._quotes)
