"""Pipeline progression: the updates a borrower and their Realtor wait for, stage by stage.

Every touch here is transactional (a status update, never held for business hours or the cap).
Each stage change jumps the enrollment to that stage's group; between stages it rests at
``await_next_stage``. Steps inside a group go out within minutes of each other.

The plan, as a loan officer would review it:
  application submitted   email   "We have your application": Loan Estimate within 3 business
                                  days, what processing needs, and the do's and don'ts
                                  (no new credit, no job changes, keep funds where they are)
  conditional approval    email   what conditional approval means and which conditions come next
                          sms     a short heads-up to check email
                          realtor the file is conditionally approved; anticipated close date
                          task    the LO's conditions call (due within 4 hours)
  appraisal ordered       email   what the appraisal is, the timeline, what happens if it's low
                          realtor access for the appraiser, comps are welcome
  clear to close          email   Closing Disclosure, wire-fraud warning, what to bring
                          sms     clear to close, watch for the Closing Disclosure
                          realtor clear to close, coordinate with title on the time
                          task    the LO's clear-to-close call (due within 2 hours)
  funded                  email   congratulations, where to find the documents, what comes next
                          sms     congratulations
                          realtor thank you for the partnership
Ends after funded; exits when the lead is lost, opts out, or the LO takes over. Partner updates
go only when the lead has a Realtor email (the engine suppresses them otherwise).
"""
from .dsl import PIPELINE, Sequence, after, email, end, goto, hold, partner_email, sms, task

T = "transactional"
P = "pipeline_progression/"
OWN_TEXT = "the stage's own text goes five minutes after it"

SEQUENCE = Sequence(
    id="pipeline_progression",
    name="Pipeline progression",
    version=1,
    description="Borrower and Realtor updates at each stage: submitted, conditional approval, appraisal, "
                "clear to close, funded.",
    triggers=("stage:application_submitted",),
    priority=PIPELINE,
    exit_on_stages=("lost",),
    exit_on=("opted_out", "handoff"),
    stage_steps={
        "application_submitted": "application_received",
        "conditional_approval": "conditional_approval_update",
        "appraisal_ordered": "appraisal_ordered_update",
        "clear_to_close": "clear_to_close_update",
        "funded": "funded_congratulations",
    },
    steps=(
        # application submitted
        email("application_received", P + "application_received", kind=T, text=P + "application_received_text",
              subject="{{ borrower.first_name }}, we have your application: here's what happens next"),
        goto("application_submitted_done", "await_next_stage"),
        # conditional approval
        email("conditional_approval_update", P + "conditional_approval_update", kind=T, never_text=OWN_TEXT,
              subject="Conditional approval on your {{ loan.purpose_label }}: the next steps"),
        sms("conditional_approval_text", P + "conditional_approval_text", after(minutes=5), kind=T),
        partner_email("conditional_approval_realtor_update", P + "conditional_approval_realtor_update",
                      subject="{{ borrower.full_name }}: conditional approval received", delay=after(minutes=10),
                      kind=T),
        task("conditions_review_call", P + "conditions_review_call", after(minutes=15), due_minutes=4 * 60,
             kind=T),
        goto("conditional_approval_done", "await_next_stage"),
        # appraisal ordered
        email("appraisal_ordered_update", P + "appraisal_ordered_update", kind=T, text=P + "appraisal_ordered_text",
              subject="Your appraisal has been ordered"),
        partner_email("appraisal_ordered_realtor_update", P + "appraisal_ordered_realtor_update",
                      subject="{{ borrower.full_name }}: appraisal ordered", delay=after(minutes=10), kind=T),
        goto("appraisal_ordered_done", "await_next_stage"),
        # clear to close
        email("clear_to_close_update", P + "clear_to_close_update", kind=T, never_text=OWN_TEXT,
              subject="{{ borrower.first_name }}, you're clear to close!"),
        sms("clear_to_close_text", P + "clear_to_close_text", after(minutes=5), kind=T),
        partner_email("clear_to_close_realtor_update", P + "clear_to_close_realtor_update",
                      subject="{{ borrower.full_name }} is clear to close", delay=after(minutes=10), kind=T),
        task("clear_to_close_call", P + "clear_to_close_call", after(minutes=15), due_minutes=2 * 60, kind=T),
        goto("clear_to_close_done", "await_next_stage"),
        # funded
        email("funded_congratulations", P + "funded_congratulations", kind=T, never_text=OWN_TEXT,
              subject="Congratulations, {{ borrower.first_name }}: your loan has funded"),
        sms("funded_text", P + "funded_text", after(minutes=5), kind=T),
        partner_email("funded_realtor_thank_you", P + "funded_realtor_thank_you",
                      subject="{{ borrower.full_name }} has funded: thank you", delay=after(minutes=10), kind=T),
        goto("funded_done", "end"),
        hold(),
        end(),
    ),
)
