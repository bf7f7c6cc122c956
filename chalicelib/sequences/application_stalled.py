"""Application stalled: submitted 5 days ago and nothing heard since (the nightly sweep finds it).

  day 0 at 10:00 lead-local  email  "Where your application stands": what underwriting is
                                    waiting for, the three things that usually hold a file up,
                                    and a one-click way to upload or ask
  day 1 at 11:00 lead-local  sms    a short nudge from the LO (only with SMS consent)
The LO gets a call task from the sweep itself. Exits when the file moves to a later stage,
is lost, the borrower opts out, or the LO takes over.
"""
from .dsl import PIPELINE, Sequence, after, again_after, email, end, sms

SEQUENCE = Sequence(
    id="application_stalled",
    name="Application stalled (submitted, no follow-up in 5 days)",
    version=1,
    description="A borrower nudge when a submitted application has gone quiet for 5 days.",
    triggers=("time:application_stalled",),
    priority=PIPELINE,
    stages=("application_submitted",),
    exit_on_stages=("conditional_approval", "appraisal_ordered", "clear_to_close", "funded", "lost"),
    reentry=again_after(14),
    steps=(
        email("where_it_stands", "application_stalled/where_it_stands",
              subject="{{ borrower.first_name }}, a quick update on your application", kind="transactional",
              delay=after(at="10:00"), never_text="its own text goes the next day"),
        sms("stalled_text", "application_stalled/stalled_text", after(days=1, at="11:00"), kind="transactional"),
        end(),
    ),
)
