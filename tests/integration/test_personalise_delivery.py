"""AI personalisation in delivery: Bedrock Converse through botocore's Stubber (moto has no
Bedrock runtime). The template is what goes out whenever the model fails or strays."""
from dataclasses import replace

import pytest
from botocore.stub import ANY, Stubber

from chalicelib.channels import bedrock
from chalicelib.clock import clock
from chalicelib.config import settings
from chalicelib.content.sms import segments
from chalicelib.services import deliver as deliver_mod
from chalicelib.services.context import Context
from tests.integration.test_delivery import make_lead, message, order, sent_mail, sent_sms, virtual_clock  # noqa: F401

AI = {"enabled": True, "model_id": "anthropic.claude-3-5-haiku-20241022-v1:0", "channels": ["email", "sms"],
      "tone": "warm, brief", "guardrail": {"id": "gr-mortgage", "version": "3"}}


@pytest.fixture
def ai_ctx(aws):
    return Context(replace(settings(), team=replace(settings().team, personalise=AI)))


@pytest.fixture
def model():
    """The Bedrock runtime client, stubbed; ``model.calls`` counts Converse requests that got
    as far as being built."""
    runtime = bedrock.runtime()
    stub = Stubber(runtime)
    calls = []
    runtime.meta.events.register("provide-client-params.bedrock-runtime.Converse",
                                 lambda params, **_: calls.append(params))
    stub.calls = calls
    stub.activate()
    yield stub
    stub.deactivate()
    runtime.meta.events.unregister("provide-client-params.bedrock-runtime.Converse")


def answer(text: str, stop: str = "end_turn") -> dict:
    return {"output": {"message": {"role": "assistant", "content": [{"text": text}]}}, "stopReason": stop,
            "usage": {"inputTokens": 200, "outputTokens": 40, "totalTokens": 240}, "metrics": {"latencyMs": 420}}


def expected() -> dict:
    return {"modelId": AI["model_id"], "system": ANY, "messages": ANY, "inferenceConfig": ANY,
            "guardrailConfig": {"guardrailIdentifier": "gr-mortgage", "guardrailVersion": "3"}}


def deliver(ctx, lead, touch):
    return deliver_mod.deliver(ctx, message(lead, touch), clock.now())


def test_a_marketing_email_gets_a_checked_ps_in_both_parts(ai_ctx, model):
    lead = make_lead(ai_ctx)
    touch = order(lead, "lead_nurture", "how_rates_are_set")
    model.add_response("converse", answer("P.S. Texas buyers have had a busy fall, so I'm glad to help you plan."),
                       expected())
    assert deliver(ai_ctx, lead, touch) == "sent"
    model.assert_no_pending_responses()
    [mail] = sent_mail()
    text = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    ps = "P.S. Texas buyers have had a busy fall, so I'm glad to help you plan."
    assert ps in text and text.index(ps) < text.index("NMLS")  # before the engine's footer
    assert "P.S. Texas buyers have had a busy fall, so I&#39;m glad to help you plan." in html
    # what the model saw: first name, state and loan, never the contact details or last name
    prompt = model.calls[0]["messages"][0]["content"][0]["text"]
    assert "Maria" in prompt and "TX" in prompt and "purchase" in prompt
    assert lead["email"] not in prompt and lead["phone"][2:] not in prompt and lead["last_name"] not in prompt
    record = ai_ctx.touches.get(lead["lead_id"], touch["touch_id"])
    assert record["personalised"] is True  # and the words sent are kept with it (Regulation N)
    assert record["personal_text"] == "Texas buyers have had a busy fall, so I'm glad to help you plan."


def test_an_sms_rewrite_that_invents_a_figure_sends_the_template(ai_ctx, model):
    lead = make_lead(ai_ctx)
    touch = order(lead, "lead_nurture", "qualification_text")
    model.add_response("converse", answer("Maria! Still house hunting? A 2-minute call and I'll knock $300 off fees."),
                       expected())
    assert deliver(ai_ctx, lead, touch) == "sent"
    [(_, text)] = sent_sms()
    assert text.startswith("Maria, still looking? A 2-minute call can size your pre-approval") and "$300" not in text
    record = ai_ctx.touches.get(lead["lead_id"], touch["touch_id"])
    assert record["personalised"] is False and record["personal_reason"] == "invented figure $300"
    from chalicelib.services.leads import timeline

    [sent] = [i for i in timeline(ai_ctx, lead["lead_id"]) if i.get("touch_id") == touch["touch_id"]]
    assert (sent["status"], sent["personalised"], sent["personal_reason"]) == ("sent", False, "invented figure $300")


def test_a_faithful_sms_rewrite_keeps_the_engine_s_signature(ai_ctx, model):
    lead = make_lead(ai_ctx)
    touch = order(lead, "lead_nurture", "qualification_text")
    model.add_response("converse", answer("Maria, house hunting? A 2-minute call can size your "
                                          "pre-approval. Good time?"), expected())
    assert deliver(ai_ctx, lead, touch) == "sent"
    [(_, text)] = sent_sms()
    assert text.startswith("Maria, house hunting?")
    assert text.endswith("-Jordan Reyes NMLS 2038471, Lone Star Home Lending. Reply STOP to opt out")


def test_an_sms_rewrite_that_would_bill_another_segment_sends_the_template(ai_ctx, model):
    lead = make_lead(ai_ctx)
    touch = order(lead, "lead_nurture", "qualification_text")
    model.add_response("converse", answer("Maria, I hope the search is going well and that you have found a few "
                                          "homes you love! A 2-minute call can size your pre-approval."), expected())
    assert deliver(ai_ctx, lead, touch) == "sent"
    [(_, text)] = sent_sms()
    assert text.startswith("Maria, still looking?") and segments(text) == 1
    record = ai_ctx.touches.get(lead["lead_id"], touch["touch_id"])
    assert record["personal_reason"] == "too long: it would bill another SMS segment"


@pytest.mark.parametrize("fail", ["throttled", "guardrail"])
def test_a_model_that_fails_or_is_stopped_changes_nothing_but_the_record(ai_ctx, model, fail):
    lead = make_lead(ai_ctx)
    touch = order(lead, "lead_nurture", "how_rates_are_set")
    if fail == "throttled":
        model.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429)
        model.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429)
    else:
        model.add_response("converse", answer("Sorry, I can't help with that.", stop="guardrail_intervened"),
                           expected())
    assert deliver(ai_ctx, lead, touch) == "sent"
    [mail] = sent_mail()
    assert "P.S." not in mail.get_body(preferencelist=("plain",)).get_content()
    record = ai_ctx.touches.get(lead["lead_id"], touch["touch_id"])
    assert record["personalised"] is False
    assert record["personal_reason"] == ("model unavailable: ThrottlingException" if fail == "throttled"
                                         else "model stopped: guardrail_intervened")


def test_loan_status_updates_and_duplicate_copies_never_reach_the_model(ai_ctx, model):
    lead = make_lead(ai_ctx)
    update = order(lead, "pipeline_progression", "conditional_approval_update")
    assert update["kind"] == "transactional"
    assert deliver(ai_ctx, lead, update) == "sent"
    assert "personalised" not in ai_ctx.touches.get(lead["lead_id"], update["touch_id"])

    touch = order(lead, "lead_nurture", "how_rates_are_set")
    model.add_response("converse", answer("Glad to walk you through it whenever suits you."), expected())
    assert deliver(ai_ctx, lead, touch) == "sent"
    assert deliver(ai_ctx, lead, touch) == "duplicate"  # the claim is taken before the model is asked
    assert len(model.calls) == 1 and len(sent_mail()) == 2


def test_a_batch_short_of_time_keeps_its_templates(ai_ctx, model):
    lead = make_lead(ai_ctx)
    touch = order(lead, "lead_nurture", "how_rates_are_set")
    batch = deliver_mod.DeliveryBatch({}, [], time_left_ms=lambda: 9_000)  # under 15 s left in the Lambda
    assert deliver_mod.deliver(ai_ctx, message(lead, touch), clock.now(), 1, batch) == "sent"
    assert model.calls == [] and len(sent_mail()) == 1
    assert batch.marks[0][0]["personal_reason"] == "no time left in this invocation"


def test_the_model_client_gives_up_fast():
    config = bedrock.runtime().meta.config
    assert (config.connect_timeout, config.read_timeout) == (1, 4)
    assert config.retries["total_max_attempts"] == 1
