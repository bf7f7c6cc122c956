"""One contract, two stores: DynamoDB (on moto, tables from infra/) and the in-memory store.

The fast simulator runs the engine on ``chalicelib/store/memory/``; it may only do so because
every behaviour the engine relies on (conditional writes, all-or-nothing transactions, sparse
indexes, paging, identity claims) is checked here against both.
"""
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.store.errors import Conflict, Duplicate
from chalicelib.store.split import changes
from chalicelib.store.writeset import WriteSet

T0 = datetime(2027, 4, 13, 15, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["dynamodb", "memory"])
def repos(request):
    from chalicelib.config import settings
    from chalicelib.services.context import Context

    if request.param == "memory":
        yield Context.in_memory(settings())
        return
    request.getfixturevalue("aws")
    yield Context(settings())


def _lead(n: int, **extra) -> dict:
    at = (T0 + timedelta(minutes=n)).isoformat()
    return {"lead_id": f"lead-{n:03d}", "first_name": f"B{n}", "email": f"b{n}@example.com",
            "phone": f"+1512555{n:04d}", "lo_id": "lo-1", "stage": "new_lead", "created_at": at,
            "consent_records": [], **extra}


def _enrollment(lead_id: str, n: int, due: str | None, **extra) -> dict:
    return {"enrollment_id": f"{lead_id}.e{n}", "lead_id": lead_id, "sequence": "lead_nurture", "status": "active",
            "due_at": due, "step": "x", **extra}


# -- leads -------------------------------------------------------------------------------------

def test_a_lead_reads_back_with_a_version_that_counts_writes(repos):
    created = repos.leads.create(_lead(1, loan={"rate": 6.5, "amount": 300000}))
    assert created["_version"] == 1 and created["loan"] == {"rate": 6.5, "amount": 300000}
    saved = repos.leads.save({**created, "first_name": "Bea"})
    assert saved["_version"] == 2 and repos.leads.get("lead-001")["first_name"] == "Bea"
    assert repos.leads.get("nobody") is None
    assert set(repos.leads.get_many(["lead-001", "nobody", "lead-001"])) == {"lead-001"}


def test_a_stale_write_is_a_conflict_and_changes_nothing(repos):
    created = repos.leads.create(_lead(1))
    repos.leads.save({**created, "first_name": "First"})
    with pytest.raises(Conflict):
        repos.leads.save({**created, "first_name": "Second"})  # read at version 1, now 2
    assert repos.leads.get("lead-001")["first_name"] == "First"


def test_an_email_or_phone_belongs_to_one_lead(repos):
    repos.leads.create(_lead(1))
    with pytest.raises(Duplicate) as dup:
        repos.leads.create({**_lead(2), "email": "B1@EXAMPLE.com"})
    assert dup.value.lead_id == "lead-001"
    with pytest.raises(Duplicate):
        repos.leads.create({**_lead(3), "phone": "+15125550001"})
    assert repos.leads.find_duplicate("b1@example.com", None) == "lead-001"
    assert repos.leads.find_duplicate("b1@example.com", None, exclude="lead-001") is None


def test_a_changed_email_moves_its_claim(repos):
    one = repos.leads.create(_lead(1))
    repos.leads.create(_lead(2))
    moved = repos.leads.save({**one, "email": "new@example.com"}, was=one)
    assert repos.leads.find_duplicate("b1@example.com", None) is None
    assert repos.leads.find_duplicate("new@example.com", None) == "lead-001"
    with pytest.raises(Duplicate) as dup:
        repos.leads.save({**moved, "email": "b2@example.com"}, was=moved)
    assert dup.value.lead_id == "lead-002"
    assert repos.leads.get("lead-001")["email"] == "new@example.com"


def test_listing_by_lo_pages_newest_first_without_gaps_or_repeats(repos):
    for n in range(5):
        repos.leads.create(_lead(n, stage="funded" if n % 2 else "new_lead"))
    seen, cursor = [], None
    while True:
        page, cursor = repos.leads.list("lo-1", None, 2, cursor)
        seen += [lead["lead_id"] for lead in page]
        if not cursor:
            break
    assert seen == [f"lead-{n:03d}" for n in (4, 3, 2, 1, 0)]
    funded, cursor = [], None
    while True:
        page, cursor = repos.leads.list(None, "funded", 1, cursor)
        funded += [lead["lead_id"] for lead in page]
        if not cursor:
            break
    assert funded == ["lead-003", "lead-001"]
    with pytest.raises(ValueError):
        repos.leads.list("lo-1", None, 2, "bm90LWEtY3Vyc29y")


def test_sparse_indexes_hold_only_the_leads_a_sweep_needs(repos):
    past = dict(stage="funded", birthday="1980-04-15",
                loan={"funded_on": "2024-04-15", "product": "conv30", "rate": 7.25})
    repos.leads.create(_lead(1, **past))
    repos.leads.create(_lead(2, **{**past, "loan": {**past["loan"], "rate": 6.0}}))
    repos.leads.create(_lead(3, birthday="1990-04-15"))              # an open lead: birthday only
    repos.leads.create(_lead(4, stage="funded", loan={"funded_on": "2024-05-01"}))
    ids = lambda page: sorted(lead["lead_id"] for lead in page[0])  # noqa: E731
    assert ids(repos.leads.query_index("by_funded_md", "04-15")) == ["lead-001", "lead-002"]
    assert ids(repos.leads.query_index("by_birthday_md", "04-15")) == ["lead-001", "lead-002", "lead-003"]
    assert ids(repos.leads.query_index("by_refi_rate", "conv30", 7.0)) == ["lead-001"]
    assert ids(repos.leads.query_index("by_refi_rate", "conv30")) == ["lead-001", "lead-002"]
    assert repos.leads.query_index("by_funded_md", "12-25")[0] == []
    read, start, pages = [], None, 0
    while True:
        items, start, n = repos.leads.query_index("by_birthday_md", "04-15", page_size=2, start=start)
        read += [lead["lead_id"] for lead in items]
        pages += 1
        assert n == len(items)
        if not start:
            break
    assert sorted(read) == ["lead-001", "lead-002", "lead-003"] and len(read) == 3 and pages >= 2
    saved = repos.leads.save({**repos.leads.get("lead-003"), "birthday": None})
    assert saved["lead_id"] not in ids(repos.leads.query_index("by_birthday_md", "04-15"))


def test_a_touch_writes_the_bookkeeping_and_leaves_the_record_alone(repos):
    lead = repos.leads.create(_lead(1, stage="new_lead"))
    touched = {**lead, "last_touch_at": T0.isoformat(), "last_contact_at": T0.isoformat(),
               "recent_solicitations": [T0.isoformat()]}
    assert changes(touched) == (False, True)  # the bookkeeping only
    repos.uow.commit(WriteSet([_enrollment("lead-001", 1, None)], touched))
    after = repos.leads.get("lead-001")
    assert after["_version"] == lead["_version"] and after["last_contact_at"] == T0.isoformat()
    assert after["recent_solicitations"] == [T0.isoformat()]
    # a record change by someone else does not conflict with the bookkeeping, nor the reverse
    renamed = repos.leads.save({**lead, "first_name": "Renamed"})
    assert renamed["_version"] == lead["_version"] + 1
    assert repos.leads.get("lead-001")["last_touch_at"] == T0.isoformat()
    again = {**after, "last_touch_at": (T0 + timedelta(days=2)).isoformat()}
    repos.uow.commit(WriteSet([], again))
    assert repos.leads.get("lead-001")["first_name"] == "Renamed"
    with pytest.raises(Conflict):  # the same bookkeeping read twice: the second write loses
        repos.uow.commit(WriteSet([], {**after, "last_touch_at": (T0 + timedelta(days=3)).isoformat()}))
    assert changes(repos.leads.get("lead-001")) == (False, False)


def test_the_wake_up_key_moves_only_when_the_record_is_written(repos):
    lead = repos.leads.create(_lead(1, created_at="2027-03-01T15:00:00+00:00"))
    ids = lambda key: [x["lead_id"] for x in repos.leads.query_index("by_wake_day", key)[0]]  # noqa: E731
    assert ids("2027-03-31") == ["lead-001"]
    touched = {**lead, "last_contact_at": "2027-03-20T15:00:00+00:00"}
    repos.uow.commit(WriteSet([], touched))
    stale = repos.leads.query_index("by_wake_day", "2027-03-31")[0]
    assert [x["last_contact_at"] for x in stale] == ["2027-03-20T15:00:00+00:00"]  # found early, read true
    repos.leads.save(stale[0])  # nothing else changed: re-keyed all the same
    assert ids("2027-03-31") == [] and ids("2027-04-19") == ["lead-001"]


# -- enrollments and the due index ---------------------------------------------------------------

def test_only_enrollments_with_a_step_to_run_are_due(repos):
    early, late = T0.isoformat(), (T0 + timedelta(hours=2)).isoformat()
    repos.uow.commit(WriteSet([_enrollment("lead-001", 1, late), _enrollment("lead-001", 2, None, status="completed"),
                                _enrollment("lead-002", 1, early)]))
    assert [e["enrollment_id"] for e in repos.enrollments.due((T0 + timedelta(hours=1)).isoformat())[0]] == \
        ["lead-002.e1"]
    assert repos.enrollments.next_due() == T0
    due, start = repos.enrollments.due(late, page_size=1)
    assert len(due) == 1 and start is not None
    rest, _ = repos.enrollments.due(late, page_size=5, start=start)
    assert [e["enrollment_id"] for e in due + rest] == ["lead-002.e1", "lead-001.e1"]
    first = repos.enrollments.for_lead("lead-001")[0]
    assert first["_version"] == 1
    repos.uow.commit(WriteSet([{**first, "due_at": None, "status": "completed"}]))
    assert [e["enrollment_id"] for e in repos.enrollments.due(late)[0]] == ["lead-002.e1"]


def test_a_leads_running_enrollments_share_its_version_and_a_stale_write_to_either_conflicts(repos):
    """The live enrollments sit in the lead's plan, on its bookkeeping item: one version for all
    of them and the bookkeeping, so two writers deciding on the same lead never both win."""
    lead = repos.leads.create(_lead(1))
    repos.uow.commit(WriteSet([_enrollment("lead-001", 1, T0.isoformat()), _enrollment("lead-001", 2, None)]))
    first, second = repos.enrollments.for_lead("lead-001")
    assert first["_version"] == second["_version"] == repos.leads.get("lead-001")["_contact_version"]
    repos.uow.commit(WriteSet([{**first, "step": "next"}]))
    with pytest.raises(Conflict):  # read before the other enrollment moved
        repos.uow.commit(WriteSet([{**second, "status": "paused"}]))
    with pytest.raises(Conflict):  # the bookkeeping read before it too
        repos.uow.commit(WriteSet([], {**lead, "_contact_version": first["_version"],
                                        "last_touch_at": T0.isoformat()}))
    saved = repos.leads.save({**repos.leads.get("lead-001"), "last_contact_at": T0.isoformat()})
    after = repos.enrollments.for_lead("lead-001")  # a bookkeeping write keeps the plan beside it
    assert [(e["enrollment_id"], e["step"]) for e in after] == [("lead-001.e1", "next"), ("lead-001.e2", "x")]
    assert {e["_version"] for e in after} == {saved["_contact_version"]}
    repos.uow.commit(WriteSet([{**after[1], "status": "paused"}], {**saved, "last_touch_at": T0.isoformat()}))  # both on one item: one step of its version
    assert repos.leads.get("lead-001")["_contact_version"] == saved["_contact_version"] + 1
    assert [e["status"] for e in repos.enrollments.for_lead("lead-001")] == ["active", "paused"]


def test_a_lead_is_due_once_at_its_earliest_step_and_read_first_when_any_step_is_urgent(repos):
    soon, later = T0.isoformat(), (T0 + timedelta(hours=3)).isoformat()
    urgent = {"touch_id": "t", "step": "x", "channel": "email", "to_role": "borrower", "urgent": True}
    repos.uow.commit(WriteSet([_enrollment("lead-001", 1, soon), _enrollment("lead-001", 2, later, next_touch=urgent),
                                _enrollment("lead-002", 1, soon)]))
    now = (T0 + timedelta(minutes=1)).isoformat()
    assert [e["enrollment_id"] for e in repos.enrollments.due(now, urgent=True)[0]] == ["lead-001.e1"]
    assert [e["enrollment_id"] for e in repos.enrollments.due(now)[0]] == ["lead-002.e1"]
    both = repos.enrollments.due((T0 + timedelta(hours=4)).isoformat(), urgent=True)[0]
    assert [e["enrollment_id"] for e in both] == ["lead-001.e1", "lead-001.e2"]
    assert repos.enrollments.next_due() == T0
    done = [{**e, "status": "completed", "due_at": None} for e in repos.enrollments.for_lead("lead-001")]
    repos.uow.commit(WriteSet(done))  # finished: out of the plan, into items of their own
    assert repos.enrollments.due((T0 + timedelta(hours=4)).isoformat(), urgent=True)[0] == []
    assert [(e["status"], "_home" in e) for e in repos.enrollments.for_lead("lead-001")] == [("completed", False)] * 2
    with pytest.raises(Conflict):  # a finished enrollment's item is versioned on its own
        repos.uow.commit(WriteSet([{**done[0], "status": "exited"}]))


def test_a_transaction_is_all_or_nothing(repos):
    lead = repos.leads.create(_lead(1))
    repos.uow.commit(WriteSet([_enrollment("lead-001", 1, T0.isoformat())]))
    stale = repos.enrollments.for_lead("lead-001")[0]
    repos.uow.commit(WriteSet([{**stale, "step": "moved"}]))
    touch = {"lead_id": "lead-001", "touch_id": "lead-001.e1.1", "status": "deferred", "at": T0.isoformat(),
             "reason": "cap"}
    item = ({"at": T0.isoformat(), "kind": "enrollment", "action": "paused"}, None)
    with pytest.raises(Conflict):
        repos.uow.commit(WriteSet([{**stale, "step": "lost"}], {**lead, "first_name": "Lost"},
                                   touches=[touch], timeline=[item]))
    assert repos.enrollments.for_lead("lead-001")[0]["step"] == "moved"
    assert repos.leads.get("lead-001")["first_name"] == "B1"
    assert repos.touches.get("lead-001", "lead-001.e1.1") is None and repos.timeline.list("lead-001") == []
    with pytest.raises(Conflict):  # a new enrollment that already exists
        repos.uow.commit(WriteSet([_enrollment("lead-001", 1, None)]))


def test_many_leads_in_one_go_drop_only_the_one_that_changed(repos):
    leads = [repos.leads.create(_lead(n)) for n in range(3)]
    repos.leads.save({**leads[1], "last_contact_at": T0.isoformat()})  # someone else's touch came first
    sets = [WriteSet([_enrollment(lead["lead_id"], 1, T0.isoformat())], {**lead, "last_touch_at": T0.isoformat()},
                     timeline=[({"at": T0.isoformat(), "kind": "enrollment", "action": "enrolled"}, None)])
            for lead in leads]
    assert repos.uow.commit_many(sets) == {1}
    assert repos.leads.get("lead-000")["last_touch_at"] == T0.isoformat()
    assert "last_touch_at" not in repos.leads.get("lead-001")
    assert repos.enrollments.for_lead("lead-001") == [] and repos.timeline.list("lead-001") == []
    assert len(repos.timeline.list("lead-002")) == 1


def test_leads_are_found_by_name_prefix_in_name_order_and_a_rename_moves_them(repos):
    people = [("María", "García"), ("Mario", "Garcia"), ("Ana", "Garza"), ("Sean", "O’Brien"), ("Zoe", None),
              (None, None)]
    for n, (first, last) in enumerate(people):
        repos.leads.create(_lead(n, first_name=first, last_name=last))
    assert repos.leads.names("garcia") == [("lead-000", "garcia maria"), ("lead-001", "garcia mario")]
    assert [i for i, _ in repos.leads.names("gar")] == ["lead-000", "lead-001", "lead-002"]
    assert repos.leads.names("garcia mari", limit=1) == [("lead-000", "garcia maria")]
    assert repos.leads.names("obrien") == [("lead-003", "obrien sean")]
    assert repos.leads.names("zoe") == [("lead-004", "zoe")]   # no last name: the first name alone
    assert repos.leads.names("") == [] and repos.leads.names("x") == []
    ana = repos.leads.get("lead-002")
    repos.leads.save({**ana, "last_name": "Diaz"})
    assert [i for i, _ in repos.leads.names("gar")] == ["lead-000", "lead-001"]
    assert repos.leads.names("diaz") == [("lead-002", "diaz ana")]
    touched = repos.leads.get("lead-000")  # a touch's bookkeeping does not rewrite the record
    repos.leads.save({**touched, "last_touch_at": T0.isoformat()})
    assert repos.leads.names("garcia maria") == [("lead-000", "garcia maria")]


def test_a_name_search_filters_by_lo_and_stage_before_it_stops_at_its_limit(repos):
    for n in range(60):
        repos.leads.create(_lead(n, first_name=f"A{n:02d}", last_name="Smith"))
    repos.leads.create(_lead(60, first_name="Zed", last_name="Smith", lo_id="lo-2"))
    repos.leads.create(_lead(61, first_name="Zoe", last_name="Smith", lo_id="lo-2", stage="funded"))
    assert len(repos.leads.names("smith", 50)) == 50
    assert repos.leads.names("smith", 50, lo_id="lo-2") == [("lead-060", "smith zed"), ("lead-061", "smith zoe")]
    assert repos.leads.names("smith", 50, lo_id="lo-2", stage="funded") == [("lead-061", "smith zoe")]
    assert repos.leads.names("smith", 5, stage="funded") == [("lead-061", "smith zoe")]


# -- touches: the exactly-once guard ---------------------------------------------------------------

def test_a_touch_is_claimed_once_and_moved_on_only_by_its_holder(repos):
    touch = {"lead_id": "lead-001", "touch_id": "t1", "at": T0.isoformat(), "channel": "email"}
    assert repos.touches.claim({**touch, "status": "sending"}, history=False)
    assert not repos.touches.claim({**touch, "status": "sending"})
    assert not repos.touches.mark({**touch, "status": "sent"}, expect="retrying")
    assert repos.touches.mark({**touch, "status": "retrying", "reason": "throttled"}, expect="sending")
    prior = repos.touches.claim_sending({**touch, "status": "sending"})  # a retry may claim again
    assert [h["status"] for h in prior] == ["retrying"]
    assert repos.touches.claim_sending({**touch, "status": "sending"}) is None
    assert repos.touches.put_sent([({**touch, "status": "sent"}, prior)]) == 1
    got = repos.touches.get("lead-001", "t1", consistent=True)
    assert got["status"] == "sent" and [h["status"] for h in got["history"]] == ["retrying", "sent"]
    assert repos.touches.claim_sending({**touch, "status": "sending"}) is None  # sent is final
    assert repos.touches.claim_sending({**touch, "touch_id": "t2", "status": "sending"}) == []
    assert [t["touch_id"] for t in repos.touches.for_lead("lead-001")] == ["t1", "t2"]
    assert not repos.touches.mark({**touch, "touch_id": "t3", "status": "sent"}, expect="sending")


def test_a_touch_record_keeps_the_touch_not_its_orders_delivery_fields(repos):
    """The exit stages a marketing order carries for delivery's overtaken check are not
    stored: they would push an e-mail's record past 1 KB (two write units per write)."""
    order = {"lead_id": "lead-001", "touch_id": "t1", "at": T0.isoformat(), "channel": "email",
             "exit_on_stages": ["application_submitted", "conditional_approval", "clear_to_close", "funded"]}
    prior = repos.touches.claim_sending({**order, "status": "sending"})
    assert "exit_on_stages" not in repos.touches.get("lead-001", "t1", consistent=True)
    repos.touches.put_sent([({**order, "status": "sent"}, prior)])
    repos.touches.claim({**order, "touch_id": "t2", "status": "suppressed"})
    repos.touches.mark({**order, "touch_id": "t2", "status": "failed"})
    assert all("exit_on_stages" not in t for t in repos.touches.for_lead("lead-001"))


# -- timeline, tasks, counters, rates ------------------------------------------------------------

def test_timeline_reads_oldest_first_and_dedupes_on_request(repos):
    later = {"at": (T0 + timedelta(minutes=5)).isoformat(), "kind": "event", "type": "email_opened"}
    first = {"at": T0.isoformat(), "kind": "event", "type": "stage_changed"}
    assert repos.timeline.append("lead-001", later, "open-1", once=True)
    assert not repos.timeline.append("lead-001", later, "open-1", once=True)
    repos.timeline.append_many("lead-001", [first])
    assert [i["type"] for i in repos.timeline.list("lead-001")] == ["stage_changed", "email_opened"]


def test_timeline_items_of_one_second_read_back_in_the_order_they_were_written(repos):
    """An LOS sends two milestones in one second, a stage change enrolls and exits in one
    decision: within a second the timeline keeps the order things happened, whichever way
    they were written (one item, a batch, a write set's transaction)."""
    at = T0.isoformat()
    for n in range(3):
        repos.timeline.append("lead-001", {"at": at, "kind": "event", "type": f"milestone-{n}"})
    repos.timeline.append_many("lead-001", [{"at": at, "kind": "event", "type": f"batch-{n}"} for n in range(3)])
    repos.uow.commit(WriteSet([], timeline=[({"at": at, "kind": "enrollment", "lead_id": "lead-001",
                                               "action": f"step-{n}"}, None) for n in range(3)]))
    assert [i.get("type") or i["action"] for i in repos.timeline.list("lead-001")] == [
        "milestone-0", "milestone-1", "milestone-2", "batch-0", "batch-1", "batch-2", "step-0", "step-1", "step-2"]
    # an event (its own id: any hex) and what it led to, in one write set: the event first
    for event_id in ("ffffffff", "00000000"):
        repos.uow.commit(WriteSet([], timeline=[({"at": at, "kind": "event", "lead_id": "lead-002", "type": event_id},
                                                  event_id),
                                                 ({"at": at, "kind": "enrollment", "lead_id": "lead-002",
                                                   "action": "after-" + event_id}, None)]))
    assert [i.get("type") or i["action"] for i in repos.timeline.list("lead-002")] == [
        "00000000", "ffffffff", "after-ffffffff", "after-00000000"]


def test_a_task_is_created_once_and_completed_once(repos):
    task = {"task_id": "task-1", "lead_id": "lead-001", "lo_id": "lo-1", "status": "open",
            "created_at": T0.isoformat(), "title": "Call"}
    assert repos.tasks.put(task) and not repos.tasks.put({**task, "title": "Again"})
    repos.tasks.put({**task, "task_id": "task-2", "created_at": (T0 + timedelta(minutes=1)).isoformat()})
    done, changed = repos.tasks.complete("task-1", T0, "left a message")
    assert changed and done["status"] == "done" and done["note"] == "left a message"
    assert repos.tasks.complete("task-1", T0, None) == (done, False)
    assert repos.tasks.complete("nope", T0, None) == (None, False)
    assert [t["task_id"] for t in repos.tasks.list(None, "open", lead_id="lead-001")] == ["task-2"]
    assert [t["task_id"] for t in repos.tasks.list("lo-1", None)] == ["task-1", "task-2"]
    assert repos.tasks.get("task-1")["title"] == "Call"


def test_an_los_open_tasks_are_read_from_the_open_index_oldest_first(repos):
    for n in range(5):
        repos.tasks.put({"task_id": f"task-{n}", "lead_id": f"lead-{n}", "lo_id": "lo-1" if n != 3 else "lo-2",
                         "status": "open", "created_at": (T0 + timedelta(minutes=n)).isoformat()})
    repos.tasks.complete("task-1", T0, None)
    repos.tasks.put({"task_id": "task-9", "lead_id": "lead-9", "lo_id": "lo-1", "status": "done",
                     "created_at": T0.isoformat()})
    assert [t["task_id"] for t in repos.tasks.list("lo-1", "open")] == ["task-0", "task-2", "task-4"]
    assert [t["task_id"] for t in repos.tasks.list("lo-1", "open", limit=2)] == ["task-0", "task-2"]
    assert [t["task_id"] for t in repos.tasks.list("lo-2", "open")] == ["task-3"]
    assert [t["task_id"] for t in repos.tasks.list("lo-1", "done")] == ["task-9", "task-1"]


def test_counters_add_up(repos):
    repos.stats.add("lead_nurture", "hello_text", {"sent": 1})
    repos.stats.add_all({("lead_nurture", "hello_text"): {"sent": 2, "opened": 1}, ("birthday", "card"): {"sent": 1}})
    rows = {(r["sequence"], r["step"]): r for r in repos.stats.rows()}
    assert rows[("lead_nurture", "hello_text")]["sent"] == 3 and rows[("lead_nurture", "hello_text")]["opened"] == 1
    assert rows[("birthday", "card")]["clicked"] == 0


def test_a_back_filled_rate_does_not_replace_the_latest(repos):
    repos.rates.put("conv30", 6.5, "2027-04-09", "pmms")
    repos.rates.put("conv30", 6.9, "2027-04-02", "pmms")
    repos.rates.put("fha30", 6.1, "2027-04-09", "pmms")
    assert repos.rates.latest("conv30") == {"product": "conv30", "rate": 6.5, "as_of": "2027-04-09", "source": "pmms"}
    assert [q["as_of"] for q in repos.rates.history("conv30")] == ["2027-04-09", "2027-04-02"]
    assert [q["product"] for q in repos.rates.latest_all()] == ["conv30", "fha30"]
    assert repos.rates.latest("jumbo30") is None


def test_counters_by_sequence_and_by_day_range(repos):
    from chalicelib.clock import clock

    clock.start_at(T0)
    repos.stats.add("birthday", "card", {"sent": 1, "deferred_cap": 2})
    clock.start_at(T0 + timedelta(days=2))
    repos.stats.add("birthday", "card", {"sent": 3})
    repos.stats.add("annual_review", "invite", {"sent": 1})
    rows = {(r["sequence"], r["step"]): r for r in repos.stats.rows(["birthday"])}
    assert list(rows) == [("birthday", "card")] and rows[("birthday", "card")]["sent"] == 4
    assert rows[("birthday", "card")]["deferred_cap"] == 2
    first = repos.stats.rows_between(["birthday", "annual_review"], T0.date().isoformat(), T0.date().isoformat())
    assert [(r["sequence"], r["sent"]) for r in first] == [("birthday", 1)]
    both = repos.stats.rows_between(["birthday"], T0.date().isoformat(), (T0 + timedelta(days=2)).date().isoformat())
    assert both[0]["sent"] == 4


def test_the_nightly_roll_up_moves_closed_days_into_the_totals_counting_each_add_once(repos):
    from chalicelib.clock import clock

    days = [(T0 + timedelta(days=n)).date().isoformat() for n in range(4)]
    for n in range(3):
        clock.start_at(T0 + timedelta(days=n))
        repos.stats.add("birthday", "card", {"sent": n + 1, "deferred_cap": 1})
        repos.stats.add("birthday", f"step{n}", {"opened": 1})

    def totals():
        return {(r["step"]): (r["sent"], r["opened"], r.get("deferred_cap", 0)) for r in repos.stats.rows(["birthday"])}

    before = totals()
    assert before == {"card": (6, 0, 3), "step0": (0, 1, 0), "step1": (0, 1, 0), "step2": (0, 1, 0)}
    assert repos.stats.roll_up(["birthday", "annual_review"], days[2]) == {"birthday": 2, "annual_review": 0}
    assert totals() == before
    assert repos.stats.roll_up(["birthday"], days[2]) == {}  # a second run adds nothing twice
    repos.stats.add("birthday", "card", {"sent": 10})          # today, after the roll-up
    assert totals()["card"] == (16, 0, 3)
    assert repos.stats.roll_up(["birthday"], days[3]) == {}  # a week between roll-ups: read live meanwhile
    week_on = (T0 + timedelta(days=2 + 8)).date().isoformat()
    assert repos.stats.roll_up(["birthday", "annual_review"], week_on) == {"birthday": 1, "annual_review": 0}
    assert totals()["card"] == (16, 0, 3) and totals() == {**before, "card": (16, 0, 3)}
    assert [r["sent"] for r in repos.stats.rows_between(["birthday"], days[1], days[2]) if r["step"] == "card"] == [15]


def test_a_roll_up_that_meets_another_skips_only_the_sequence_it_moved(aws, monkeypatch):
    """Two roll-ups at once: the sequences roll in one transaction; when another run moved a
    sequence's mark first, the rest still roll, each alone, and that one adds nothing twice."""
    from chalicelib.clock import clock
    from chalicelib.config import settings
    from chalicelib.services.context import Context
    from chalicelib.store.models import StatModel
    from chalicelib.store.stats import StatsRepo

    repos = Context(settings())
    clock.start_at(T0)
    for seq in ("birthday", "annual_review", "refinance_opportunity"):
        repos.stats.add(seq, "card", {"sent": 2})
    today = (T0 + timedelta(days=1)).date().isoformat()
    real, calls = StatsRepo._roll, []

    def racing(plans):
        if not calls:  # the other run moves birthday's mark (and adds its day) just before ours commits
            real([p for p in plans if p[0] == "birthday"])
        calls.append([p[0] for p in plans])
        real(plans)
    monkeypatch.setattr(StatsRepo, "_roll", staticmethod(racing))
    assert repos.stats.roll_up(["birthday", "annual_review", "refinance_opportunity"], today) == \
        {"annual_review": 1, "refinance_opportunity": 1}
    assert calls[0] == ["birthday", "annual_review", "refinance_opportunity"]  # one transaction first
    assert {r["sequence"]: r["sent"] for r in repos.stats.rows(["birthday", "annual_review", "refinance_opportunity"])} \
        == {"birthday": 2, "annual_review": 2, "refinance_opportunity": 2}
    assert StatModel.get("total#birthday", "card").sent == 2


def test_a_total_read_while_a_roll_up_commits_counts_each_day_once(aws, monkeypatch):
    from chalicelib.clock import clock
    from chalicelib.config import settings
    from chalicelib.services.context import Context
    from chalicelib.store.stats import StatsRepo

    repos = Context(settings())
    clock.start_at(T0)
    repos.stats.add("birthday", "card", {"sent": 2})
    clock.start_at(T0 + timedelta(days=1))
    repos.stats.add("birthday", "card", {"sent": 3})
    real, reads = StatsRepo._marks, []

    def marks_then_a_roll_up_commits(self):
        out = real(self)
        reads.append(out)
        if len(reads) == 1:  # the weekly roll-up commits right after this read (its own read is the second)
            repos.stats.roll_up(["birthday"], (T0 + timedelta(days=1)).date().isoformat())
        return out
    monkeypatch.setattr(StatsRepo, "_marks", marks_then_a_roll_up_commits)
    assert [r["sent"] for r in repos.stats.rows(["birthday"])] == [5]
    assert len(reads) == 5  # the rows read again once the marks had moved: 1, (roll-up), 3, then 4 and 5


def test_recent_tasks_and_sequence_switches(repos):
    for n in range(3):
        repos.tasks.put({"task_id": f"task-{n}", "lead_id": "lead-001", "lo_id": "lo-1", "status": "open",
                         "created_at": (T0 + timedelta(hours=n)).isoformat()})
    assert [t["task_id"] for t in repos.tasks.recent("lo-1", (T0 + timedelta(hours=1)).isoformat())] == \
        ["task-2", "task-1"]
    repos.switches.put("birthday", False, T0.isoformat(), "manager")
    repos.switches.put("birthday", True, (T0 + timedelta(minutes=1)).isoformat(), None)
    assert repos.switches.all() == {"birthday": {"enabled": True, "changed_at": (T0 + timedelta(minutes=1)).isoformat(),
                                                 "changed_by": None}}


def test_held_batches_count_once_per_part_trip_once_and_settle_once(repos):
    batch, counted = repos.holds.count("b1", "part-1", 30, "refinance_opportunity", "rates-2027-04-13", T0)
    assert counted and batch["leads"] == 30 and batch["status"] == "counted"
    assert repos.holds.count("b1", "part-1", 30, "refinance_opportunity", "rates-2027-04-13", T0)[1] is False
    assert repos.holds.count("b1", "part-2", 5, "refinance_opportunity", "rates-2027-04-13", T0)[0]["leads"] == 35
    assert repos.holds.trip("b1", "35 of 100 leads", T0) and not repos.holds.trip("b1", "again", T0)
    assert [b["batch_id"] for b in repos.holds.list("held")] == ["b1"]
    repos.holds.add_members("b1", ["lead-002", "lead-001", "lead-002"])
    first, start = repos.holds.members("b1", limit=1)
    rest, _ = repos.holds.members("b1", start=start, limit=5)
    assert first + rest == ["lead-001", "lead-002"]
    assert repos.holds.settle("b1", "released", T0, "ops") and not repos.holds.settle("b1", "discarded", T0, None)
    repos.holds.tally("b1", released=2)
    got = repos.holds.get("b1")
    assert got["status"] == "released" and got["released"] == 2 and got["settled_by"] == "ops"
    assert repos.holds.get("nope") is None and repos.holds.list("held") == []


def test_the_book_counts_and_held_quotes_keep_one_per_product(repos):
    before = repos.book.size()
    repos.book.add(3)
    assert repos.book.size() == before + 3
    assert repos.book.state() == (before + 3, None)  # ADDs only: never recounted
    for n in range(4):
        repos.leads.create(_lead(n, stage=("new_lead", "funded", "application_submitted", "funded")[n]))
    touched = repos.leads.get("lead-000")
    repos.leads.save({**touched, "last_touch_at": T0.isoformat()})  # a bookkeeping item, in no index
    assert repos.book.recount(T0) == 4  # the leads themselves (their records, not their bookkeeping)
    repos.book.add(1)
    assert repos.book.state() == (5, T0.isoformat())
    repos.held_rates.put({"product": "conv30", "rate": 5.0, "as_of": "2027-04-13", "reason": "step"})
    repos.held_rates.put({"product": "conv30", "rate": 5.125, "as_of": "2027-04-14", "reason": "step"})
    assert repos.held_rates.get("conv30")["rate"] == 5.125 and len(repos.held_rates.all()) == 1
    repos.held_rates.clear("conv30")
    assert repos.held_rates.get("conv30") is None


def test_a_program_enrollment_reads_back_with_its_library_history(repos):
    history = [[f"article_{n:03d}", (T0 - timedelta(days=n)).date().isoformat(), None] for n in range(60)]
    repos.uow.commit(WriteSet([_enrollment("lead-001", 1, T0.isoformat(), sequence="past_client_program",
                                            rotation=history)]))
    [got] = repos.enrollments.for_lead("lead-001")
    assert got["rotation"] == history and "rotation_kept" not in got
    [due], _ = repos.enrollments.due((T0 + timedelta(minutes=1)).isoformat())
    assert due["rotation"] == history
    later = history + [["market_update", T0.date().isoformat(), "2027-04-12"]]
    repos.uow.commit(WriteSet([{**due, "rotation": later, "due_at": (T0 + timedelta(days=13)).isoformat()}]))
    [got] = repos.enrollments.for_lead("lead-001")
    assert got["rotation"] == later and got["due_at"] == (T0 + timedelta(days=13)).isoformat()
    repos.uow.commit(WriteSet([{**got, "status": "paused"}]))  # the history unchanged: read back as it was
    assert repos.enrollments.for_lead("lead-001")[0]["rotation"] == later


def test_a_due_page_goes_on_after_its_start_even_when_that_enrollment_has_moved(repos):
    repos.uow.commit(WriteSet([_enrollment(f"lead-{n:03d}", 1, (T0 + timedelta(minutes=n)).isoformat())
                                for n in range(4)]))
    first, start = repos.enrollments.due((T0 + timedelta(hours=1)).isoformat(), page_size=2)
    moved = repos.enrollments.for_lead("lead-001")[0]
    repos.uow.commit(WriteSet([{**moved, "due_at": None, "status": "completed"}]))  # the start key leaves
    rest, _ = repos.enrollments.due((T0 + timedelta(hours=1)).isoformat(), page_size=5, start=start)
    assert [e["lead_id"] for e in first] == ["lead-000", "lead-001"]
    assert [e["lead_id"] for e in rest] == ["lead-002", "lead-003"]


def test_an_enrollment_leaving_its_plan_replaces_an_item_left_under_its_id(repos):
    """An event processed again long after (its id beyond the lead's recent ones) makes an
    enrollment whose id an earlier, finished one still holds: it runs, and when it finishes its
    item replaces the old one instead of failing on it for good."""
    repos.uow.commit(WriteSet([_enrollment("lead-001", 1, None, status="completed")]))
    repos.uow.commit(WriteSet([_enrollment("lead-001", 1, T0.isoformat())]))
    [again] = [e for e in repos.enrollments.for_lead("lead-001") if e.get("_home") == "plan"]
    repos.uow.commit(WriteSet([{**again, "status": "exited", "due_at": None}]))
    assert [(e["status"], e["_version"]) for e in repos.enrollments.for_lead("lead-001")] == [("exited", 1)]


def test_a_new_enrollment_saved_with_the_lead_as_read_conflicts_when_another_came_first(repos):
    """The plan a set is written into is the one its lead was read with: a writer that read the
    lead before someone else enrolled it does not add a second enrollment beside theirs."""
    lead = repos.leads.create(_lead(1))
    repos.uow.commit(WriteSet([_enrollment("lead-001", 1, T0.isoformat())]))  # someone else, first
    with pytest.raises(Conflict):
        repos.uow.commit(WriteSet([_enrollment("lead-001", 2, T0.isoformat())], {**lead, "stage": "x"}))
    assert [e["enrollment_id"] for e in repos.enrollments.for_lead("lead-001")] == ["lead-001.e1"]


def test_two_write_sets_of_one_lead_in_one_go_are_written_one_after_the_other(repos):
    """Both go to the lead's one bookkeeping item, which a transaction may not write twice: the
    first is written, the second (decided on what the first changed) is dropped for a retry."""
    lead = repos.leads.create(_lead(1))
    sets = [WriteSet([_enrollment("lead-001", n, T0.isoformat())], {**lead, "last_touch_at": T0.isoformat()})
            for n in (1, 2)]
    assert repos.uow.commit_many(sets) == {1}
    assert [e["enrollment_id"] for e in repos.enrollments.for_lead("lead-001")] == ["lead-001.e1"]


def test_template_versions_are_written_once_and_the_live_pointer_moves_only_from_what_was_read(repos):
    doc = {"version": 1, "template_id": "sms.birthday.wish", "language": "en", "subject": None, "body": "Hi",
           "author": "dana@team.example", "created_at": T0.isoformat()}
    assert repos.templates.add_version("sms.birthday.wish", "en", doc)
    assert not repos.templates.add_version("sms.birthday.wish", "en", {**doc, "body": "Overwritten?"})
    assert repos.templates.add_version("sms.birthday.wish", "en", {**doc, "version": 2, "body": "Second"})
    assert repos.templates.add_version("sms.birthday.wish", "es", {**doc, "language": "es", "body": "Hola"})
    got = repos.templates.versions("sms.birthday.wish", "en")
    assert [(v["version"], v["body"], v["approved_by"]) for v in got] == [(1, "Hi", None), (2, "Second", None)]
    assert repos.templates.approve("sms.birthday.wish", "en", 2, "casey@team.example", T0.isoformat())
    assert not repos.templates.approve("sms.birthday.wish", "en", 2, "other@team.example", T0.isoformat())
    assert not repos.templates.approve("sms.birthday.wish", "en", 9, "casey@team.example", T0.isoformat())
    assert repos.templates.versions("sms.birthday.wish", "en")[1]["approved_by"] == "casey@team.example"

    assert repos.templates.live("sms.birthday.wish", "en") is None
    repos.templates.set_live("sms.birthday.wish", "en", {"version": 2, "body": "Second", "previous": [0]}, None)
    with pytest.raises(Conflict):
        repos.templates.set_live("sms.birthday.wish", "en", {"version": 1, "body": "Hi"}, None)
    live = repos.templates.live("sms.birthday.wish", "en")
    assert live["version"] == 2 and live["previous"] == [0] and live["rev"] == 1
    repos.templates.set_live("sms.birthday.wish", "en", {"version": 0, "body": None, "previous": []}, 1)
    with pytest.raises(Conflict):
        repos.templates.set_live("sms.birthday.wish", "en", {"version": 2, "body": "Second"}, 1)
    assert repos.templates.live_all() == {("sms.birthday.wish", "en"): {"version": 0, "body": None, "previous": [],
                                                                        "rev": 2}}
# -- sender reputation -------------------------------------------------------------------------

def test_deliverability_days_add_up_and_the_state_is_versioned(repos):
    d = repos.deliverability
    d.add("team.example", "2027-04-12", {"sent": 100, "marketing": 80})
    d.add("team.example", "2027-04-13", {"sent": 5, "hard_bounces": 2})
    d.add("team.example", "2027-04-13", {"hard_bounces": 1, "complaints": 1, "soft_bounces": 0})
    d.add("other.example", "2027-04-13", {"sent": 9})
    days, state = d.read("team.example", "2027-04-12")
    assert state is None
    assert days["2027-04-13"] == {"sent": 5, "marketing": 0, "hard_bounces": 3, "soft_bounces": 0, "complaints": 1}
    assert days["2027-04-12"]["marketing"] == 80
    assert set(d.read("team.example", "2027-04-13")[0]) == {"2027-04-13"}
    assert d.put_state("team.example", {"state": "braked", "reason": "r"}, 0)
    assert not d.put_state("team.example", {"state": "ok"}, 0)  # someone else wrote first
    _, state = d.read("team.example", "2027-04-13")
    assert state == {"state": "braked", "reason": "r", "version": 1}
    assert d.put_state("team.example", {**state, "state": "ok"}, 1)
    assert d.read("team.example", "2099-01-01")[1]["state"] == "ok"  # the state whatever the days


def test_a_hard_bounced_address_is_remembered_by_its_key(repos):
    d = repos.deliverability
    assert d.bounced("ab" * 32) is None
    d.mark_bounced("ab" * 32, T0.isoformat())
    assert d.bounced("ab" * 32) == T0.isoformat()


def test_keys_the_sign_in_brake_and_the_audit_log_read_back_as_written(repos):
    access = repos.access
    access.put_key("k1", {"name": "los", "scopes": ["los"]})
    assert access.key("k1") == {"name": "los", "scopes": ["los"]} and access.key("nope") is None
    assert [k["name"] for k in access.keys()] == ["los"]
    # the sign-in brake: an attempt is counted only from the count it read
    assert access.login_failures("who") == (0, None)
    assert access.claim_login_attempt("who", 0, 1, "2027-04-13T15:00:00+00:00")
    assert not access.claim_login_attempt("who", 0, 1, "2027-04-13T15:00:00+00:00")
    assert access.login_failures("who") == (1, "2027-04-13T15:00:00+00:00")
    access.set_login_failures("who", 0, None)
    assert access.login_failures("who") == (0, None)
    # a sign-out: revoked until its own expiry, and no longer after it (the TTL's lag does not matter)
    access.revoke("jti:abc", 1_800_000_000)
    assert access.revoked("jti:abc", 1_799_999_999) and not access.revoked("jti:abc", 1_800_000_000)
    assert not access.revoked("sid:other", 1_700_000_000)
    # the audit log: newest first, none before ``since``, at most ``limit``; a month boundary crossed
    for at in ("2027-03-31T23:59:59+00:00", "2027-04-13T15:00:00+00:00", "2027-04-13T15:00:00+00:00"):
        access.append_audit({"at": at, "by": "ops@team.example", "action": "x", "target": at, "data": {}})
    entries = access.audit("", 10, T0)
    assert [e["at"] for e in entries] == ["2027-04-13T15:00:00+00:00"] * 2 + ["2027-03-31T23:59:59+00:00"]
    assert len(access.audit("", 2, T0)) == 2 and len(access.audit("2027-04-01T00:00:00+00:00", 10, T0)) == 2
    # with no ``since``, back to the first of the month a year before; never a month after ``now``'s
    for at in ("2026-04-05T00:00:00+00:00", "2026-03-31T00:00:00+00:00", "2027-05-02T00:00:00+00:00"):
        access.append_audit({"at": at, "by": "ops@team.example", "action": "x", "target": at, "data": {}})
    read = [e["at"][:10] for e in access.audit("", 10, T0)]
    assert read[-1] == "2026-04-05" and "2027-05-02" not in read
