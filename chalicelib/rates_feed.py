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

Any other cell is passed on as written (``RateQuote.raw``), however implausible: a unit change to
basis points, a shifted column that puts a date or the points where the rate belongs. Judging it is
the guard's job (``domain.guard``, through ``services.rates.import_feed``), which refuses it and
tells the ops topic; dropping it here would hide a broken feed behind last week's figure.

Tests use recorded files only (tests/fixtures/); nothing here runs on import.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Protocol

PMMS_URL = "https://www.freddiemac.com/pmms/docs/PMMS_history.csv"
PMMS_SERIES = {"pmms30": "conv30", "pmms15": "conv15"}


@dataclass(frozen=True)
class RateQuote:
    product: str
    rate: Decimal | None  # percent, e.g. Decimal("6.12"); None when the cell is not a number
    as_of: str            # YYYY-MM-DD
    source: str
    raw: str = field(default="", compare=False)  # the cell as written, for the guard's diagnosis


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


def _cell(raw: str | None) -> tuple[Decimal | None, str] | None:
    """A series' cell: None when it holds no figure (blank, or a discontinued series left at 0,
    which would be a 0% mortgage); else the figure (None if it is not a number) and its text."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, text
    if value.is_finite() and value == 0:
        return None
    return (value if value.is_finite() else None), text


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
            cell = _cell(row.get(column))
            if cell is not None:
                quotes.append(RateQuote(product, cell[0], week.isoformat(), source, raw=cell[1]))
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
