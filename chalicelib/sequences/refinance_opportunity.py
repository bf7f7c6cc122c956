"""Refinance opportunity: a rate drop, an equity threshold or a credit pull: get there first (5 days).

The plan, as a loan officer would review it:
  day 0          email  leads with the borrower's own savings figure (subject and first sentence):
                        current vs new payment, closing costs, break-even months, the new rate
                        with its APR
          wait          did they click through? (up to 2 days)
    yes:  at once task  the LO calls within the hour: they are looking at the numbers now
  day 2   11:00  sms    the savings figure and the LO's number (only with SMS consent)
  day 5   10:00  task   the LO's refinance call, with the numbers (business day)
Runs again after 90 days at the earliest. Exits when the client starts an application, is lost,
opts out, converts, or the LO takes over. The content never mentions a credit inquiry.
"""
from .dsl import (CLICKED, REFINANCE, Sequence, again_after, days, email, end, sms, task, wait_for)

SEQUENCE = Sequence(
    id="refinance_opportunity",
    name="Refinance opportunity",
    version=1,
    description="3 touches over 5 days that lead with the borrower's savings: email, text, LO call.",
    triggers=("external:rate_drop", "external:ltv_crossed", "external:credit_pull"),
    priority=REFINANCE,
    stages=("funded",),
    exit_on_stages=("application_started", "application_submitted", "lost"),
    reentry=again_after(90),
    steps=(
        email("savings_email", "refinance_opportunity/savings_email",
              subject="{{ borrower.first_name }}, you could save about {{ refi.monthly_savings_fmt }} a month",
              text="refinance_opportunity/savings_text"),
        wait_for("clicked_savings", CLICKED, of="savings_email",
                 within=days(2), if_yes="interested_call", if_no="savings_text"),
        task("interested_call", "refinance_opportunity/interested_call", due_minutes=60),
        sms("savings_text", "refinance_opportunity/savings_text", days(2, since="savings_email", at="11:00"),
            unless_texted="savings_email"),
        task("refinance_call", "refinance_opportunity/refinance_call",
             days(5, since="savings_email", at="10:00", business_day=True), due_minutes=4 * 60),
        end(),
    ),
)
