"""Market rates: stored per product with history (``PUT /rates``, feeds), read by the rate sweep.

Every quote passes the guard rails first (``domain.guard``): a figure outside the product's bounds
is refused (the API answers 400 naming ``rate``; a feed's quote is skipped and the ops topic told),
and a move of more than the team's step from the last accepted quote is stored as *held* in its
own place: the sweeps and event enrichment read accepted quotes only, so nothing is mailed on it
until someone confirms it (``"confirm": true``, or the same figure from a second source).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

from ..domain.guard import GuardSettings, diagnose, judge_quote
from ..domain.lead import ValidationError
from .context import Context
from .guard import guard_settings

PRODUCT = re.compile(r"[a-z0-9_]{2,20}")
MAX_FUTURE_DAYS = 1          # "as_of" tomorrow is a time-zone difference; later is a typo
MAX_QUOTE_AGE_DAYS = 14      # what the rate sweep and event enrichment accept as "today's rate"
FIELDS = ("product", "rate", "as_of", "source", "confirm")


def validate_rate(body: object, now: datetime, guard: GuardSettings | None = None) -> dict:
    if not isinstance(body, dict):
        raise ValidationError({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    product = body.get("product")
    if not isinstance(product, str) or not PRODUCT.fullmatch(product):
        errors["product"] = "is required: a short product code such as conv30"
    rate = None
    if body.get("rate") is None:
        errors["rate"] = "is required: a number of percent, such as 6.125"
    else:
        rate, problem = diagnose(body["rate"], product if "product" not in errors else "*", guard or GuardSettings())
        if problem:
            errors["rate"] = problem
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
    confirm = body.get("confirm", False)
    if not isinstance(confirm, bool):
        errors["confirm"] = "must be true or false: true confirms a move the guard held"
    for name in sorted(set(body) - set(FIELDS)):
        errors[name] = "is not a field of a rate"
    if errors:
        raise ValidationError(errors)
    return {"product": product, "rate": rate.quantize(Decimal("0.001")).normalize(), "as_of": day.isoformat(),
            "source": source, "confirm": confirm}


def put_rate(ctx: Context, body: object, now: datetime) -> dict:
    """Store one product's rate for a day (the same day again replaces it), or hold it.
    Answers the quote with ``status``: ``accepted`` or ``held`` (with the ``reason``)."""
    settings = guard_settings(ctx)
    return _store(ctx, validate_rate(body, now, settings), now, settings)


def _store(ctx: Context, quote: dict, now: datetime, settings: GuardSettings) -> dict:
    product, rate = quote["product"], quote["rate"]
    out = {"product": product, "rate": float(rate), "as_of": quote["as_of"], "source": quote["source"]}
    latest = ctx.rates.latest(product)
    # a back-filled older day is history only (the sweeps read the latest): no step to check
    backfill = latest is not None and quote["as_of"] < latest["as_of"][:10]
    held = None if backfill else ctx.held_rates.get(product)
    verdict = judge_quote(product, rate, settings, last=None if backfill or latest is None else latest["rate"],
                          held=held, source=quote["source"], confirm=quote["confirm"])
    if verdict.action == "refuse":  # validate_rate diagnosed the same figure: not reached
        raise ValidationError({"rate": verdict.reason})
    if verdict.action == "hold":
        again = held is not None and held["rate"] == out["rate"] and held.get("as_of") == out["as_of"]
        ctx.held_rates.put({**out, "reason": verdict.reason, "previous_rate": latest["rate"],
                            "previous_as_of": latest["as_of"], "held_at": now.isoformat()})
        if not again:
            from .notify import notify_ops

            notify_ops(ctx, f"{product} rate move held: {latest['rate']}% to {out['rate']}%", {
                **out, "previous_rate": latest["rate"], "reason": verdict.reason,
                "what_to_do": (f'If it is right, PUT /rates {{"product": "{product}", "rate": {out["rate"]}, '
                               '"confirm": true}; a corrected figure replaces it. No sweep uses it until then.')})
        return {**out, "status": "held", "reason": verdict.reason}
    ctx.rates.put(product, out["rate"], quote["as_of"], quote["source"])
    if held is not None:  # confirmed, or superseded by a figure within the step
        ctx.held_rates.clear(product)
    answer = {**out, "status": "accepted"}
    if verdict.reason or held is not None:
        answer["reason"] = verdict.reason or f"replaces the held {held['rate']}%"
    return answer


def history(ctx: Context, product: str | None, limit: int = 52) -> list[dict]:
    """A product's rates, newest first; without a product, the latest of each product. Quotes the
    guard holds come first, with ``status: held`` and why; the rest are ``accepted``."""
    if product is not None and not PRODUCT.fullmatch(product):
        raise ValidationError({"product": "must be a short product code such as conv30"})
    if product is None:
        held, accepted = ctx.held_rates.all(), ctx.rates.latest_all()
    else:
        one = ctx.held_rates.get(product)
        held, accepted = ([one] if one else []), ctx.rates.history(product, limit)
    return [{**q, "status": "held"} for q in held] + [{**q, "status": "accepted"} for q in accepted]


def import_feed(ctx: Context, feed, now: datetime) -> dict:
    """Store a feed's latest quotes (``rates_feed.RateFeed``); storing the same week twice is a no-op.
    A quote the guard refuses (a unit mistake, a shifted column) is skipped and the ops topic told;
    one it holds waits for confirmation. Returns what was ``stored``, ``held`` and ``skipped``."""
    from .notify import notify_ops

    got: dict[str, list] = {"stored": [], "held": [], "skipped": []}
    for q in feed.latest():
        value = q.raw or str(q.rate)
        try:
            answer = put_rate(ctx, {"product": q.product, "rate": value, "as_of": q.as_of,
                                    "source": q.source[:40]}, now)
        except ValidationError as exc:
            got["skipped"].append({"product": q.product, "value": value, "as_of": q.as_of, "problems": exc.fields})
            notify_ops(ctx, f"rate feed quote refused: {q.product}", {
                "product": q.product, "value": value, "as_of": q.as_of, "source": q.source, "problems": exc.fields,
                "what_to_do": "Check the feed (a unit change, a shifted column). The last accepted rate stays in use."})
            continue
        key = "held" if answer["status"] == "held" else "stored"
        got[key].append({"product": q.product, "rate": answer["rate"], "as_of": q.as_of})
    return got


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


def reject_held(ctx: Context, product: str, by: str | None = None) -> dict | None:
    """Drop a product's held quote (a person says the move is wrong): the last accepted rate stays
    current and no sweep ever reads the held one. Returns the dropped quote, None when none was held."""
    if not isinstance(product, str) or not PRODUCT.fullmatch(product):
        raise ValidationError({"product": "must be a short product code such as conv30"})
    held = ctx.held_rates.get(product)
    if held is None:
        return None
    ctx.held_rates.clear(product)
    from ..observability import logger

    logger.info("held rate rejected", extra={"product": product, "rate": held["rate"], "by": by})
    return held
