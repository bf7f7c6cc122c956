"""Every shipped sequence passes validation: templates exist, merge fields are known and have
fallbacks, branches reach an end, no loop spins without waiting, no rate without its APR."""
import pytest

from chalicelib.content.checks import check_source
from chalicelib.sequences.catalog import SEQUENCES
from chalicelib.sequences.validate import validate_all

CORE = {"lead_nurture", "application_incomplete", "pipeline_progression", "post_funded_welcome",
        "annual_review", "refinance_opportunity", "birthday"}


def test_the_seven_core_sequences_ship():
    assert CORE <= set(SEQUENCES)


def test_all_sequences_validate():
    assert validate_all(SEQUENCES.values()) == []


@pytest.mark.parametrize("source,problem", [
    ("Hi {{ borrower.nickname }}", "unknown merge field borrower.nickname"),
    ("Hi {{ customer.first_name }}", "unknown merge group 'customer'"),
    ("Your agent {{ realtor.first_name }}", "realtor.first_name may be missing"),
])
def test_the_validator_rejects(source, problem):
    assert any(problem in p for p in check_source(source, "t"))


@pytest.mark.parametrize("source", [
    "Hi {{ borrower.first_name }}",
    "Your agent {{ realtor.first_name | default('your agent') }}",
    "{% if loan.close_date_fmt is defined %}Closing {{ loan.close_date_fmt }}{% endif %}",
])
def test_the_validator_accepts(source):
    assert check_source(source, "t") == []


def test_lead_nurture_reads_like_a_plan():
    seq = SEQUENCES["lead_nurture"]
    touches = seq.touches()
    assert 5 <= len([t for t in touches if t.channel != "task"]) + 1 <= 9
    assert touches[0].immediate and touches[0].channel == "email"
    assert {t.channel for t in touches} >= {"email", "sms", "task"}
    import chalicelib.sequences.lead_nurture as module
    assert "day 14" in module.__doc__
