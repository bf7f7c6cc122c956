"""The erasure port (store/ports.py PrivacyRepository) holds one contract in both stores,
DynamoDB on moto and memory: the simulator and the fakes erase as the stack does."""
from functools import partial

from chalicelib.domain import privacy
from chalicelib.store.writeset import WriteSet
from tests.integration.test_repo_contract import T0, _enrollment, _lead, repos  # noqa: F401  (fixture)

AT = T0.isoformat()


def _a_lead_with_records(repos) -> dict:  # noqa: F811
    lead = repos.leads.create(_lead(1, last_name="Brightwater", consent_records=[
        {"channel": "sms", "granted": True, "at": AT, "source": "web form", "text": "ok", "by": "key:x"}]))
    running = _enrollment("lead-001", 1, AT)
    touch = {"touch_id": "t1", "lead_id": "lead-001", "channel": "email", "status": "sent", "at": AT,
             "subject": "Hello B1 Brightwater", "reason": "", "template": "welcome"}
    task = {"task_id": "task-1", "lead_id": "lead-001", "lo_id": "lo-1", "status": "open", "created_at": AT,
            "title": "Call B1 Brightwater", "body": "b1@example.com"}
    repos.uow.commit(WriteSet([running], read=lead, touches=[touch], tasks=[task],
                              timeline=[({"at": AT, "kind": "event", "type": "email_replied",
                                          "data": {"body": "B1 Brightwater here"}}, "ev-1")]))
    return repos.leads.get("lead-001")


def test_suppression_entries_are_found_by_key_and_only_by_key(repos):  # noqa: F811
    assert repos.privacy.suppressed(["erased#a", "erased#b"]) == {}
    repos.privacy.suppress(["erased#a", "erased#b"], "lead-009", AT)
    assert repos.privacy.suppressed(["erased#b", "erased#c"]) == {"erased#b": "lead-009"}
    assert repos.leads.find_duplicate(None, None) is None


def test_an_erased_lead_is_gone_with_its_claims_and_plan_and_leaves_its_tombstone(repos):  # noqa: F811
    lead = _a_lead_with_records(repos)
    assert repos.enrollments.due("2099-01-01T00:00:00+00:00")[0]
    repos.privacy.erase_lead(lead, privacy.tombstone(lead, AT, "ops@team.example"))
    assert repos.leads.get("lead-001") is None and repos.leads.find_duplicate("b1@example.com", "+15125550001") is None
    assert repos.enrollments.due("2099-01-01T00:00:00+00:00")[0] == []  # nothing runs for it any more
    assert [i["by"] for i in repos.timeline.list("lead-001") if i["kind"] == "erased"] == ["ops@team.example"]
    words = privacy.needles(lead)
    counts = repos.privacy.scrub("lead-001", partial(privacy.scrub_touch, words=words),
                                 partial(privacy.scrub_item, words=words), privacy.scrub_task)
    assert counts == {"enrollments": 0, "touches": 1, "timeline": 1, "tasks": 1}
    left = (repos.touches.for_lead("lead-001"), repos.timeline.list("lead-001"),
            repos.tasks.list(None, None, lead_id="lead-001"))
    assert privacy.traces(left, ["brightwater", "b1@example.com", "hello b1"]) == []
    assert left[0][0]["status"] == "sent" and left[2][0]["status"] == "expired"
    assert repos.tasks.list("lo-1", "open") == []
    again = repos.privacy.scrub("lead-001", privacy.scrub_touch, privacy.scrub_item, privacy.scrub_task)
    assert again == {"enrollments": 0, "touches": 0, "timeline": 0, "tasks": 0}  # nothing left to reduce
    # the same person may be created again (their claims are free), and is then a new lead
    assert repos.leads.create(_lead(1, lead_id="lead-777"))["lead_id"] == "lead-777"
