"""The content library and its rotation: which item a library slot sends next. Pure.

A program's library is a set of shelves (``market``, ``seasonal``, ``articles``, ``texts``...),
each a tuple of :class:`Item`. A slot names the shelves it may draw from, in order of preference;
:func:`choose` returns the first fit item of the first shelf that has one, or None (the slot
passes: no filler). An item is fit when:

* the channel reaches the borrower (``email``: an address that is not suppressed; ``sms``: a
  phone with SMS consent and no STOP);
* the borrower's facts hold what it ``requires`` and none of what it ``avoid``-s (a PMI article
  only for a conventional loan with mortgage insurance, a VA article only for a VA loan...);
* it is in season (``months``);
* it was not sent in the last ``repeat_days`` (365: never the same article twice in a year);
* no other item of its ``family`` went in the last ``family_gap_days`` (one referral ask per
  four months, one LO call a quarter...);
* a data-driven item (``data``: ``market``, ``equity``) has data, and the data changed since the
  last one went (``facts.data[data]`` is a key such as the quote's date).

Among fit items of a shelf: the series order first (``order``: the education series reads in
sequence), then the item whose season ends soonest, then the one sent longest ago (never first),
then a per-borrower shuffle (so a whole book does not get the same article the same week).

The history is plain data on the enrollment: ``[[item_id, "YYYY-MM-DD", data_key], ...]``, the
last send of each item, oldest first.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta

KEEP_DAYS = 400  # history older than this cannot block anything


@dataclass(frozen=True)
class Item:
    id: str                              # unique in its library; names the template file
    channel: str                         # email | sms | task
    template: str                        # under templates/<channel>/, without suffix
    title: str                           # what it is about, in plain words (LO talking points, audit)
    subject: str | None = None           # email: a Jinja2 line
    months: tuple[int, ...] = ()         # in season these months only (empty: all year)
    requires: tuple[str, ...] = ()       # facts that must hold
    avoid: tuple[str, ...] = ()          # facts that must not
    order: int = 0                       # series position: lower goes first
    repeat_days: int = 365
    family: str | None = None
    family_gap_days: int = 0
    data: str | None = None              # market | equity: built from data at send time
    text: str | None = None              # email: its short version when it goes as a text (dsl.Touch.text)
    never_text: str = ""                 # email: why it never goes as a text


@dataclass(frozen=True)
class Facts:
    tags: frozenset = frozenset()                    # "email", "sms", "loan", "positive", "loan_type:va"...
    data: dict = field(default_factory=dict)         # data name -> key of the data as it is now


def _reaches(item: Item, tags: frozenset) -> bool:
    return item.channel not in ("email", "sms") or item.channel in tags


@dataclass(frozen=True)
class _Seen:
    """The history read once: when each item last went (and with which data), and each family."""
    last: dict
    family_last: dict

    @classmethod
    def of(cls, library: dict, history: list) -> "_Seen":
        last: dict[str, tuple[date, str | None]] = {}
        for h in history:
            on = date.fromisoformat(h[1])
            if h[0] not in last or on >= last[h[0]][0]:
                last[h[0]] = (on, h[2] if len(h) > 2 else None)
        family_last: dict[str, date] = {}
        for i in items(library):
            if i.family and i.id in last:
                family_last[i.family] = max(family_last.get(i.family, date.min), last[i.id][0])
        return cls(last, family_last)


def _fit(item: Item, seen: _Seen, today: date, facts: Facts) -> bool:
    if not _reaches(item, facts.tags):
        return False
    if any(r not in facts.tags for r in item.requires) or any(a in facts.tags for a in item.avoid):
        return False
    if item.months and today.month not in item.months:
        return False
    mine = seen.last.get(item.id)
    if mine and (today - mine[0]).days < item.repeat_days:
        return False
    if item.data:
        key = facts.data.get(item.data)
        if key is None or (mine and mine[1] == key):
            return False
    if item.family and item.family_gap_days and item.family in seen.family_last:
        if (today - seen.family_last[item.family]).days < item.family_gap_days:
            return False
    return True


def fit(item: Item, library: dict, history: list, today: date, facts: Facts) -> bool:
    return _fit(item, _Seen.of(library, history), today, facts)


def _months_left(item: Item, today: date) -> int:
    """How many more months the item stays in season (13 for all-year items)."""
    if not item.months:
        return 13
    left = 0
    while (today.month + left - 1) % 12 + 1 in item.months and left < 12:
        left += 1
    return left


def _shuffle(salt: str, item_id: str) -> str:
    return hashlib.sha256(f"{salt}:{item_id}".encode()).hexdigest()


def choose(library: dict, shelves: tuple[str, ...], history: list, today: date, facts: Facts,
           salt: str = "") -> Item | None:
    seen = _Seen.of(library, history)
    for shelf in shelves:
        fit_items = [i for i in library.get(shelf, ()) if _fit(i, seen, today, facts)]
        if fit_items:
            def rank(i: Item):
                return i.order, _months_left(i, today), seen.last.get(i.id, (date.min,))[0], _shuffle(salt, i.id)
            return min(fit_items, key=rank)
    return None


def remember(history: list, item: Item, today: date, key: str | None = None) -> list:
    """The history with this send added: one entry per item, its last send (all a fit test
    reads: the repeat and family gaps, and the data key), none older than KEEP_DAYS. A year of
    a program stays near one entry per item it has, not one per send."""
    horizon = (today - timedelta(days=KEEP_DAYS)).isoformat()
    return [h for h in history if h[1] >= horizon and h[0] != item.id] + [[item.id, today.isoformat(), key]]


def items(library: dict) -> list[Item]:
    """Every item once, in shelf order (an item may sit on more than one shelf)."""
    seen: dict[str, Item] = {}
    for shelf in library.values():
        for i in shelf:
            seen.setdefault(i.id, i)
    return list(seen.values())


# Writing helpers for a library (templates under templates/<channel>/library/<audience>/<id>).

def article(audience: str, id_: str, subject: str, title: str, **kw) -> Item:
    """An e-mail, written once as text (``templates/email/library/<audience>/<id>.txt.j2``)."""
    return Item(id_, "email", f"library/{audience}/{id_}", title, subject, **kw)


def text(audience: str, id_: str, title: str, **kw) -> Item:
    return Item(id_, "sms", f"library/{audience}/{id_}", title, **kw)


def call(audience: str, id_: str, title: str, **kw) -> Item:
    """An LO call task (its first line is the task's title, the rest its talking points)."""
    return Item(id_, "task", f"library/{audience}/{id_}", title, **kw)
