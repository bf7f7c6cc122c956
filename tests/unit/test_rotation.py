"""The content library's rotation: pure choices from (library, history, today, facts)."""
from datetime import date, timedelta

from hypothesis import given, settings, strategies as st

from chalicelib.sequences.catalog import SEQUENCES
from chalicelib.sequences.rotation import Facts, Item, choose, fit, items, remember

TODAY = date(2027, 4, 13)
ALL = frozenset({"email", "sms", "engaged", "loan", "positive", "mi", "loan_type:conventional"})


def item(id_, channel="email", **kw) -> Item:
    return Item(id_, channel, f"library/x/{id_}", id_.replace("_", " "), "S", **kw)


LIB = {
    "market": (item("market_update", data="market", repeat_days=21),),
    "seasonal": (item("spring", months=(3, 4, 5)), item("april_only", months=(4,)), item("fall", months=(9, 10))),
    "articles": (item("a1"), item("a2"), item("a3")),
    "series": (item("lesson_2", order=2), item("lesson_1", order=1), item("lesson_3", order=3)),
    "asks": (item("referral", family="ask", family_gap_days=110, requires=("positive",)),
             item("review", family="ask", family_gap_days=110, requires=("positive",))),
    "texts": (item("t1", "sms"),),
    "typed": (item("pmi", requires=("mi",), avoid=("loan_type:va",)),),
}


def test_a_fresh_history_takes_the_first_shelf_with_something_fit():
    facts = Facts(ALL, {"market": "2027-04-08"})
    assert choose(LIB, ("market", "articles"), [], TODAY, facts).id == "market_update"
    assert choose(LIB, ("market", "articles"), [], TODAY, Facts(ALL)).id in {"a1", "a2", "a3"}  # no data: next shelf


def test_nothing_fit_is_none_never_a_repeat():
    history = [[i, (TODAY - timedelta(days=30)).isoformat(), None] for i in ("a1", "a2", "a3")]
    assert choose(LIB, ("articles",), history, TODAY, Facts(ALL)) is None


def test_an_article_comes_back_only_after_a_year():
    history = [["a1", (TODAY - timedelta(days=364)).isoformat(), None],
               ["a2", (TODAY - timedelta(days=10)).isoformat(), None],
               ["a3", (TODAY - timedelta(days=365)).isoformat(), None]]
    assert choose(LIB, ("articles",), history, TODAY, Facts(ALL)).id == "a3"


def test_in_season_the_one_ending_soonest_goes_first():
    assert choose(LIB, ("seasonal",), [], TODAY, Facts(ALL)).id == "april_only"
    assert choose(LIB, ("seasonal",), [], date(2027, 5, 2), Facts(ALL)).id == "spring"
    assert choose(LIB, ("seasonal",), [], date(2027, 7, 1), Facts(ALL)) is None


def test_the_series_reads_in_order():
    got, history = [], []
    for n in range(3):
        day = TODAY + timedelta(days=7 * n)
        pick = choose(LIB, ("series",), history, day, Facts(ALL))
        got.append(pick.id)
        history = remember(history, pick, day)
    assert got == ["lesson_1", "lesson_2", "lesson_3"]


def test_data_driven_items_go_again_only_when_the_data_changed():
    facts = Facts(ALL, {"market": "2027-04-08"})
    sent_then = remember([], LIB["market"][0], TODAY - timedelta(days=28), "2027-04-08")
    assert choose(LIB, ("market",), sent_then, TODAY, facts) is None                      # same week's figures
    assert choose(LIB, ("market",), sent_then, TODAY, Facts(ALL, {"market": "2027-04-15"})).id == "market_update"
    recent = remember([], LIB["market"][0], TODAY - timedelta(days=10), "2027-03-30")
    assert choose(LIB, ("market",), recent, TODAY, facts) is None                         # monthly, not weekly


def test_a_family_keeps_its_gap_and_asks_need_a_warm_relationship():
    asked = remember([], LIB["asks"][0], TODAY - timedelta(days=60))
    assert choose(LIB, ("asks",), asked, TODAY, Facts(ALL)) is None                       # another ask too soon
    assert choose(LIB, ("asks",), asked, TODAY + timedelta(days=51), Facts(ALL)).id == "review"
    assert choose(LIB, ("asks",), [], TODAY, Facts(ALL - {"positive"})) is None


def test_channel_reach_requires_and_avoid():
    assert choose(LIB, ("texts",), [], TODAY, Facts(ALL - {"sms"})) is None                # no SMS consent: no text
    assert choose(LIB, ("articles",), [], TODAY, Facts(ALL - {"email"})) is None           # unsubscribed
    assert choose(LIB, ("typed",), [], TODAY, Facts(ALL)).id == "pmi"
    assert choose(LIB, ("typed",), [], TODAY, Facts(ALL - {"mi"})) is None
    assert choose(LIB, ("typed",), [], TODAY, Facts(ALL | {"loan_type:va"})) is None


def test_the_order_among_equals_differs_per_borrower_but_is_stable():
    picks = {choose(LIB, ("articles",), [], TODAY, Facts(ALL), salt=f"lead-{n}").id for n in range(20)}
    assert len(picks) > 1
    assert choose(LIB, ("articles",), [], TODAY, Facts(ALL), salt="x") == \
        choose(LIB, ("articles",), [], TODAY, Facts(ALL), salt="x")


def test_remember_forgets_what_can_no_longer_block():
    old = [["a1", "2025-01-01", None], ["a2", (TODAY - timedelta(days=30)).isoformat(), None]]
    assert [h[0] for h in remember(old, LIB["articles"][2], TODAY)] == ["a2", "a3"]


@settings(max_examples=15, deadline=None)
@given(program=st.sampled_from(["past_client_program", "long_term_nurture"]),
       start=st.dates(date(2026, 1, 1), date(2030, 12, 31)),
       gap=st.integers(2, 9), salt=st.text(max_size=6),
       quiet=st.booleans())
def test_a_year_of_picks_never_repeats_an_article(program, start, gap, salt, quiet):
    """Whatever the slot rhythm and start day, a real library never sends a non-data item twice
    within 365 days (data-driven items need new data, and a month between them)."""
    seq = SEQUENCES[program]
    shelves = tuple(seq.library)
    tags = frozenset({"email", "sms", "loan", "positive", "mi", "engaged", "loan_type:conventional", "stage:funded"})
    history: list = []
    log: list = []  # every pick (the history itself forgets what can no longer block)
    day = start
    while day < start + timedelta(days=730):
        facts = Facts(tags - ({"engaged"} if quiet else set()) | ({"quiet"} if quiet else set()),
                      {"market": (day - timedelta(days=day.weekday())).isoformat(), "equity": day.isoformat()[:7]})
        for shelf in shelves:
            pick = choose(seq.library, (shelf,), history, day, facts, salt)
            if pick:
                last = [date.fromisoformat(h[1]) for h in history if h[0] == pick.id]
                if last:
                    assert (day - max(last)).days >= pick.repeat_days
                assert fit(pick, seq.library, history, day, facts)
                history = remember(history, pick, day, facts.data.get(pick.data) if pick.data else None)
                log.append((pick.id, day))
        day += timedelta(days=gap)
    by_id = {i.id: i for i in items(seq.library)}
    sent: dict[str, list[date]] = {}
    for id_, on in log:
        sent.setdefault(id_, []).append(on)
    for id_, days in sent.items():  # an article (repeat_days 365) at most once in any year
        assert all((b - a).days >= by_id[id_].repeat_days for a, b in zip(days, days[1:]))
    assert any(by_id[i].repeat_days == 365 and len(d) > 1 for i, d in sent.items())  # two years: they do return


def test_the_history_keeps_the_last_send_of_each_item():
    from datetime import date

    from chalicelib.sequences.rotation import Item, remember

    market = Item("market_update", "email", "library/x/market_update", "Market", data="market")
    h = remember([], market, date(2027, 1, 5), "2027-01-04")
    h = remember(h, Item("spring", "email", "library/x/spring", "Spring"), date(2027, 3, 2))
    h = remember(h, market, date(2027, 4, 6), "2027-04-05")
    assert h == [["spring", "2027-03-02", None], ["market_update", "2027-04-06", "2027-04-05"]]


def test_what_the_store_leaves_out_of_an_enrollment_is_what_the_engine_recomputes():
    from chalicelib.sequences.engine import TRANSIENT
    from chalicelib.store.enrollments import NOT_IN_DOC
    from chalicelib.store.memory.unit_of_work import NOT_STORED

    assert set(TRANSIENT) <= set(NOT_IN_DOC) and set(TRANSIENT) <= set(NOT_STORED)
