"""Inbound SMS keywords and email unsubscribe replies."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.optout import classify_sms, is_email_unsubscribe_reply

STOP_WORDS = ["STOP", "QUIT", "END", "REVOKE", "OPT OUT", "CANCEL", "UNSUBSCRIBE", "STOPALL", "ARRET", "OPTOUT",
              "REMOVE", "TD"]


def _variants(word: str) -> list[str]:
    return [word, word.lower(), word.title(), f"{word}!", f"{word.lower()}.", f"  {word}  ", f"{word}!!!",
            f'"{word.lower()}"', f"{word} please", f"please {word.lower()}", f"{word} {word}"]


@pytest.mark.parametrize("body", [v for w in STOP_WORDS for v in _variants(w)])
def test_every_stop_word_in_any_casing_and_punctuation(body):
    assert classify_sms(body) == "stop"


@pytest.mark.parametrize("body", [
    "S.T.O.P", "s t o p", "Opt-out", "opt-out", "Opt_Out", "OptOut", "STOP ALL", "Stop all", "ARRÊT", "Arrêt",
    "T.D.", "Stop 🙏", "stop.\n", "Unsubscribe me please", "stop it", "Stop now", "Can you stop", "I said stop",
    "STOP who is this", "please stop texting me", "Please stop texting me, I already closed with another lender",
    "stop messaging me", "Stop sending me these", "quit texting me", "take me off", "take me off your list",
    "remove me", "Remove me from this list", "don't text me anymore", "Don’t text me", "do not text me",
    "Do not contact me again", "never call me", "no more texts", "No more messages please", "opt me out",
    "I want to opt out", "opt out of texts", "unsubscribe", "I'd like to unsubscribe", "revoke my consent",
    "Wrong number", "wrong person", "leave me alone", "lose my number", "end these texts", "cancel messages",
    "I am not interested, please remove my number",
])
def test_stop_phrases_in_short_sentences(body):
    assert classify_sms(body) == "stop"


@pytest.mark.parametrize("body", [
    "What's the end date for my rate lock?",
    "Can I cancel the appraisal?",
    "How do I remove PMI?",
    "Stop by the office at 3?",
    "Can I stop in tomorrow morning?",
    "I want to stop paying PMI",
    "Should we end the lock early or extend it?",
    "I quit my job last month, does that matter?",
    "Can I opt out of escrow?",
    "Sounds good, talk tomorrow",
    "Yes please send the numbers",
    "Thanks! The appraisal came in at value.",
    "The house at the end of the street sold",
    "Is TD Bank ok for the down payment?",
    "", "   ", "🛑", "?",
])
def test_not_opt_outs(body):
    assert classify_sms(body) == "none"


@pytest.mark.parametrize("body", ["HELP", "help", "Help!", "INFO", "info?", "help me", "Help please"])
def test_help_is_not_a_stop(body):
    assert classify_sms(body) == "help"


def test_help_inside_a_question_is_a_reply():
    assert classify_sms("I need help with my application") == "none"
    assert classify_sms("HELP STOP") == "stop"  # stop wins


@pytest.mark.parametrize("body", ["START", "start", "Start.", "UNSTOP", "unstop!", "S.T.A.R.T"])
def test_start_keywords(body):
    assert classify_sms(body) == "start"


def test_start_only_exact():
    assert classify_sms("yes please call me tomorrow") == "none"
    assert classify_sms("YES") == "none"  # an answer to the LO, not a re-subscription
    assert classify_sms("When can we start the application?") == "none"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_classify_sms_total(body):
    assert classify_sms(body) in ("stop", "help", "start", "none")


@settings(max_examples=200, deadline=None)
@given(word=st.sampled_from(["stop", "unsubscribe", "stopall", "revoke", "arret", "opt out"]),
       pre=st.sampled_from(["", "please ", "ok ", "pls ", "", "PLEASE "]),
       post=st.sampled_from(["", "!", ".", " now", " please", "!!", " thanks", " 🙏"]),
       upper=st.booleans())
def test_keyword_with_noise_always_stops(word, pre, post, upper):
    body = pre + (word.upper() if upper else word) + post
    assert classify_sms(body) == "stop"


# --- email ------------------------------------------------------------------------------------

QUOTE = ("\n\nOn Mon, Jan 5, 2026 at 9:00 AM Ana Loan <ana@example.com> wrote:\n"
         "> Hi Maria,\n> To unsubscribe, click here.\n")


@pytest.mark.parametrize("subject,body", [
    ("Re: Your refinance numbers", "Unsubscribe" + QUOTE),
    ("Re: Your refinance numbers", "unsubscribe please" + QUOTE),
    ("Re: Your refinance numbers", "Please remove me from your list." + QUOTE),
    ("Re: Your refinance numbers", "Stop emailing me." + QUOTE),
    ("Re: Your refinance numbers", "STOP" + QUOTE),
    ("Re: Your refinance numbers", "Hi Ana,\n\nPlease take me off your mailing list.\n\nThanks,\nMaria" + QUOTE),
    ("Re: Your refinance numbers", "No more emails please"),
    ("Re: Your refinance numbers", "Do not email me again"),
    ("Re: Your refinance numbers", "please opt me out of these emails"),
    ("Unsubscribe", ""),
    ("RE: Fwd: Remove me", "Thanks"),
    ("Re: unsubscribe me", None),
])
def test_email_unsubscribe_replies(subject, body):
    assert is_email_unsubscribe_reply(subject, body)


@pytest.mark.parametrize("subject,body", [
    ("Re: Your refinance numbers", "Thanks, these look good. Can we talk Tuesday?" + QUOTE),
    ("Re: Your refinance numbers", "> unsubscribe\nThanks!"),
    ("Re: Your refinance numbers",
     "Sounds good\nOn Mon, Jan 5, 2026 at 9:00 AM Ana <ana@example.com>\nwrote:\nunsubscribe"),
    ("Re: Your refinance numbers", "Sounds good\n\n-----Original Message-----\nFrom: Ana\nTo unsubscribe reply STOP"),
    ("Re: Your refinance numbers", "Sounds good\n\n________________________________\nFrom: Ana\nunsubscribe"),
    ("Re: Your refinance numbers", "Sounds good\n\nSent from my iPhone\n\nunsubscribe link below"),
    ("Re: escrow", "Can I opt out of escrow on the new loan?"),
    ("Re: Your refinance numbers", ""),
    ("", None),
])
def test_email_replies_that_are_not_unsubscribes(subject, body):
    assert not is_email_unsubscribe_reply(subject, body)


def test_only_the_first_lines_of_a_long_reply_count():
    body = "\n".join(f"Line {i} about the loan." for i in range(10)) + "\nunsubscribe"
    assert not is_email_unsubscribe_reply("Re: numbers", body)
