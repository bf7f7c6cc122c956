"""Guard rails: a fat-fingered rate or a bad feed must not mail the whole book. Pure.

Two independent rails, both team settings (``guard`` in ``chalicelib/teams/<stage>.json``):

* **Plausible rates.** Each product has bounds (percent); a quote outside them is refused, with a
  diagnosis of the usual unit mistakes (basis points, a fraction, a dropped digit, a shifted column
  that put a date or an amount where the rate belongs). A quote that moves more than ``max_step``
  points from the last accepted quote is *held*: the sweeps never see it until someone confirms it
  (or a second source sends the same figure).
* **A circuit breaker on mass sends.** A run (one nightly sweep, one rate move, one import) that would
  put more than ``breaker_share`` of the team's book into the same marketing sequence is held for a
  person to release. Batches below ``breaker_min_batch`` leads never trip it (three birthdays in a
  ten-lead book are not a mass send), and transactional sequences are never held.

Settings, with their defaults::

    "guard": {"rates": {"conv30": {"min": "2", "max": "15"}, "*": {"min": "1.5", "max": "15"}},
              "max_step": "0.75", "breaker_share": "0.20", "breaker_min_batch": 25}
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

# Sane bounds per product, percent. Thirty-year money has not been below 2.65% (2021) nor has a
# fixed mortgage been above 15% since 1982; shorter terms price lower. A team file overrides any
# of them, and "*" is the bound of a product not listed.
DEFAULT_BOUNDS: dict[str, tuple[str, str]] = {
    **{p: ("2", "15") for p in ("conv30", "fha30", "va30", "usda30", "jumbo30")},
    **{p: ("1.5", "14") for p in ("conv20", "conv15", "conv10", "fha15", "va15", "jumbo15")},
    "*": ("1.5", "15"),
}
DEFAULT_MAX_STEP = Decimal("0.75")
DEFAULT_SHARE = Decimal("0.20")
DEFAULT_MIN_BATCH = 25
_DATE_TEXT = re.compile(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}")


def _dec(value, name: str) -> Decimal:
    try:
        out = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"guard.{name}: {value!r} is not a number") from None
    if not out.is_finite():
        raise ValueError(f"guard.{name}: {value!r} is not a number")
    return out


@dataclass(frozen=True)
class GuardSettings:
    bounds: dict = field(default_factory=dict)          # product -> (min, max) as Decimals
    max_step: Decimal = DEFAULT_MAX_STEP
    breaker_share: Decimal = DEFAULT_SHARE
    breaker_min_batch: int = DEFAULT_MIN_BATCH

    @classmethod
    def from_team(cls, raw: dict | None) -> "GuardSettings":
        """The team's ``guard`` block over the defaults; a ValueError names a bad setting."""
        raw = raw or {}
        unknown = set(raw) - {"rates", "max_step", "breaker_share", "breaker_min_batch"}
        if unknown:
            raise ValueError(f"guard: unknown settings {sorted(unknown)}")
        bounds = {p: (Decimal(lo), Decimal(hi)) for p, (lo, hi) in DEFAULT_BOUNDS.items()}
        for product, b in (raw.get("rates") or {}).items():
            lo, hi = _dec(b.get("min"), f"rates.{product}.min"), _dec(b.get("max"), f"rates.{product}.max")
            if not Decimal("0") < lo < hi <= Decimal("30"):
                raise ValueError(f"guard.rates.{product}: need 0 < min < max <= 30")
            bounds[product] = (lo, hi)
        step = _dec(raw.get("max_step", DEFAULT_MAX_STEP), "max_step")
        share = _dec(raw.get("breaker_share", DEFAULT_SHARE), "breaker_share")
        min_batch = raw.get("breaker_min_batch", DEFAULT_MIN_BATCH)
        if step <= 0:
            raise ValueError("guard.max_step: must be above 0")
        if not Decimal("0") < share <= 1:
            raise ValueError("guard.breaker_share: a share of the book above 0 and at most 1, such as 0.20")
        if isinstance(min_batch, bool) or not isinstance(min_batch, int) or min_batch < 1:
            raise ValueError("guard.breaker_min_batch: a whole number of leads, at least 1")
        return cls(bounds, step, share, min_batch)

    def bounds_for(self, product: str) -> tuple[Decimal, Decimal]:
        table = self.bounds or {p: (Decimal(lo), Decimal(hi)) for p, (lo, hi) in DEFAULT_BOUNDS.items()}
        return table.get(product) or table["*"]


# -- plausible rates ---------------------------------------------------------------------------

def _fmt(d: Decimal) -> str:
    text = format(d.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _looks_like_date(value: Decimal) -> bool:
    """A year (1900-2100) or a YYYYMMDD stamp where a rate belongs: a shifted column."""
    if value != value.to_integral_value():
        return False
    n = int(value)
    if 1900 <= n <= 2100:
        return True
    if 19000101 <= n <= 21001231:
        try:
            date(n // 10000, n // 100 % 100, n % 100)
            return True
        except ValueError:
            return False
    return False


def diagnose(raw: object, product: str, settings: GuardSettings) -> tuple[Decimal | None, str | None]:
    """The rate as a Decimal, and why it is not a plausible rate for the product (None: it is).

    Names the likely mistake so a person can fix it: a fraction for percent, basis points, a
    dropped digit or misplaced decimal point, a date or an amount from a shifted column."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str, Decimal)):
        return None, "must be a number of percent, such as 6.125"
    low, high = settings.bounds_for(product)
    where = f"{product} quotes must be between {_fmt(low)}% and {_fmt(high)}%"
    text = str(raw).strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        if _DATE_TEXT.fullmatch(text):
            return None, f"{text!r} looks like a date, not a rate: a shifted column? {where}"
        return None, f"{text[:20]!r} is not a number of percent, such as 6.125"
    if not value.is_finite():
        return None, "must be a number of percent, such as 6.125"
    if low <= value <= high:
        return value, None
    if value <= 0:
        return value, f"{_fmt(value)} is not a rate: {where}"
    if value > high:
        if low <= value / 100 <= high:
            return value, (f"{_fmt(value)} looks like basis points ({_fmt(value)} bp = {_fmt(value / 100)}%): "
                           f"send percent; {where}")
        if _looks_like_date(value):
            return value, f"{_fmt(value)} looks like a date, not a rate: a shifted column? {where}"
        if value >= 1000:
            return value, f"{_fmt(value)} looks like an amount, not a rate: a shifted column? {where}"
        return value, f"{_fmt(value)}% is above the ceiling: {where}"
    if low <= value * 100 <= high:
        return value, f"{_fmt(value)} looks like a fraction ({_fmt(value)} = {_fmt(value * 100)}%): {where}"
    if low <= value * 10 <= high:
        return value, (f"{_fmt(value)}% looks like a dropped digit or a misplaced decimal point "
                       f"({_fmt(value * 10)}?): {where}")
    return value, f"{_fmt(value)}% is below the floor: {where}"


@dataclass(frozen=True)
class QuoteVerdict:
    action: str                 # accept | hold | refuse
    reason: str = ""
    rate: Decimal | None = None


def judge_quote(product: str, raw: object, settings: GuardSettings, *, last: Decimal | None = None,
                held: dict | None = None, source: str = "api", confirm: bool = False) -> QuoteVerdict:
    """What to do with one quote for ``product``.

    ``last`` is the last accepted rate the quote would replace (None: the first quote of the
    product, or a back-filled older day, which no sweep reads); ``held`` the quote waiting for
    confirmation (``{"rate", "source"}``), if any. Out of bounds: refuse. A move of more than
    ``max_step`` from ``last``: hold, unless confirmed (``confirm``, or the held figure again from
    another source)."""
    rate, problem = diagnose(raw, product, settings)
    if problem:
        return QuoteVerdict("refuse", problem, rate)
    if confirm:
        return QuoteVerdict("accept", "confirmed", rate)
    if held and Decimal(str(held["rate"])) == rate and held.get("source") != source:
        return QuoteVerdict("accept", f"confirmed by a second source ({source} after {held.get('source')})", rate)
    if last is None:
        return QuoteVerdict("accept", "", rate)
    step = abs(rate - Decimal(str(last)))
    if step > settings.max_step:
        way = "down" if rate < Decimal(str(last)) else "up"
        return QuoteVerdict("hold", (f"{_fmt(rate)}% is {_fmt(step)} points {way} from the last quote "
                                     f"({_fmt(Decimal(str(last)))}%), more than the {_fmt(settings.max_step)}-point "
                                     "step: held until confirmed"), rate)
    return QuoteVerdict("accept", "", rate)


# -- the circuit breaker -----------------------------------------------------------------------

@dataclass(frozen=True)
class BreakerVerdict:
    hold: bool
    reason: str


def breaker(batch: int, book: int, sequence: str, kind: str, settings: GuardSettings,
            recounted: bool = True) -> BreakerVerdict:
    """Hold or go for ``batch`` leads entering ``sequence`` (``kind``: marketing | transactional)
    in one run, against a book of ``book`` leads. Transactional updates always go. A book never
    ``recounted`` (only ADDs since the counter began) may be short on a stack older than it: the
    hold says so, and how to count it."""
    if kind != "marketing":
        return BreakerVerdict(False, "transactional: never held")
    if batch < settings.breaker_min_batch:
        return BreakerVerdict(False, f"{batch} leads: under the {settings.breaker_min_batch}-lead minimum")
    limit = settings.breaker_share * max(book, 0)
    share = f"{_fmt(settings.breaker_share * 100)}%"
    if batch <= limit:
        return BreakerVerdict(False, f"{batch} of {book} leads: within {share} of the book")
    of_book = f"{batch * 100 / book:.0f}% of the team's book of {book}" if book > 0 else \
        "more than the team's book as counted (0 leads)"
    unsure = ("; the book has never been recounted (a stack older than its counter counts only the leads "
              "created since): run `make recount-book STAGE=<team>`, then release if the run is right") \
        if not recounted else ""
    return BreakerVerdict(True, f"{batch} leads into {sequence} in one run is {of_book}, over the {share} limit: "
                                f"held until a person releases it{unsure}")
