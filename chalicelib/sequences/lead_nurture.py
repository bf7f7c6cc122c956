"""Lead nurture: a new inquiry, from first answer to a booked discovery call (14 days).

The plan, as a loan officer would review it:
  day 0   email  "Thanks for reaching out": answers the inquiry at once, any hour (speed to lead)
  day 0   sms    a short hello from the LO, 5 minutes later (only with SMS consent)
  day 1   task   the LO calls while the inquiry is warm
  day 2   email  how rates are really set (education, no pressure)
          wait   did they open it? (up to 3 days)
    yes:  day 3  email  the three questions that size a pre-approval
    no:   day 5  email  a different angle: "what does this payment look like?"
  day 8   sms    a two-minute qualification check-in (only with SMS consent)
  day 11  email  soft ask: a 15-minute discovery call
  day 14  task   the LO decides: keep nurturing, hand off, or close out
Exits when the lead starts an application, is lost, opts out, or the LO takes over.
"""
from .dsl import (NUDGE, NURTURE, OPENED, Sequence, after, days, email, end, sms, task, wait_for)

SEQUENCE = Sequence(
    id="lead_nurture",
    name="Lead nurture (pre-application)",
    version=1,
    description="5-7 touches over 14 days: rate education, qualification questions, a soft ask for a discovery call.",
    triggers=("stage:new_lead",),
    priority=NURTURE,
    stages=("new_lead",),
    exit_on_stages=("application_started", "application_submitted", "conditional_approval",
                    "appraisal_ordered", "clear_to_close", "funded", "lost"),
    requires=("email",),
    steps=(
        email("thanks_for_reaching_out", "lead_nurture/thanks_for_reaching_out",
              subject="{{ borrower.first_name }}, thanks for reaching out about your {{ loan.purpose_label }}",
              immediate=True, never_text="the LO's hello text goes five minutes after it"),
        sms("hello_text", "lead_nurture/hello_text", after(minutes=5), immediate=True),
        task("first_call", "lead_nurture/first_call", after(days=1, at="10:00", business_day=True),
             due_minutes=4 * 60),
        email("how_rates_are_set", "lead_nurture/how_rates_are_set",
              subject="What actually moves mortgage rates (and what you control)",
              delay=days(2, since="thanks_for_reaching_out", at="09:30"), text="lead_nurture/rates_text"),
        wait_for("opened_rate_email", OPENED, of="how_rates_are_set",
                 within=days(3), if_yes="qualification_questions", if_no="payment_angle"),
        email("qualification_questions", "lead_nurture/qualification_questions",
              subject="Three quick questions that size your pre-approval",
              delay=days(3, since="how_rates_are_set"), next="qualification_text",
              text="lead_nurture/questions_text"),
        email("payment_angle", "lead_nurture/payment_angle",
              subject="{{ borrower.first_name }}, what would your monthly payment look like?",
              delay=days(5, since="how_rates_are_set"), text="lead_nurture/payment_text"),
        sms("qualification_text", "lead_nurture/qualification_text",
            days(8, since="thanks_for_reaching_out", at="11:00")),
        email("discovery_call_invite", "lead_nurture/discovery_call_invite",
              subject="15 minutes to map out your plan?",
              delay=days(11, since="thanks_for_reaching_out", at="10:00"), text=NUDGE),  # it asks for a call
        task("nurture_review", "lead_nurture/nurture_review",
             days(14, since="thanks_for_reaching_out", at="09:00", business_day=True)),
        end(),
    ),
)
