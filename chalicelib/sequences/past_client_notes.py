"""Notes: short e-mails from the LO that go instead of the text check-in to a past client who
reads e-mail but has no text consent (past_client_program's check_in_text slot swaps to them).

A note is not an article: three to six short sentences in the LO's own voice, one useful thing or
one question, no rates, no figures, no promises. Each one covers a topic the program's e-mails do
not (the home-care tips, holidays and offers its text check-ins carry), written under
``templates/email/library/past_client/notes/<id>.txt.j2`` and in Spanish under
``templates/es/email/library/past_client/notes/<id>.txt.j2``.

Seasons: every month has two or three notes in season, and eight go all year.
"""
from .rotation import Item

A = "past_client"
NEVER_TEXT = "a note stands in for a text check-in: it goes only as an e-mail"

# A thank-you that welcomes referrals counts as an ask: one ask (note or e-mail) in four months,
# and only to a client whose last contact was warm.
ASK = {"family": "ask", "family_gap_days": 110, "requires": ("positive",)}


def _note(id_, subject, title, **kw):
    """A note's Item: its id is the plain ``<id>``, its template ``library/past_client/notes/<id>``;
    it needs a client who reads e-mail (``reads_mail``), plus whatever else it ``requires``, and
    one who cannot get texts (a texting client whose texts ran out gets none: the slot passes)."""
    requires = ("reads_mail",) + tuple(kw.pop("requires", ()))
    return Item(id_, "email", f"library/{A}/notes/{id_}", title, subject, requires=requires, avoid=("sms",),
                never_text=NEVER_TEXT, **kw)


NOTES = (
    # -- all year ------------------------------------------------------------------------------
    _note("note_how_is_the_house", "How's the house treating you, {{ borrower.first_name }}?",
          "How is the house treating you? (a question, nothing to sell)"),
    _note("note_servicer_online_account", "Is your servicer's online account set up?",
          "Set up the servicer's online account and autopay"),
    _note("note_home_value_estimate", "Curious what your home is worth?",
          "Offer: an estimate of the home's value from nearby sales"),
    _note("note_referral_thanks", "A quick thank-you from {{ lo.first_name }}",
          "Thanks for the trust; friends and family welcome", **ASK),
    _note("note_water_heater", "A once-a-year job for your water heater", "Flush the water heater"),
    _note("note_washer_hoses", "The hoses behind your washing machine",
          "Washing machine hoses: swap old rubber ones, know the valves"),
    _note("note_trusted_pros", "Need a plumber or a roofer? Ask me",
          "Names of tradespeople and agents clients were happy with"),
    _note("note_lookalike_mail", "That mail that looks like it's from your lender",
          "Mail that looks like it's from the lender (mortgage protection offers, public-record mailers)"),
    # -- in season -----------------------------------------------------------------------------
    _note("note_homestead_exemption", "Is your homestead exemption on file?",
          "Homestead exemption: check it's on file with the county", months=(1, 2, 3)),
    _note("note_dryer_vent", "The dryer vent: a five-minute winter check", "Clean the dryer vent and duct",
          months=(10, 11, 12, 1, 2)),
    _note("note_clocks_change", "The clocks change this month: a quick safety check",
          "Clocks change: test the smoke and CO alarms", months=(3, 11)),
    _note("note_outdoor_faucet", "Turning the outside water back on? Check this",
          "Spring: check the outside faucet for a pipe split by the freeze", months=(3, 4)),
    _note("note_call_811", "Digging this spring? Call 811 first", "Call 811 before digging", months=(4, 5)),
    _note("note_memorial_day", "Thinking of you this Memorial Day", "Memorial Day", months=(5,)),
    _note("note_vacation_ready", "Before you leave on vacation", "Before a trip: water, lights, a neighbor, insurance",
          months=(6, 7, 8)),
    _note("note_escrow_refund", "If an escrow refund check comes in the mail", "An escrow refund check",
          months=(6, 7, 8, 9)),
    _note("note_fourth_of_july", "Happy Fourth of July, {{ borrower.first_name }}",
          "Fourth of July (and grill safety)", months=(7,)),
    _note("note_labor_day", "Happy Labor Day, {{ borrower.first_name }}",
          "Labor Day: anything to get done before winter?", months=(9,)),
    _note("note_trees_near_house", "A look at the trees before winter",
          "Trees near the house before winter storms", months=(10, 11)),
    _note("note_holiday_fire_safety", "Candles, space heaters and the tree: a quick note",
          "Holiday fire safety", months=(12,)),
)
