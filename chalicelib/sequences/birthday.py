"""Birthday: a warm note on the day, no sales pitch.

The plan, as a loan officer would review it:
  day 0  09:00  email  happy birthday from the LO (no rates, no offers, no links to apply)
         wait          did they open it? (until mid-afternoon)
    no:         sms    a short "happy birthday week" text (only with SMS consent; the frequency
                       cap may hold it a day or two, so it is worded for the birthday week)
Once a year (again after 300 days). Exits when the lead opts out or the LO takes over.
"""
from .dsl import MARKETING, OPENED, Sequence, after, again_after, email, end, hours, sms, wait_for

SEQUENCE = Sequence(
    id="birthday",
    name="Birthday",
    version=1,
    description="A warm birthday email at 09:00 lead-local, and a text if the email goes unread.",
    triggers=("time:birthday",),
    priority=MARKETING,
    exit_on=("opted_out", "handoff"),
    reentry=again_after(300),
    steps=(
        email("birthday_email", "birthday/birthday_email",
              subject="Happy birthday, {{ borrower.first_name }}!", delay=after(at="09:00"),
              text="birthday/birthday_wish"),
        wait_for("opened_birthday_email", OPENED, of="birthday_email",
                 within=hours(6), if_yes="end", if_no="birthday_text"),
        sms("birthday_text", "birthday/birthday_text", unless_texted="birthday_email"),
        end(),
    ),
)
