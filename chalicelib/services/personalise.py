"""AI personalisation between merge and send: ask, check, or keep the template.

Never fails a touch: an unavailable model, a refusal, a guardrail intervention or an answer
that breaks a guard (``content/personalise.py``) sends the rendered template instead, and the
touch record says which and why.
"""
from __future__ import annotations

from ..content import personalise as rules
from ..content.render import Rendered, personalised
from ..observability import count, logger


# A model call may take ~5 s (1 s connect, 4 s read, no retry); a batch of ten goes one by one
# inside a 60 s Lambda. Below this much time left, the rest of the batch keeps its templates, so
# no touch is claimed and then cut off half sent.
MIN_TIME_LEFT_MS = 15_000


def personalise(team, touch: dict, lead: dict, rendered: Rendered, bedrock=None,
                time_left_ms: int | None = None) -> tuple[Rendered, dict]:
    """The touch to send, and what to record about personalisation (empty when not asked)."""
    config = team.personalise or {}
    if not rules.eligible(touch, lead, config) or not rendered.body:
        return rendered, {}
    if time_left_ms is not None and time_left_ms < MIN_TIME_LEFT_MS:
        return _fallback(touch, rendered, "no time left in this invocation")
    from ..channels import bedrock as adapter

    ask = rules.ask_for(touch, rendered.body, rendered.subject, lead, team.lo(lead.get("lo_id")).name,
                        config.get("tone", ""))
    try:
        answer, stop = adapter.complete(adapter.converse_request(
            model_id=config["model_id"], system=rules.SYSTEM, prompt=ask.prompt,
            guardrail=config.get("guardrail")), bedrock)
    except Exception as exc:  # the template is the fallback for every failure, by design
        return _fallback(touch, rendered, f"model unavailable: {type(exc).__name__}")
    if stop not in ("end_turn", "stop_sequence"):  # cut short, content-filtered, guardrail intervened
        return _fallback(touch, rendered, f"model stopped: {stop}")
    text, reason = rules.check(ask, answer)
    if text is None:
        return _fallback(touch, rendered, reason)
    out = personalised(rendered, ask.kind, text)
    if ask.kind == "sms":
        from ..content.sms import segments

        if segments(out.text) > segments(rendered.text):  # the template's budget holds for a rewrite too
            return _fallback(touch, rendered, "too long: it would bill another SMS segment")
    count("TouchesPersonalised")
    # the words sent are kept with the touch (Regulation N, 12 CFR 1014.5: keep what was advertised)
    return out, {"personalised": True, "personal_text": out.body if ask.kind == "sms" else text}


def _fallback(touch: dict, rendered: Rendered, reason: str) -> tuple[Rendered, dict]:
    logger.info("personalisation not used; template sent", extra={"touch_id": touch["touch_id"], "reason": reason})
    count("PersonalisationFallbacks")
    return rendered, {"personalised": False, "personal_reason": reason}
