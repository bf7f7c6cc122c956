"""Application incomplete: a borrower started the application but has not submitted it (7 days).

The plan, as a loan officer would review it (days count from the moment the application was started):
  day 1  10:00  email  "Here's what's left": the exact documents to gather (2 years of W-2s,
                       30 days of pay stubs, 2 months of bank statements, a photo ID), the secure
                       upload link, and what the LO does as soon as it's submitted
  day 2  10:00  task   the LO calls to help finish (business day; due within 4 hours): most
                       stalled applications are one question or one missing document
  day 3  11:00  voice  a short recorded reminder from the LO's office (only with voice consent)
  day 7  10:00  email  "Your application is saved": the one or two items that are usually
                       missing, an easy way to ask a question, and a graceful way to say "not now"
Exits when the application is submitted (or any later stage is reached), when the lead is lost,
opts out, or the LO takes over.
"""
from .dsl import NURTURE, Sequence, after, days, email, end, task, voice

SEQUENCE = Sequence(
    id="application_incomplete",
    name="Application incomplete",
    version=1,
    description="4 touches over 7 days: the documents checklist, an LO help call, a voice reminder, a last nudge.",
    triggers=("stage:application_started",),
    priority=NURTURE,
    stages=("application_started",),
    exit_on_stages=("application_submitted", "conditional_approval", "appraisal_ordered", "clear_to_close",
                    "funded", "lost"),
    requires=("email",),
    steps=(
        email("document_checklist", "application_incomplete/document_checklist",
              subject="{{ borrower.first_name }}, here's what's left to finish your application",
              delay=after(days=1, at="10:00"), text="application_incomplete/checklist_text"),
        task("help_finish_call", "application_incomplete/help_finish_call",
             days(1, since="document_checklist", at="10:00", business_day=True), due_minutes=4 * 60),
        voice("finish_reminder_call", "application_incomplete/finish_reminder_call",
              days(2, since="document_checklist", at="11:00")),
        email("application_saved", "application_incomplete/application_saved",
              subject="Your application is saved: a few minutes and it's done",
              delay=days(6, since="document_checklist", at="10:00"),
              text="application_incomplete/saved_text"),
        end(),
    ),
)
