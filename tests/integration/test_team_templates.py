"""Team versions of templates through the service and delivery (issue 27), on DynamoDB (moto):
a draft is validated, approved by compliance only and never by its author, the next e-mail goes
out with the new words and its touch names the version; rollback returns to the old words."""
from datetime import datetime, timezone

import pytest

from chalicelib.domain.access import Principal
from chalicelib.domain.lead import ValidationError
from chalicelib.services import templates as svc

NOW = datetime(2027, 4, 13, 15, 0, tzinfo=timezone.utc)
MANAGER = Principal(by="dana@team.example", roles=frozenset({"lo", "manager"}), lo_id="lo-1")
COMPLIANCE = Principal(by="casey@team.example", roles=frozenset({"compliance"}))
ADMIN_KEY = Principal(by="key:script", scopes=frozenset({"admin"}))
TID = "email.lead_nurture.thanks_for_reaching_out"


@pytest.fixture
def handlers_ctx(ctx):
    from chalicelib.content import versions
    from chalicelib.services.context import use

    use(ctx)
    yield ctx
    use(None)
    versions.install(None)


def _deliver(ctx, lead, n):
    from chalicelib.services.deliver import deliver

    touch = {"touch_id": f"t-{n}", "lead_id": lead["lead_id"], "channel": "email", "sequence": "lead_nurture",
             "step": "thanks", "template": "lead_nurture/thanks_for_reaching_out", "subject": "Thanks, {{ borrower.first_name }}",
             "kind": "marketing", "at": NOW.isoformat(), "exempt": "immediate"}
    assert deliver(ctx, {"touch": touch, "lead": lead}, NOW) == "sent"
    record = ctx.touches.get(lead["lead_id"], touch["touch_id"], consistent=True)
    return record


def _last_mail() -> str:
    """The last e-mail sent, both parts decoded (as the borrower's mail program shows them)."""
    import email
    from email import policy

    from moto.ses.models import ses_backends

    raw = ses_backends["123456789012"]["us-east-1"].sent_messages[-1].raw_data
    msg = email.message_from_string(raw, policy=policy.default)
    return msg["Subject"] + "\n" + "\n".join(part.get_content() for part in msg.walk() if part.get_content_maintype() == "text")


def test_a_team_version_goes_live_on_compliance_approval_and_rollback_brings_the_old_words_back(handlers_ctx):
    ctx = handlers_ctx
    lead = ctx.leads.create({"lead_id": "lead-t1", "first_name": "Maria", "email": "maria.t1@example.com",
                             "lo_id": "lo-1", "stage": "new_lead", "created_at": NOW.isoformat(), "consent_records": [],
                             "consent": {"email": {"granted": True}}})
    with pytest.raises(ValidationError) as bad:
        svc.save_draft(ctx, TID, {"body": "Hi {{ borrower.nickname }}"}, MANAGER.by, NOW)
    assert "borrower.nickname" in bad.value.fields["body"]
    with pytest.raises(ValidationError) as bad:
        svc.save_draft(ctx, TID, {"body": "Rates are 5.99% this week."}, MANAGER.by, NOW)
    assert "APR" in bad.value.fields["body"]
    assert ctx.templates.versions(TID, "en") == []  # nothing refused is kept

    saved = svc.save_draft(ctx, TID, {"subject": "Welcome, {{ borrower.first_name }}",
                                      "body": "Hi {{ borrower.first_name }},\n\nThese are the team's own words."},
                           MANAGER.by, NOW)
    assert saved == {"template_id": TID, "language": "en", "version": 1, "status": "draft"}
    assert "own words" not in _deliver(ctx, lead, 1).get("subject", "") and _deliver(ctx, lead, 2)["template_version"] == "built-in"

    for who in (MANAGER, ADMIN_KEY, Principal(by=MANAGER.by, roles=frozenset({"compliance"}))):  # not compliance; a key; the author
        with pytest.raises(svc.NotYours):
            svc.approve(ctx, TID, 1, "en", who, NOW)
    done = svc.approve(ctx, TID, 1, "en", COMPLIANCE, NOW)
    assert done["status"] == "live" and done["approved_by"] == COMPLIANCE.by
    described = svc.describe(ctx, TID)
    assert described["live_version"] == 1 and described["versions"][0]["status"] == "live"
    assert described["versions"][0]["approved_at"] == NOW.isoformat()

    sent = _deliver(ctx, lead, 3)
    assert sent["template_version"] == "v1" and sent["subject"] == "Welcome, Maria"
    assert "own words" in _last_mail()
    from chalicelib.domain.timeline import touch_items

    items = [i for i in touch_items([sent]) if i["status"] == "sent"]
    assert items and items[0]["template_version"] == "v1"

    assert svc.rollback(ctx, TID, "en", MANAGER.by, NOW)["live_version"] == 0
    sent = _deliver(ctx, lead, 4)
    assert sent["template_version"] == "built-in" and "own words" not in _last_mail()
    with pytest.raises(ValidationError):
        svc.rollback(ctx, TID, "en", MANAGER.by, NOW)  # nothing earlier
    from chalicelib.services.privacy import export

    sent = {t["touch_id"]: t for t in export(ctx, "lead-t1", NOW, "casey@team.example")["touches_sent"]}
    assert (sent["t-3"]["template_version"], sent["t-4"]["template_version"]) == ("v1", "built-in")
    assert "own words" in sent["t-3"]["content"]["text"]  # rendered again with the words it went with
    assert "own words" not in sent["t-4"]["content"]["text"]
    assert [v["version"] for v in ctx.templates.versions(TID, "en")] == [1]  # versions are kept


def test_restore_the_built_in_and_preview_side_by_side(handlers_ctx):
    ctx = handlers_ctx
    ctx.leads.create({"lead_id": "lead-t2", "first_name": "Aisha", "phone": "+15125550177", "lo_id": "lo-1",
                      "stage": "new_lead", "created_at": NOW.isoformat(), "consent_records": []})
    tid = "sms.lead_nurture.hello_text"
    svc.save_draft(ctx, tid, {"body": "{{ borrower.first_name }}, our own hello."}, MANAGER.by, NOW)
    svc.approve(ctx, tid, 1, None, COMPLIANCE, NOW)
    svc.save_draft(ctx, tid, {"body": "{{ borrower.first_name }}, a second hello."}, MANAGER.by, NOW)
    shown = svc.preview(ctx, tid, "en", "lead-t2", 2, NOW)
    assert shown["live"]["version"] == "v1" and shown["live"]["text"].startswith("Aisha, our own hello.")
    assert shown["candidate"]["version"] == "v2" and shown["candidate"]["segments"] == 1
    draft = svc.preview(ctx, tid, "en", "lead-t2", None, NOW, {"body": "{{ borrower.nope }}"})
    assert "error" in draft["candidate"]
    assert svc.restore_built_in(ctx, tid, "en", MANAGER.by, NOW)["source"] == "built-in"
    assert svc.describe(ctx, tid)["previous"] == [0, 1]
    assert svc.rollback(ctx, tid, "en", MANAGER.by, NOW)["live_version"] == 1
    items = {i["template_id"]: i for i in svc.list_templates(ctx)}
    assert items[tid]["live_version"] == 1 and items[tid]["source"] == "team"
    assert items[TID]["sequence"] == "lead_nurture" and items[TID]["step"]
    assert all("/" not in t for t in items)
