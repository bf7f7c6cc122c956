"""The guard rails, pure: plausible rates, held moves, unit mistakes, the mass-send breaker, and
the held enrollment's life (hold, release, discard) in the state machine."""
from datetime import timedelta
from decimal import Decimal

import pytest

from chalicelib.domain.guard import GuardSettings, breaker, diagnose, judge_quote
from chalicelib.sequences import engine
from chalicelib.sequences.catalog import SEQUENCES
from tests.helpers import CLOCK_START

DEFAULT = GuardSettings.from_team({})


# -- bounds and unit mistakes ----------------------------------------------------------------------

@pytest.mark.parametrize("raw", [6.125, "6.125", 2, "15", Decimal("7.0")])
def test_plausible_conv30_rates_pass(raw):
    rate, problem = diagnose(raw, "conv30", DEFAULT)
    assert problem is None and rate == Decimal(str(raw))


@pytest.mark.parametrize("raw, says", [
    (0.6125, "dropped digit or a misplaced decimal point (6.125?)"),   # the fat finger
    (612.5, "basis points (612.5 bp = 6.125%)"),                       # a feed switched to bp
    (0.06125, "fraction (0.06125 = 6.125%)"),
    (320000, "amount, not a rate"),                                    # the loan amount column
    (2027, "date, not a rate"),                                        # the year column
    (20270413, "date, not a rate"),
    ("4/13/2027", "date, not a rate"),                                 # the date column itself
    ("2027-04-13", "date, not a rate"),
    (16.5, "above the ceiling"),
    (1.2, "dropped digit or a misplaced decimal point (12?)"),
    (1.6, "below the floor"),
    (0, "not a rate"),
    (-6.125, "not a rate"),
    ("six", "not a number"),
    (True, "must be a number"),
    (None, "must be a number"),
])
def test_implausible_rates_are_refused_with_the_likely_mistake(raw, says):
    _, problem = diagnose(raw, "conv30", DEFAULT)
    assert problem and says in problem, problem
    if raw not in (True, None, "six"):
        assert "between 2% and 15%" in problem


def test_bounds_are_per_product_with_team_overrides_and_a_default():
    assert DEFAULT.bounds_for("conv15") == (Decimal("1.5"), Decimal("14"))
    assert DEFAULT.bounds_for("a_new_product") == (Decimal("1.5"), Decimal("15"))
    team = GuardSettings.from_team({"rates": {"conv30": {"min": "3", "max": "9.5"}}})
    assert team.bounds_for("conv30") == (Decimal("3"), Decimal("9.5"))
    assert diagnose(9.75, "conv30", team)[1] and diagnose(9.75, "conv30", DEFAULT)[1] is None
    assert team.bounds_for("conv15") == DEFAULT.bounds_for("conv15")


@pytest.mark.parametrize("raw", [
    {"max_step": "0"}, {"breaker_share": "1.5"}, {"breaker_share": "x"}, {"breaker_min_batch": 0},
    {"breaker_min_batch": "25"}, {"rates": {"conv30": {"min": "9", "max": "3"}}}, {"stepp": "1"},
])
def test_a_bad_guard_setting_is_refused_not_loosened(raw):
    with pytest.raises(ValueError, match="guard"):
        GuardSettings.from_team(raw)


# -- steps ---------------------------------------------------------------------------------------

def test_a_move_within_the_step_is_accepted_and_a_larger_one_held():
    assert judge_quote("conv30", "6.5", DEFAULT, last=Decimal("7.125")).action == "accept"       # 0.625 down
    assert judge_quote("conv30", "7.875", DEFAULT, last=Decimal("7.125")).action == "accept"     # exactly 0.75
    held = judge_quote("conv30", "5.0", DEFAULT, last=Decimal("7.125"))
    assert held.action == "hold" and held.rate == Decimal("5.0")
    assert "2.125 points down from the last quote (7.125%)" in held.reason
    assert judge_quote("conv30", "8", DEFAULT, last=7.125).action == "hold"                      # up counts too
    assert judge_quote("conv30", "5.0", GuardSettings.from_team({"max_step": "2.5"}), last=7.125).action == "accept"


def test_a_first_quote_has_no_step_and_bounds_come_before_everything():
    assert judge_quote("conv30", "5.0", DEFAULT, last=None).action == "accept"
    assert judge_quote("conv30", "0.6125", DEFAULT, last=None, confirm=True).action == "refuse"


def test_a_held_move_is_confirmed_explicitly_or_by_a_second_source():
    held = {"rate": 5.0, "source": "api"}
    assert judge_quote("conv30", "5.0", DEFAULT, last=7.125, held=held, confirm=True).reason == "confirmed"
    second = judge_quote("conv30", "5.0", DEFAULT, last=7.125, held=held, source="freddie_mac_pmms")
    assert second.action == "accept" and "second source" in second.reason
    # the same figure from the same source again is no confirmation; another figure is judged afresh
    assert judge_quote("conv30", "5.0", DEFAULT, last=7.125, held=held, source="api").action == "hold"
    assert judge_quote("conv30", "5.25", DEFAULT, last=7.125, held=held, source="pmms").action == "hold"
    assert judge_quote("conv30", "7.0", DEFAULT, last=7.125, held=held).action == "accept"


# -- the breaker ---------------------------------------------------------------------------------

@pytest.mark.parametrize("batch, book, kind, hold", [
    (30, 100, "marketing", True),        # 30% of the book into one sequence
    (20, 100, "marketing", False),       # exactly the 20% share
    (21, 100, "marketing", False),       # over the share, but under the 25-lead minimum
    (26, 100, "marketing", True),
    (200, 1000, "marketing", False),
    (201, 1000, "marketing", True),
    (900, 1000, "transactional", False),  # pipeline updates are never held
    (30, 0, "marketing", True),          # an uncounted book is no licence to mail
])
def test_the_breaker_holds_a_marketing_run_over_the_share(batch, book, kind, hold):
    verdict = breaker(batch, book, "refinance_opportunity", kind, DEFAULT)
    assert verdict.hold is hold, verdict.reason
    if hold:
        assert "refinance_opportunity" in verdict.reason and "20%" in verdict.reason


def test_the_breaker_reads_the_team_share_and_minimum():
    team = GuardSettings.from_team({"breaker_share": "0.5", "breaker_min_batch": 2})
    assert breaker(3, 10, "birthday", "marketing", team).hold is False
    assert breaker(6, 10, "birthday", "marketing", team).hold is True
    verdict = breaker(6, 10, "birthday", "marketing", team)
    assert "60% of the team's book of 10" in verdict.reason and "50% limit" in verdict.reason


def test_a_book_never_recounted_says_how_to_count_it_when_it_holds():
    held = breaker(300, 40, "refinance_opportunity", "marketing", DEFAULT, recounted=False)
    assert held.hold and "make recount-book STAGE=<team>" in held.reason
    assert "recount" not in breaker(300, 40, "refinance_opportunity", "marketing", DEFAULT).reason
    assert breaker(5, 40, "refinance_opportunity", "marketing", DEFAULT, recounted=False).hold is False


# -- held enrollments in the state machine -------------------------------------------------------

LEAD = {"lead_id": "L1", "first_name": "Paula", "timezone": "America/Chicago", "stage": "funded"}


def _held(now=CLOCK_START):
    seq = SEQUENCES["refinance_opportunity"]
    enrolled = engine.enroll(seq, LEAD, now, "e1", "external:rate_drop").enrollment
    return seq, enrolled, engine.hold(enrolled, now, "30 leads ...", "rates-2027-04-13-refinance_opportunity",
                                      {"set": {"refi_armed_rate": "5"}, "was": {"refi_armed_rate": None}})


def test_a_held_enrollment_is_never_due_and_still_blocks_a_second_enrollment():
    _, enrolled, out = _held()
    e = out.enrollment
    assert enrolled["due_at"] and e["status"] == "held" and e["due_at"] is None and e["next_touch"] is None
    assert e["held_due_at"] == enrolled["due_at"] and e["batch_id"].startswith("rates-")
    assert engine.is_live(e) and engine.counts_for_reentry(e)
    [item] = out.timeline
    assert (item["action"], item["trigger"], item["batch_id"]) == ("held", "external:rate_drop", e["batch_id"])
    # nothing advances a held enrollment, whatever the time
    assert engine.advance(e, SEQUENCES["refinance_opportunity"], LEAD, CLOCK_START + timedelta(days=30),
                          lambda order: pytest.fail("a held enrollment planned a touch")).sends == []


def test_release_starts_the_enrollment_as_if_enrolled_now():
    seq, enrolled, out = _held()
    later = CLOCK_START + timedelta(days=2)
    released = engine.release(out.enrollment, seq, LEAD, later)
    e = released.enrollment
    assert e["status"] == "active" and "undo" not in e and "held_due_at" not in e
    fresh = engine.enroll(seq, LEAD, later, "e2", "external:rate_drop").enrollment
    assert e["due_at"] == fresh["due_at"] and e["next_touch"]["step"] == fresh["next_touch"]["step"]
    assert [(i["action"], i["reason"]) for i in released.timeline] == [("enrolled", "external:rate_drop")]


def test_a_discarded_enrollment_does_not_count_against_reentry():
    _, _, out = _held()
    gone = engine.discard(out.enrollment, CLOCK_START + timedelta(hours=1), "guard:discarded").enrollment
    assert gone["status"] == "discarded" and not engine.is_live(gone) and not engine.counts_for_reentry(gone)
    from chalicelib.services.engine_runner import _may_enroll

    seq = SEQUENCES["refinance_opportunity"]
    assert _may_enroll(seq, LEAD, [gone], CLOCK_START + timedelta(days=1))
    assert not _may_enroll(seq, LEAD, [out.enrollment], CLOCK_START + timedelta(days=1))


def test_guard_settings_default_when_the_team_has_none():
    assert GuardSettings().bounds_for("conv30") == (Decimal("2"), Decimal("15"))
    assert (DEFAULT.max_step, DEFAULT.breaker_share, DEFAULT.breaker_min_batch) == (Decimal("0.75"), Decimal("0.20"), 25)
