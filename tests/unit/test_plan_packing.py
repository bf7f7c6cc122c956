"""A lead's plan (store/plan.py): its live enrollments packed onto its bookkeeping item."""
import random

import pytest

from chalicelib.store import plan

URGENT = {"touch_id": "e.2", "step": "ctc", "channel": "email", "to_role": "borrower", "urgent": True}


def _doc(n: int, due: str | None, **extra) -> dict:
    return {"enrollment_id": f"seq_{n}.{n:012x}", "lead_id": "5f" * 16, "sequence": f"seq_{n}", "status": "active",
            "due_at": due, "step": "s", "touch_steps": {f"seq_{n}.{n:012x}.{k}": f"step_{k}" for k in range(4)},
            "step_times": {"a": "2027-01-04T15:00:00+00:00"}, **extra}


def test_a_plan_reads_back_as_it_was_written_with_its_lead():
    rng = random.Random(5)
    for _ in range(25):
        docs = [_doc(n, f"2027-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T15:00:00+00:00",
                     touch_no=rng.randint(0, 90), hot=rng.random() < 0.2) for n in range(rng.randint(1, 3))]
        assert plan.unpack(plan.pack(docs), docs[0]["lead_id"]) == sorted(docs, key=lambda d: d["enrollment_id"])
    assert plan.pack([]) is None and plan.unpack(None, "x") == []


def test_a_plan_of_one_or_two_enrollments_fits_one_write_unit_with_room_for_the_bookkeeping():
    assert len(plan.pack([_doc(1, "2027-01-04T15:00:00+00:00")])) < 450
    assert len(plan.pack([_doc(1, "2027-01-04T15:00:00+00:00"), _doc(2, None, status="paused")])) < 650


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError):
        plan.unpack(bytes([9]) + plan.pack([_doc(1, None)])[1:], "x")


def test_the_due_entry_is_the_earliest_step_in_the_urgent_partition_when_any_is_urgent():
    early, late = "2027-01-04T15:00:00+00:00", "2027-01-09T15:00:00+00:00"
    assert plan.entry([_doc(1, late), _doc(2, early)]) == (plan.DUE_SHARD, early)
    assert plan.entry([_doc(1, late, next_touch=URGENT), _doc(2, early)]) == (plan.URGENT_SHARD, early)
    assert plan.entry([_doc(1, None, status="paused")]) == (None, None)
    assert [d["due_at"] for d in plan.due_by([_doc(1, late), _doc(2, early)], early)] == [early]
