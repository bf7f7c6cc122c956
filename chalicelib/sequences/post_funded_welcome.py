"""Post-funded welcome: the first 90 days after closing, building the long-term relationship.

The plan, as a loan officer would review it (days count from funding):
  day 1   10:00  email  welcome home: the first payment date, the servicer's welcome (or
                        transfer) letter, how escrow works, the documents to keep
  day 7   10:00  task   the LO calls: how's the move, any questions about the first statement
  day 14  09:30  email  your first payment: where and how to pay, autopay, extra principal,
                        what the first statement shows
  day 30  10:00  email  homestead exemption and property tax tips: file for the exemption,
                        check the assessment, watch for escrow changes
  day 45  10:00  email  a review and referrals: "if it went well, would you share it?"
  day 90  10:00  email  a 90-day check-in: seasonal maintenance, building equity, and an offer
                        to watch rates (seeding the refinance review)
Exits when the client opts out or the LO takes over (a new application does not end it).
"""
from .dsl import MARKETING, Sequence, after, days, email, end, task

SEQUENCE = Sequence(
    id="post_funded_welcome",
    name="Post-funded welcome (first 90 days)",
    version=1,
    description="6 touches over 90 days after closing: what to expect, first payment, property tax, "
                "a review ask, a 90-day check-in.",
    triggers=("stage:funded",),
    priority=MARKETING,
    stages=("funded",),
    exit_on=("opted_out", "handoff"),
    steps=(
        email("welcome_home", "post_funded_welcome/welcome_home",
              subject="Welcome home, {{ borrower.first_name }}: what to expect in the next 60 days",
              delay=after(days=1, at="10:00"), text="post_funded_welcome/welcome_text"),
        task("check_in_call", "post_funded_welcome/check_in_call",
             days(6, since="welcome_home", at="10:00", business_day=True)),
        email("first_payment_guide", "post_funded_welcome/first_payment_guide",
              subject="Your first mortgage payment: a quick guide",
              delay=days(13, since="welcome_home", at="09:30"), text="post_funded_welcome/first_payment_text"),
        email("homestead_and_property_tax", "post_funded_welcome/homestead_and_property_tax",
              subject="Don't miss your homestead exemption (and other property tax tips)",
              delay=days(29, since="welcome_home", at="10:00"), text="post_funded_welcome/homestead_text"),
        email("review_and_referrals", "post_funded_welcome/review_and_referrals",
              subject="{{ borrower.first_name }}, a small favor?",
              delay=days(44, since="welcome_home", at="10:00"), text="post_funded_welcome/review_text"),
        email("ninety_day_check_in", "post_funded_welcome/ninety_day_check_in",
              subject="90 days in: a home checklist and a few equity tips",
              delay=days(89, since="welcome_home", at="10:00"), text="post_funded_welcome/check_in_text"),
        end(),
    ),
)
