"""Long-term nurture: after the 14-day lead nurture, until the lead applies, is lost or opts out.

The plan, as a loan officer would review it: a fortnight at full cadence, then again.
  rest               while the 14-day lead nurture runs (a lead who joins later starts below)
  day 0   10:00 email  the news: the monthly buyer's market update (this week's rates with their
                       APR, what moved, the payment on their loan amount), else a seasonal note
                       for buyers, else the next lesson of the education series
  day 2   10:00 task   the LO's call: monthly while the lead reads, quarterly when quiet,
                       talking points from the record; a call invitation by e-mail, else a text,
                       when the LO's days have no room for it (domain/lo_day.py)
  day 3   11:00 sms    a short check-in with one useful thing in it (only with SMS consent)
  day 7   10:00 email  the path back to a discovery call (every six weeks or so), else the next
                       lesson
  day 10  10:00 email  the next lesson: the buying process, pre-approval, credit, down payment
                       and loan programs, budgets, rate locks, closing costs... in that order
  day 14             the next fortnight
Business days only. The pace follows engagement (domain.cadence): delays x0.75 for a week
after a click, call or download; x2.5 once two weeks of mail go unopened (and until a person
opens, clicks or replies again).
Nothing repeats within a year; a slot with nothing fit to send passes without a touch.
Joins with the 14-day nurture (and starts when it ends), or by the ``join_program`` event. Exits
when the lead starts an application or any later stage, is lost, opts out of everything, or the
LO takes over; a reply pauses it (it carries on 7 days later unless the LO resumes it or hands
off).
"""
from .dsl import NUDGE, NURTURE, Sequence, again_after, days, from_shelves, goto, rest
from .rotation import article, call, text

A = "leads"
ARTICLE = "a lesson is read as an e-mail; unread, the program slows and its text check-in carries on"


def _email(id_, subject, title, **kw):
    # Unread, a lesson or a seasonal note stays an e-mail (the program slows down, its text
    # check-in carries on); the market note and the call invitations go as texts.
    if "text" not in kw:
        kw.setdefault("never_text", ARTICLE)
    return article(A, id_, subject, title, **kw)


def _lesson(n, id_, subject, title, **kw):
    return _email(id_, subject, title, order=n, **kw)


def _call_ask(id_, subject, title):
    """An invitation to talk: as a text, the nudge that asks for a good time (dsl.NUDGE)."""
    return _email(id_, subject, title, family="call_ask", family_gap_days=40, text=NUDGE)


def _text(id_, title, **kw):
    return text(A, id_, title, **kw)


LIBRARY = {
    "market": (
        _email("buyer_market_update", "{{ borrower.first_name }}, this month's rates and your payment",
               "Monthly market update for buyers: rates with APR, what moved, the payment on your loan",
               data="market", repeat_days=21, text=f"library/{A}/buyer_market_update_text"),
    ),
    "seasonal": (
        _email("new_year_home_goals", "Buying a home this year? Start here", "Home goals for the new year",
               months=(1,)),
        _email("spring_market_prep", "Getting ready for spring house hunting", "Spring market prep", months=(2, 3)),
        _email("tax_refund_down_payment", "Your tax refund and your down payment", "A tax refund toward closing",
               months=(3, 4)),
        _email("summer_buying", "Buying in summer: how to stay a step ahead", "Summer buying", months=(6, 7)),
        _email("fall_buying", "Why fall can be a good time to buy", "Fall buying", months=(9, 10)),
        _email("holiday_house_hunting", "House hunting over the holidays", "Holiday house hunting", months=(11, 12)),
    ),
    "education": (
        _lesson(1, "buying_process_map", "The home-buying process, start to finish", "The buying process"),
        _lesson(2, "preapproval_explained", "Pre-qualification or pre-approval: why it matters", "Pre-approval"),
        _lesson(3, "credit_score_basics", "What lenders look at in your credit", "Credit basics"),
        _lesson(4, "credit_boost_moves", "Five moves that can help your credit before you apply", "Improving credit"),
        _lesson(5, "down_payment_myths", "Do you really need a big down payment?", "Down payment myths"),
        _lesson(6, "down_payment_assistance", "Down payment help you may not know about", "Down payment assistance"),
        _lesson(7, "loan_types_compared", "Conventional, FHA, VA, USDA: which loan fits you?", "Loan types compared"),
        _lesson(8, "first_time_buyer_programs", "First-time buyer? Programs worth asking about",
                "First-time buyer programs"),
        _lesson(9, "budget_beyond_payment", "Your real monthly cost, beyond principal and interest",
                "The full monthly budget"),
        _lesson(10, "debt_to_income", "Debt-to-income: the number that sizes your budget", "Debt-to-income"),
        _lesson(11, "rate_locks_explained", "Rate locks: how they work and when to lock", "Rate locks"),
        _lesson(12, "points_and_credits", "Discount points and lender credits, explained", "Points and credits"),
        _lesson(13, "rate_vs_apr_buyers", "Rate vs. APR: how to compare loan offers", "Rate vs. APR"),
        _lesson(14, "fixed_vs_arm", "Fixed or adjustable: how to choose", "Fixed vs. adjustable"),
        _lesson(15, "closing_costs_explained", "Closing costs: what they are and how to plan for them",
                "Closing costs"),
        _lesson(16, "documents_to_gather", "The documents you'll need: a checklist", "Document checklist"),
        _lesson(17, "shopping_for_rates", "Shopping for a mortgage without hurting your credit", "Rate shopping"),
        _lesson(18, "working_with_an_agent", "Choosing a real estate agent", "Choosing an agent"),
        _lesson(19, "strong_offer", "How to make an offer that stands out", "Making a strong offer"),
        _lesson(20, "inspection_and_appraisal", "Inspection vs. appraisal: what each one protects",
                "Inspection and appraisal"),
        _lesson(21, "contract_to_close", "From accepted offer to closing: the timeline", "Contract to close"),
        _lesson(22, "mistakes_before_closing", "Six things not to do before closing", "Mistakes before closing"),
        _lesson(23, "closing_day", "What happens on closing day", "Closing day"),
        _lesson(24, "homeowners_insurance_buyers", "Homeowners insurance: what to know before you buy",
                "Insurance for buyers"),
        _lesson(25, "gift_funds", "Using gift money for your down payment", "Gift funds"),
        _lesson(26, "self_employed_buyers", "Self-employed? How to document your income", "Self-employed buyers"),
        _lesson(27, "student_loans_and_buying", "Student loans and buying a home", "Student loans"),
        _lesson(28, "condo_townhome_financing", "Buying a condo or townhome: financing notes", "Condos and townhomes"),
        _lesson(29, "new_construction", "Buying new construction: how the financing works", "New construction"),
        _lesson(30, "renting_vs_buying", "Renting vs. buying: an honest comparison", "Renting vs. buying"),
        _lesson(31, "fha_loans_explained", "FHA loans: who they're for", "FHA loans"),
        _lesson(32, "va_loans_explained", "VA loans: the benefit you earned", "VA loans", requires=("loan_type:va",)),
        _lesson(33, "usda_loans_explained", "USDA loans: financing for rural and small-town homes", "USDA loans"),
        _lesson(34, "how_much_house", "How much house is right for you? Three numbers to know", "How much house"),
        _lesson(35, "mortgage_insurance_explained", "Mortgage insurance: what it is and when it ends",
                "Mortgage insurance"),
        _lesson(36, "escrow_for_buyers", "Escrow accounts: how taxes and insurance get paid", "Escrow for buyers"),
        _lesson(37, "earnest_money", "Earnest money: how much, where it goes, when you get it back",
                "Earnest money"),
        _lesson(38, "loan_estimate_walkthrough", "How to read a Loan Estimate, page by page", "The Loan Estimate"),
        _lesson(39, "choosing_a_neighborhood", "Choosing a neighborhood: a checklist", "Choosing a neighborhood"),
        _lesson(40, "hoa_basics", "Buying in an HOA: what to read before you sign", "HOA basics"),
        _lesson(41, "moving_costs_budget", "Budgeting for the move and the first months", "Moving costs"),
        _lesson(42, "buying_with_a_partner", "Buying with a partner, a friend or family", "Buying together"),
        _lesson(43, "credit_myths", "Five credit myths that cost home buyers", "Credit myths"),
        _lesson(44, "first_90_days", "Your first 90 days as a homeowner", "The first 90 days"),
    ),
    "call_asks": (
        _call_ask("plan_call_invite", "15 minutes to map out your home plan?", "A planning call"),
        _call_ask("whats_changed", "{{ borrower.first_name }}, has anything changed in your plans?", "What's changed"),
        _call_ask("numbers_review", "Want me to run your numbers at this week's rates?", "A numbers review"),
        _call_ask("preapproval_checkup", "A quick pre-approval check-up", "A pre-approval check-up"),
        _call_ask("questions_answered", "Send me your questions (I'll answer every one)", "Questions answered"),
    ),
    "texts": (
        _text("text_new_year", "New year home goals", months=(1,)),
        _text("text_tax_refund", "A tax refund toward closing costs", months=(2, 3, 4)),
        _text("text_spring", "Spring listings are coming", months=(3, 4, 5)),
        _text("text_summer", "Summer: be ready to move fast", months=(6, 7, 8)),
        _text("text_fall", "Fall: fewer buyers", months=(9, 10)),
        _text("text_thanksgiving", "Happy Thanksgiving", months=(11,)),
        _text("text_holidays", "Happy holidays", months=(12,)),
        _text("text_preapproval", "A pre-approval letter in hand"),
        _text("text_credit_tip", "Credit: pay before the statement date"),
        _text("text_dpa", "Down payment assistance"),
        _text("text_open_house", "Open house tip"),
        _text("text_budget_question", "A comfortable monthly payment?"),
        _text("text_documents", "Start a documents folder"),
        _text("text_rate_lock_question", "Rate lock questions"),
        _text("text_agent_intro", "An introduction to an agent"),
        _text("text_first_time_buyer", "First-time buyer programs"),
        _text("text_questions", "Any question, any time"),
        _text("text_timeline", "Has the timeline changed?"),
        _text("text_house_fund", "Automate a house fund"),
        _text("text_neighborhood", "Visit the neighborhood at night"),
        _text("text_inspection_tip", "Go to the inspection"),
        _text("text_loan_estimate", "Compare Loan Estimates"),
        _text("text_long_weekend", "Long-weekend open houses", months=(5, 9)),
        _text("text_lease_renewal", "Lease renewal coming up?"),
    ),
    "calls": (
        call(A, "engaged_call", "Call a reading lead: what they read, what they need next",
             requires=("engaged",), family="lo_call", family_gap_days=26, repeat_days=26),
        call(A, "quarterly_call", "Quarterly call to a quiet lead: plans, timeline, one useful offer",
             order=1, family="lo_call", family_gap_days=80, repeat_days=80),
    ),
}

WORKDAY = {"at": "10:00", "business_day": True}

SEQUENCE = Sequence(
    id="long_term_nurture",
    name="Long-term lead nurture (year-round)",
    version=1,
    description="After the 14-day nurture, every fortnight: the news (a buyer's market update with APR, a seasonal "
                "note), the LO's call, a text check-in, the next lesson of the education series or a discovery-call "
                "invitation; paced by engagement, nothing repeated within a year.",
    triggers=("after:lead_nurture", "join_program"),
    priority=NURTURE,
    stages=("new_lead",),
    exit_on_stages=("application_started", "application_submitted", "conditional_approval",
                    "appraisal_ordered", "clear_to_close", "funded", "lost"),
    exit_on=("opted_out", "handoff", "converted"),
    requires=("email",),
    reentry=again_after(0),
    paced=True,
    library=LIBRARY,
    steps=(
        rest("lead_nurture_runs", days(11)),
        from_shelves("the_news", "email", ("market", "seasonal", "education"), days(4, **WORKDAY)),
        from_shelves("lo_call", "task", ("calls",), days(2, **WORKDAY), swap=("call_asks", "texts")),
        from_shelves("check_in_text", "sms", ("texts",), days(1, at="11:00", business_day=True)),
        from_shelves("next_lesson", "email", ("call_asks", "education"), days(4, **WORKDAY)),
        from_shelves("lesson", "email", ("education",), days(3, **WORKDAY)),
        goto("next_fortnight", "the_news"),
    ),
)
