"""LOS milestones into stages, pure: the defaults, the team's table, and forward-only moves."""
import pytest

from chalicelib.domain.milestones import DEFAULT_MILESTONES, judge, stage_for, table, validate_table

ENCOMPASS = {  # the thirteen out-of-the-box milestones, in order
    "Started": "application_started", "Qualification": "application_started", "Processing": "application_submitted",
    "Submittal": "application_submitted", "Cond. Approval": "conditional_approval",
    "Resubmittal": "conditional_approval", "Approval": "clear_to_close", "Doc Preparation": "clear_to_close",
    "Docs Signing": "clear_to_close", "Funding": "funded", "Post Closing": "funded", "Shipping": "funded",
    "Completion": "funded",
}


@pytest.mark.parametrize("milestone, stage", list(ENCOMPASS.items()) + [
    ("Clear to Close", "clear_to_close"), ("Application Submitted", "application_submitted"), ("Funded", "funded"),
    ("Appraisal Ordered", "appraisal_ordered"), ("Withdrawn", "lost"), ("Lead", "new_lead")])
def test_defaults_cover_encompass_and_the_common_names(milestone, stage):
    assert stage_for(milestone, table({})) == (True, stage)


@pytest.mark.parametrize("spelling", ["Cond. Approval", "cond approval", "COND-APPROVAL", " CondApproval "])
def test_names_are_compared_without_case_spaces_or_punctuation(spelling):
    assert stage_for(spelling, table({})) == (True, "conditional_approval")


def test_the_teams_table_is_laid_over_the_defaults():
    mine = table({"UW Approved": "conditional_approval", "Approval": "conditional_approval", "Shipping": None})
    assert stage_for("uw approved", mine) == (True, "conditional_approval")
    assert stage_for("Approval", mine) == (True, "conditional_approval")
    assert stage_for("Shipping", mine) == (True, None)          # recorded, never acted on
    assert stage_for("Pending Review", mine) == (False, None)
    assert stage_for("", mine) == (False, None)


def test_a_teams_table_naming_no_stage_is_refused():
    assert validate_table({"Approval": "approved"}) == [
        "milestones.Approval: 'approved' is not a stage (new_lead, application_started, application_submitted, "
        "conditional_approval, appraisal_ordered, clear_to_close, funded, lost)"]
    assert validate_table({"Approval": "clear_to_close", "X": None}) == []
    assert validate_table([]) != []


def test_every_default_names_a_stage():
    assert validate_table(DEFAULT_MILESTONES) == []


@pytest.mark.parametrize("current, target, applies", [
    ("application_submitted", "conditional_approval", True),
    ("conditional_approval", "application_submitted", False),   # a late, older milestone
    ("conditional_approval", "conditional_approval", False),
    ("new_lead", "clear_to_close", True),                       # milestones may be skipped
    ("clear_to_close", "funded", True),
    ("clear_to_close", "lost", True),
    ("funded", "lost", False),
    ("funded", "application_started", False),                   # the closed loan's old milestone
    ("lost", "application_submitted", True),                    # a reopened file
    ("lost", "lost", False),
])
def test_a_milestone_moves_a_lead_forward_only(current, target, applies):
    assert judge(current, target)[0] is applies


def test_a_past_clients_new_loan_starts_again():
    assert judge("funded", "application_started", new_loan=True) == (True, "new loan")
    assert judge("funded", "funded", new_loan=True)[0] is False
