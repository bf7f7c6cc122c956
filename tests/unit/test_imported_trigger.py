"""An imported lead is not an inquiry: only a recent closing gets the welcome, nothing else fires."""
from datetime import datetime, timezone

import pytest

from chalicelib.triggers.registry import Enroll, TriggerInput, evaluate

NOW = datetime(2027, 4, 13, 15, 0, tzinfo=timezone.utc)


def decisions(stage: str, funded_on: str | None = None) -> list:
    lead = {"lead_id": "x", "stage": stage, "email": "x@example.com", "loan": {"funded_on": funded_on} if funded_on else {}}
    event = {"event_id": "e", "lead_id": "x", "type": "lead_imported", "data": {}, "at": NOW.isoformat()}
    return evaluate(TriggerInput(lead=lead, before={}, event=event, now=NOW, settings={}))


@pytest.mark.parametrize("funded_on, welcome", [("2027-04-01", True), ("2027-03-14", True), ("2027-03-13", False),
                                                ("2023-04-15", False), (None, False), ("2027-05-01", False)])
def test_only_a_loan_funded_in_the_last_30_days_joins_the_welcome(funded_on, welcome):
    expected = [Enroll("post_funded_welcome", reason="import:recently_funded")] if welcome else []
    assert decisions("funded", funded_on) == expected


@pytest.mark.parametrize("stage", ["new_lead", "application_submitted", "conditional_approval", "clear_to_close"])
def test_no_stage_sequence_starts_for_an_imported_open_loan_or_prospect(stage):
    assert decisions(stage, "2027-04-01") == []
