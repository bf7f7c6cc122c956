"""Past-client program: the relationship after the 90-day welcome, for as long as it lasts.

The plan, as a loan officer would review it: a fortnight (13 days) at full cadence, then again.
  rest               while the post-funded welcome runs (a client who joins later starts below)
  day 0   10:00 email  the news: the monthly market update (this week's rates with their APR,
                       what moved, what it means for the client's own note rate), else the
                       quarterly equity update, else a seasonal note, else an article (the
                       market and equity notes go as one-line texts to a client who has not
                       opened e-mail in 14 days, with SMS consent; articles stay e-mails)
  day 3   11:00 sms    a short check-in with one useful thing in it (only with SMS consent); to a
                       client without it who reads e-mail (a person's open, click or reply in 30
                       days), a short note from the LO by e-mail instead (past_client_notes)
          10:00 task   after a click this past week (at most monthly): the LO follows up on it
  day 6   10:00 email  home and money: a seasonal note (tax season and the 1098, insurance and
                       escrow, home-maintenance seasons, holidays), else an article
  day 7   10:00 task   the quarterly LO call, talking points from the record (once a quarter), planned
                       on a day of the LO's with room; a text, else an article, when none has (lo_day)
  day 10  10:00 email  from the LO: a referral or review ask after a click, reply or call in
                       the last 60 days (one in four months), else the equity update or an article
  day 13             the next fortnight
Business days only. The pace follows engagement (domain.cadence): delays x0.75 for a week
after a click, call or download; x1.8 once two weeks of mail go unopened and no person has
opened anything in 30 days (about 45-65 touches a year instead of 90-110). Nothing repeats
within a year; a slot with nothing fit to send passes without a touch. Every figure is computed when the touch is
scheduled, every rate stated with its APR.
Joins: at funding (after the welcome), at import, by the ``join_program`` event, or on the
funding anniversary for clients stored before the program (triggers.programs). Exits when the
client starts a new application or is lost, opts out of everything, or the LO takes over; a
reply pauses it (it carries on 7 days later unless the LO resumes it or hands off).
"""
from .dsl import MARKETING, Sequence, again_after, days, from_shelves, goto, rest
from .past_client_notes import NOTES
from .rotation import article, call, text

A = "past_client"
ARTICLE = "an article is read as an e-mail; unread, the program slows and its text check-in carries on"


def _email(id_, subject, title, **kw):
    # Unread, an article stays an e-mail: the program slows down and its own text check-in
    # carries on. Only the news written for it (a market note, an equity line) goes as a text.
    if "text" not in kw:
        kw.setdefault("never_text", ARTICLE)
    return article(A, id_, subject, title, **kw)


def _text(id_, title, **kw):
    return text(A, id_, title, **kw)


ASK = {"family": "ask", "family_gap_days": 110, "requires": ("positive",),
       "never_text": "a referral or review ask is not pressed by text on a client who is not reading"}
QUARTERLY = {"family": "lo_call", "family_gap_days": 80, "repeat_days": 300}

LIBRARY = {
    "market": (
        _email("market_update", "{{ borrower.first_name }}, your {{ touch.month_name }} rate check",
               "Monthly market update: this week's rates with APR, what moved, what it means for your loan",
               data="market", repeat_days=21, text=f"library/{A}/market_update_text"),
    ),
    "equity": (
        _email("equity_update", "Your home equity, {{ touch.month_name }} {{ touch.year }}",
               "Equity update: balance, principal repaid and estimated equity", data="equity",
               repeat_days=80, requires=("loan",), text=f"library/{A}/equity_update_text"),
    ),
    "seasonal": (
        _email("new_year_checklist", "A 10-minute mortgage checklist for the new year",
               "New year mortgage checklist", months=(1,)),
        _email("form_1098_tax_season", "Your Form 1098 is on its way: what it's for",
               "Tax season and your Form 1098", months=(1, 2)),
        _email("tax_refund_moves", "Getting a tax refund? Three smart moves for homeowners",
               "What to do with a tax refund", months=(3, 4)),
        _email("spring_maintenance", "Your spring home checklist", "Spring home maintenance", months=(3, 4, 5)),
        _email("storm_season_insurance", "Storm season: a five-minute insurance check-up",
               "Storm season insurance review", months=(5, 6)),
        _email("summer_energy", "Keeping summer energy bills in check", "Summer energy savings", months=(6, 7)),
        _email("midyear_escrow_check", "Midyear check: is your escrow on track?", "Midyear escrow check",
               months=(7, 8)),
        _email("home_document_kit", "Build a home document kit before you need it", "A home document kit",
               months=(8, 9)),
        _email("fall_maintenance", "Your fall home checklist", "Fall home maintenance", months=(9, 10)),
        _email("property_tax_bills", "Property tax bills are arriving: what to check", "Property tax bills",
               months=(10, 11)),
        _email("winterize_home", "Before the first freeze: protect your pipes (and your wallet)",
               "Winterizing the home", months=(11, 12)),
        _email("thanksgiving_thanks", "Thank you, {{ borrower.first_name }}", "A Thanksgiving thank-you",
               months=(11,)),
        _email("year_end_money_moves", "Before December 31: a few homeowner money moves", "Year-end money moves",
               months=(12,)),
        _email("holiday_greetings", "Happy holidays from {{ lo.first_name }}", "Holiday greetings", months=(12,)),
    ),
    "articles": (
        _email("extra_principal", "One extra payment a year: what it does to your loan", "Extra principal payments"),
        _email("biweekly_payments", "Biweekly mortgage payments: worth it?", "Biweekly payment plans"),
        _email("pmi_removal", "How to get rid of PMI sooner", "Removing private mortgage insurance",
               requires=("mi", "loan_type:conventional")),
        _email("fha_mip_options", "Your FHA mortgage insurance: when and how it can end", "FHA mortgage insurance",
               requires=("loan_type:fha",)),
        _email("va_benefits_after_closing", "Your VA home loan benefit after closing", "VA benefits after closing",
               requires=("loan_type:va",)),
        _email("escrow_explained", "How your escrow account works", "Escrow, explained"),
        _email("escrow_shortage", "Got an escrow shortage notice? Here's what to do", "Escrow shortages"),
        _email("insurance_shopping", "Shopping your homeowners insurance without losing coverage",
               "Shopping homeowners insurance"),
        _email("reading_your_statement", "How to read your mortgage statement", "Reading your mortgage statement"),
        _email("heloc_vs_cash_out", "Tapping your equity: a HELOC or a cash-out refinance?", "HELOC vs. cash-out"),
        _email("renovations_that_pay", "Home projects that tend to pay you back", "Projects that add value"),
        _email("renovation_financing", "How to pay for a big home project", "Financing a renovation"),
        _email("when_refinancing_makes_sense", "When a refinance actually makes sense", "When to refinance"),
        _email("rate_watch", "How I watch rates for you", "The rate watch"),
        _email("property_tax_appeal", "Think your assessment is too high? How appeals work", "Property tax appeals"),
        _email("mortgage_scams", "Three mortgage scams to watch for", "Mortgage scams"),
        _email("servicer_transfer", "If your loan is sold: what changes and what doesn't", "Servicing transfers"),
        _email("emergency_fund", "A homeowner's emergency fund: how much is enough?", "A homeowner's emergency fund"),
        _email("home_warranty_vs_insurance", "Home warranty or homeowners insurance: what covers what",
               "Home warranty vs. insurance"),
        _email("credit_after_closing", "Keeping your credit strong after closing", "Credit after closing"),
        _email("debt_consolidation_equity", "Using home equity to pay off debt: the fine print",
               "Equity for debt payoff"),
        _email("life_changes", "Marriage, a baby, a divorce: what to update for your home", "Life changes checklist"),
        _email("title_and_estate", "How you hold title, and why it matters to your family", "Title and estate basics"),
        _email("renting_out_your_home", "Thinking of renting your home out? Read this first", "Renting out your home"),
        _email("second_home_or_rental", "Buying a second home or a rental: how the financing differs",
               "Second homes and rentals"),
        _email("move_up_planning", "Thinking about a bigger place? Start with your equity", "Planning a move up"),
        _email("downsizing", "Downsizing: a plan for the move and the money", "Downsizing"),
        _email("recast_vs_refinance", "Mortgage recast or refinance: which fits?", "Recasting a mortgage"),
        _email("payoff_or_invest", "Pay off the mortgage early or invest the difference?", "Prepay or invest"),
        _email("why_payment_changed", "Why your mortgage payment changed", "Payment changes"),
        _email("energy_upgrades", "Energy upgrades: what to do first", "Energy upgrades"),
        _email("maintenance_budget", "How much to set aside for home maintenance", "A maintenance budget"),
        _email("insurance_claims", "Filing an insurance claim: where your mortgage fits in", "Insurance claims"),
        _email("hardship_help", "If money gets tight: call early", "Help in a hardship"),
        _email("home_inventory", "Make a home inventory in 20 minutes", "A home inventory"),
        _email("documents_to_keep", "Your closing papers: what to keep and for how long", "Documents to keep"),
        _email("adding_space", "Adding space: additions and accessory units", "Additions and ADUs"),
        _email("rate_vs_apr", "Rate vs. APR: what the difference tells you", "Rate vs. APR"),
        _email("paying_off_the_mortgage", "Paying off your mortgage: the payoff statement and the lien release",
               "Paying off the mortgage"),
        _email("roof_replacement", "A new roof: insurance, financing and timing", "Replacing a roof"),
        _email("insurance_discounts", "Smart sensors, new roofs and other ways to lower your insurance",
               "Insurance discounts"),
        _email("flood_risk", "Flood risk: check your home's map (even outside a flood zone)", "Flood risk"),
        _email("college_and_equity", "Paying for college: where home equity fits, and where it doesn't",
               "College costs and equity"),
        _email("selling_costs", "What it really costs to sell a home", "The cost of selling"),
        _email("aging_in_place", "Staying in your home as you age: changes and money", "Aging in place"),
    ),
    "asks": (
        _email("referral_ask", "Know someone who's thinking about buying?", "A referral ask", **ASK),
        _email("review_ask", "Would you share a few words about your loan?", "A review ask", **ASK),
        _email("friends_family_numbers", "Happy to run the numbers for your friends and family",
               "Numbers for friends and family", **ASK),
    ),
    "texts": (
        _text("text_new_year", "New year: payoff and 1098 reminder", months=(1,)),
        _text("text_1098", "Form 1098 is on its way", months=(1, 2)),
        _text("text_tax_refund", "A tax refund and extra principal", months=(3, 4)),
        _text("text_clocks_change", "Clocks change: test the detectors", months=(3, 11)),
        _text("text_spring_filter", "Spring: filters and gutters", months=(4, 5)),
        _text("text_storm_photos", "Storm season: photos for the insurer", months=(6, 7, 8)),
        _text("text_july_fourth", "Happy Fourth of July", months=(7,)),
        _text("text_summer_ac", "Summer: AC tune-up", months=(7, 8)),
        _text("text_fall_gutters", "Fall: gutters and heating check", months=(9, 10)),
        _text("text_property_tax", "Property tax bills", months=(10, 11)),
        _text("text_thanksgiving", "Happy Thanksgiving", months=(11,)),
        _text("text_holidays", "Happy holidays", months=(12,)),
        _text("text_rate_watch", "I'm watching rates for you"),
        _text("text_insurance_renewal", "Insurance renewal: shop the policy"),
        _text("text_scam_alert", "Never wire money without calling"),
        _text("text_escrow_letter", "Escrow letter help"),
        _text("text_project_plans", "Planning a project?"),
        _text("text_home_value", "Curious what the home is worth?"),
        _text("text_extra_payment", "One extra payment a year"),
        _text("text_credit_tip", "Keep old cards open"),
        _text("text_referral_thanks", "Thanks for the trust; referrals welcome", family="text_ask",
              family_gap_days=180, requires=("positive",)),
        _text("text_memorial_day", "Memorial Day", months=(5,)),
        _text("text_labor_day", "Labor Day", months=(9,)),
        _text("text_escrow_surplus", "An escrow refund check", months=(6, 7, 8, 9)),
        _text("text_water_heater", "Flush the water heater"),
        _text("text_dryer_vent", "Clean the dryer vent", months=(10, 11, 12, 1, 2)),
    ),
    "notes": NOTES,
    "calls": (
        call(A, "call_q1", "Q1 call: taxes, insurance renewal, plans for the year", months=(1, 2, 3), **QUARTERLY),
        call(A, "call_q2", "Q2 call: projects, equity, moving plans", months=(4, 5, 6), **QUARTERLY),
        call(A, "call_q3", "Q3 call: rate check and escrow review", months=(7, 8, 9), **QUARTERLY),
        call(A, "call_q4", "Q4 call: year-end, property taxes, thanks", months=(10, 11, 12), **QUARTERLY),
    ),
    "follow_ups": (
        call(A, "interest_follow_up", "Follow up on what the client just clicked", requires=("hot",),
             family="follow_up", family_gap_days=30, repeat_days=30),
    ),
}

WORKDAY = {"at": "10:00", "business_day": True}

SEQUENCE = Sequence(
    id="past_client_program",
    name="Past-client program (year-round)",
    version=1,
    description="After the welcome, every fortnight: the news (market update with APR, equity, a seasonal note), a "
                "text check-in (a short note by e-mail to a reader without text consent), a home-and-money article, "
                "the LO's quarterly call, a referral ask when welcome; paced by engagement, nothing repeated within a "
                "year.",
    triggers=("after:post_funded_welcome", "import:funded", "join_program", "time:funding_anniversary"),
    priority=MARKETING,
    stages=("funded",),
    exit_on_stages=("application_started", "application_submitted", "lost"),
    exit_on=("opted_out", "handoff", "converted"),
    requires=("email",),
    reentry=again_after(0),
    paced=True,
    library=LIBRARY,
    steps=(
        rest("welcome_runs", days(89)),
        from_shelves("the_news", "email", ("market", "equity", "seasonal", "articles"), days(3, **WORKDAY)),
        from_shelves("check_in_text", "sms", ("texts",), days(3, at="11:00", business_day=True), swap=("notes",)),
        from_shelves("follow_up_call", "task", ("follow_ups",), days(0, **WORKDAY)),
        from_shelves("home_and_money", "email", ("seasonal", "articles"), days(3, **WORKDAY)),
        from_shelves("quarterly_call", "task", ("calls",), days(1, **WORKDAY), swap=("texts", "articles")),
        from_shelves("from_your_lo", "email", ("asks", "equity", "articles"), days(3, **WORKDAY)),
        goto("next_fortnight", "the_news"),
    ),
)
