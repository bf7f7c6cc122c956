"""The packed library history (store/history.py): lossless, and a year of it under one write unit."""
import json
import random
from datetime import date, timedelta

import pytest

from chalicelib.store.history import pack, unpack


def _year(rng: random.Random, entries: int = 90) -> list:
    day, out = date(2027, 1, 4), []
    for n in range(entries):
        day += timedelta(days=rng.choice([0, 1, 3, 4, 7]))
        key = rng.choice([None, None, None, day.isoformat(), "conv30@2027-03-01", "ünïcode, \"quoted\""])
        out.append([f"{rng.choice(['text', 'article', 'call', 'market'])}_{n:03d}_{rng.randrange(10**6)}",
                    day.isoformat(), key])
    return out


@pytest.mark.parametrize("seed", range(25))
def test_a_history_reads_back_exactly_as_it_was_written(seed):
    history = _year(random.Random(seed), entries=random.Random(seed).randrange(0, 120))
    assert unpack(pack(history)) == history


def test_entries_without_a_key_come_back_with_none_and_unsorted_dates_survive():
    history = [["a", "2027-05-01"], ["b", "2026-12-31", None], ["c", "2027-05-01", "k"]]
    assert unpack(pack(history)) == [["a", "2027-05-01", None], ["b", "2026-12-31", None], ["c", "2027-05-01", "k"]]


def test_a_years_history_fits_one_write_unit_with_its_keys():
    """Ids like the library's (snake_case words), about 85 items a year: the JSON list was
    ~3.3 KB (four write units); packed, the item with its keys stays under 1 KB."""
    rng = random.Random(7)
    words = ["home", "money", "tax", "season", "market", "update", "text", "holiday", "check", "in", "equity",
             "insurance", "credit", "winterize", "spring", "refi", "watch", "year", "end", "news"]
    day, history = date(2027, 1, 4), []
    for n in range(85):
        day += timedelta(days=rng.choice([3, 4, 5]))
        history.append(["_".join(rng.sample(words, 3)), day.isoformat(), day.isoformat() if n % 40 == 0 else None])
    keys = len("lead_id") + 32 + len("enrollment_id") + len("past_client_program.5daa848001cd#rotation")
    packed = pack(history)
    assert len(json.dumps(history, separators=(",", ":"))) > 3000
    assert len(packed) + len("history") + keys < 1024


def test_an_unknown_format_is_refused_not_misread():
    with pytest.raises(ValueError, match="format"):
        unpack(b"\x07" + pack([["a", "2027-01-01", None]])[1:])
