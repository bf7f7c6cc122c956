"""Market rates: stored per product with history (``PUT /rates``, feeds), read by the rate sweep."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from ..domain.lead import ValidationError
from .context import Context

PRODUCT = re.compile(r"[a-z0-9_]{2,20}")
MAX_RATE = Decimal("30")
MAX_FUTURE_DAYS = 1          # "as_of" tomorrow is a time-zone difference; later is a typo
MAX_QUOTE_AGE_DAYS = 14      # what the rate sweep and event enrichment accept as "today's rate"


def _rate(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        rate = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not rate.is_finite() or not Decimal("0") < rate < MAX_RATE:
        return None
    return rate.quantize(Decimal("0.001")).normalize()


def validate_rate(body: object, now: datetime) -> dict:
    if not isinstance(body, dict):
        raise ValidationError({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    product = body.get("product")
    if not isinstance(product, str) or not PRODUCT.fullmatch(product):
        errors["product"] = "is required: a short product code such as conv30"
    rate = _rate(body.get("rate"))
    if rate is None:
        errors["rate"] = "is required: a number of percent above 0 and below 30, such as 6.125"
    as_of = body.get("as_of", now.date().isoformat())
    try:
        day = date.fromisoformat(as_of) if isinstance(as_of, str) and len(as_of) == 10 else None
    except ValueError:
        day = None
    if day is None:
        errors["as_of"] = "must be a date YYYY-MM-DD"
    elif day > now.date() + timedelta(days=MAX_FUTURE_DAYS):
        errors["as_of"] = "must not be in the future"
    source = body.get("source", "api")
    if not isinstance(source, str) or not 1 <= len(source) <= 40:
        errors["source"] = "must be a short text (1 to 40 characters)"
    unknown = set(body) - {"product", "rate", "as_of", "source"}
    for name in sorted(unknown):
        errors[name] = "is not a field of a rate"
    if errors:
        raise ValidationError(errors)
    return {"product": product, "rate": rate, "as_of": day.isoformat(), "source": source}


def put_rate(ctx: Context, body: object, now: datetime) -> dict:
    """Store one product's rate for a day (the same day again replaces it)."""
    quote = validate_rate(body, now)
    ctx.rates.put(quote["product"], float(quote["rate"]), quote["as_of"], quote["source"])
    return {**quote, "rate": float(quote["rate"])}


def history(ctx: Context, product: str | None, limit: int = 52) -> list[dict]:
    """A product's rates, newest first; without a product, the latest of each product."""
    if product is None:
        return ctx.rates.latest_all()
    if not PRODUCT.fullmatch(product):
        raise ValidationError({"product": "must be a short product code such as conv30"})
    return ctx.rates.history(product, limit)


def import_feed(ctx: Context, feed, now: datetime) -> dict:
    """Store a feed's latest quotes (``rates_feed.RateFeed``); storing the same week twice is a no-op."""
    stored = []
    for q in feed.latest():
        put_rate(ctx, {"product": q.product, "rate": str(q.rate), "as_of": q.as_of, "source": q.source[:40]}, now)
        stored.append({"product": q.product, "rate": float(q.rate), "as_of": q.as_of})
    return {"stored": stored}


def market_quote(ctx: Context, product: str | None, today: date) -> dict | None:
    """Today's rate for a product as the triggers take it (``{"product", "rate", "as_of"}``), or
    None when there is none or it is older than MAX_QUOTE_AGE_DAYS."""
    if not product:
        return None
    latest = ctx.rates.latest(product)
    if latest is None or date.fromisoformat(latest["as_of"][:10]) < today - timedelta(days=MAX_QUOTE_AGE_DAYS):
        return None
    return {"product": product, "rate": str(Decimal(str(latest["rate"]))), "as_of": latest["as_of"]}


def with_market(ctx: Context, lead: dict, event_type: str, data: dict, today: date) -> dict:
    """Event data for ``credit_pull`` and ``home_value_updated`` with today's rate for the lead's
    product added as ``data["market"]`` (the pure triggers cannot read the rates table). For the
    events API to call before it publishes; data that already has a market is left as it is."""
    if event_type not in ("credit_pull", "home_value_updated") or "market" in data:
        return data
    quote = market_quote(ctx, (lead.get("loan") or {}).get("product"), today)
    return {**data, "market": quote} if quote else data


MONTH_BACK_DAYS = 28  # "what moved": this week's quote against the one about a month earlier


class MarketBoard:
    """This week's quote per product with the one a month earlier, as the pure rules read it
    (``board.get(product)`` -> ``{"product", "rate", "as_of", "previous": {"rate", "as_of"}}``).

    Nothing is read until a rule asks; then the latest quotes (one Query on the latest partition)
    and, per product asked, its recent history (one Query), once for the life of the board (one
    scheduler run or one event). Freshness is the rule's call: it knows ``now``."""

    def __init__(self, ctx: Context):
        self._ctx = ctx
        self._latest: dict | None = None
        self._quotes: dict = {}

    def get(self, product: str, default=None):
        if self._latest is None:
            self._latest = {q["product"]: q for q in self._ctx.rates.latest_all()}
        latest = self._latest.get(product)
        if latest is None:
            return default
        if product not in self._quotes:
            day = date.fromisoformat(latest["as_of"][:10])
            earlier = [h for h in self._ctx.rates.history(product, limit=40)
                       if date.fromisoformat(h["as_of"][:10]) <= day - timedelta(days=MONTH_BACK_DAYS)]
            self._quotes[product] = {
                "product": product, "rate": str(Decimal(str(latest["rate"]))), "as_of": latest["as_of"][:10],
                "previous": {"rate": str(Decimal(str(earlier[0]["rate"]))), "as_of": earlier[0]["as_of"][:10]}
                if earlier else None}
        return self._quotes[product]
