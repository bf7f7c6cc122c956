"""The scheduler writes many leads per transaction; a lead changed under it is dropped alone."""
import json

from tests.helpers import body, drain_events
from chalicelib.store.writeset import WriteSet


def test_a_stale_lead_is_dropped_and_the_others_written(api, auth, ctx):
    ids = [body(api.http.post("/leads", headers=auth, body=json.dumps(
        {"first_name": f"L{i}", "email": f"l{i}@example.com", "consent": {"email": True}})))["lead_id"]
        for i in range(3)]
    drain_events()
    leads = [ctx.leads.get(i) for i in ids]
    stale = dict(leads[1])
    ctx.leads.save({**leads[1], "note": "changed by someone else"})  # bumps the version
    sets = [WriteSet([], {**leads[0], "marker": 1}), WriteSet([], {**stale, "marker": 1}),
            WriteSet([], {**leads[2], "marker": 1})]
    dropped = ctx.uow.commit_many(sets, max_actions=100)
    assert dropped == {1}
    assert ctx.leads.get(ids[0])["marker"] == 1 and ctx.leads.get(ids[2])["marker"] == 1
    assert "marker" not in ctx.leads.get(ids[1])


def test_sets_are_split_across_transactions_without_splitting_a_lead(api, auth, ctx):
    ids = [body(api.http.post("/leads", headers=auth, body=json.dumps(
        {"first_name": f"M{i}", "email": f"m{i}@example.com"})))["lead_id"] for i in range(5)]
    drain_events()
    sets = [WriteSet([], {**ctx.leads.get(i), "marker": 2},
                     timeline=[({"at": "2026-01-01T00:00:00+00:00", "kind": "event", "type": "note"}, None)])
            for i in ids]
    assert ctx.uow.commit_many(sets, max_actions=4) == set()
    assert all(ctx.leads.get(i)["marker"] == 2 for i in ids)


def test_leads_whose_bookkeeping_did_not_change_share_one_transaction(ctx, monkeypatch):
    """A lead's sets never share a transaction (they would write its bookkeeping item twice), but
    sets of different leads do, whether or not their bookkeeping changed (an LO task's does not)."""
    from pynamodb.transactions import TransactWrite

    commits = []
    real = TransactWrite._commit
    monkeypatch.setattr(TransactWrite, "_commit", lambda self: commits.append(1) or real(self))
    sets = [WriteSet([{"enrollment_id": f"t{i}.e1", "lead_id": f"t{i}", "sequence": "lead_nurture",
                       "status": "active", "due_at": "2026-01-01T00:00:00+00:00"}]) for i in range(5)]
    assert ctx.uow.commit_many(sets) == set() and len(commits) == 1
