"""Annual mortgage review: on each funding anniversary, a look at rate, home value and options.

The plan, as a loan officer would review it:
  day 0   10:00  email  your annual mortgage review: the rate (always with its APR), the
                        estimated home value and equity when known, and the options worth a
                        look (refinance, removing mortgage insurance, tapping equity, shortening the term)
          wait          did they open it? (3 days)
  day 3   10:00  task   the LO's review call: "they read it" (opened) or a cold call (not opened)
          wait          (not opened) do they open it in the next 7 days?
  day 10  10:00  email  a short follow-up with three questions, only if the review was never opened
Runs once a year (again after 300 days). Exits when the client starts a new application, is lost,
opts out, converts, or the LO takes over.
"""
from .dsl import MARKETING, OPENED, Sequence, after, again_after, days, email, end, task, wait_for

SEQUENCE = Sequence(
    id="annual_review",
    name="Annual mortgage review",
    version=1,
    description="Each funding anniversary: a review email (rate, home value, options), an LO review call, "
                "a follow-up if unopened.",
    triggers=("time:funding_anniversary",),
    priority=MARKETING,
    stages=("funded",),
    exit_on_stages=("application_started", "application_submitted", "lost"),
    reentry=again_after(300),
    steps=(
        email("annual_review_email", "annual_review/annual_review_email",
              subject="{{ borrower.first_name }}, your annual mortgage review",
              delay=after(at="10:00"), text="annual_review/review_text"),
        wait_for("opened_annual_review", OPENED, of="annual_review_email",
                 within=days(3), if_yes="review_call_engaged", if_no="review_call"),
        task("review_call_engaged", "annual_review/review_call_engaged",
             days(3, since="annual_review_email", at="10:00", business_day=True), next="end"),
        task("review_call", "annual_review/review_call",
             days(3, since="annual_review_email", at="10:00", business_day=True)),
        wait_for("opened_before_follow_up", OPENED, of="annual_review_email",
                 within=days(7), if_yes="end", if_no="review_follow_up"),
        email("review_follow_up", "annual_review/review_follow_up",
              subject="Three quick questions about your mortgage",
              delay=days(10, since="annual_review_email", at="10:00"), text="annual_review/follow_up_text"),
        end(),
    ),
)
