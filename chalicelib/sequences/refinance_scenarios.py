"""Refinance scenarios (behavioural): the borrower clicked the refinance calculator.

  +1 hour  email  "Your refinance scenarios": their own loan, three ways a refinance could
                  work (lower payment, shorter term, cash out), and a 15-minute review offer
  +1 day   task   the LO calls to walk through the numbers
Exits on opt-out or when the LO takes over.
"""
from .dsl import REFINANCE, Sequence, after, again_after, email, end, task

SEQUENCE = Sequence(
    id="refinance_scenarios",
    name="Refinance scenarios (after a refinance-calculator click)",
    version=1,
    description="A personalised refinance-scenarios email 1 hour after the calculator click, then an LO call task.",
    triggers=("behavior:refi_calculator_click",),
    priority=REFINANCE,
    reentry=again_after(30),
    hot=True,
    steps=(
        email("scenarios_email", "refinance_scenarios/scenarios_email",
              subject="{{ borrower.first_name }}, your refinance scenarios", delay=after(hours=1), immediate=True,
              text="refinance_scenarios/scenarios_text"),
        task("scenarios_call", "refinance_scenarios/scenarios_call", after(days=1, at="10:00", business_day=True),
             due_minutes=4 * 60),
        end(),
    ),
)
