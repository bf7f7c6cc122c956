"""Machine detection for opens and clicks: one test per rule, and people left alone."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.tracking.machines import classify

SENT = datetime(2025, 3, 4, 15, 0, 0, tzinfo=timezone.utc)
LATER = SENT + timedelta(minutes=10)

IPHONE_SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")
IPHONE_MAIL = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
CHROME_WIN = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/122.0.0.0 Safari/537.36")
CUBOT_PHONE = ("Mozilla/5.0 (Linux; Android 12; Cubot X30 Build/SP1A) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/120.0.0.0 Mobile Safari/537.36")
GMAIL_PROXY = "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
OUTLOOK_DESKTOP = "Mozilla/4.0 (compatible; ms-office; MSOffice 16)"
HOME_IP = "73.162.10.5"


def click(ua=IPHONE_SAFARI, *, method="GET", ip=HOME_IP, at=LATER, sent_at=SENT, recent=(), links=0):
    return classify("click", method, ua, ip, at, sent_at, list(recent), links)


def open_(ua=IPHONE_MAIL, *, method="GET", ip=HOME_IP, at=LATER, sent_at=SENT):
    return classify("open", method, ua, ip, at, sent_at)


# --- people -----------------------------------------------------------------------------

def test_person_on_an_iphone_ten_minutes_after_delivery():
    assert click() == (False, "")
    assert open_() == (False, "")
    assert classify("c", "GET", IPHONE_SAFARI, HOME_IP, LATER, SENT) == (False, "")
    assert classify("o", "GET", IPHONE_MAIL, HOME_IP, LATER, SENT) == (False, "")


@pytest.mark.parametrize("ua", [CHROME_WIN, CUBOT_PHONE, IPHONE_SAFARI])
def test_ordinary_browsers_are_people(ua):
    assert click(ua) == (False, "")


def test_request_path_without_send_time_judges_by_request_alone():
    assert classify("click", "GET", IPHONE_SAFARI, HOME_IP, SENT, None) == (False, "")


def test_gmail_image_proxy_open_is_a_person():
    assert open_(GMAIL_PROXY, ip="66.249.84.10") == (False, "")


def test_outlook_desktop_loading_images_is_a_person():
    assert open_(OUTLOOK_DESKTOP) == (False, "")


def test_apple_address_on_a_click_is_not_mpp():
    # Apple's own staff browse from 17/8; MPP only prefetches images
    assert click(ip="17.58.100.1") == (False, "")


# --- request shape ----------------------------------------------------------------------

@pytest.mark.parametrize("method", ["HEAD", "head", "OPTIONS"])
def test_probe_methods(method):
    assert click(method=method) == (True, "head_request")
    assert open_(method=method) == (True, "head_request")


@pytest.mark.parametrize("ua", [None, "", "   "])
def test_missing_user_agent(ua):
    assert click(ua) == (True, "no_user_agent")
    assert open_(ua) == (True, "no_user_agent")


# --- user agents ------------------------------------------------------------------------

@pytest.mark.parametrize("ua, vendor", [
    ("Mozilla/5.0 (compatible; Barracuda Link Protection)", "barracuda"),
    ("Mimecast URL Protect/1.0", "mimecast"),
    ("Proofpoint URL Defense", "proofpoint"),
    ("Symantec Email Security.cloud", "symantec"),
    ("MessageLabs-Scanner/2.0", "symantec"),
    ("Cisco IronPort URL Filter", "cisco"),
    ("CiscoSecureEmail/14", "cisco"),
    ("Trend Micro Email Security", "trendmicro"),
    ("TrendMicro-TMES", "trendmicro"),
])
def test_security_gateways(ua, vendor):
    assert click(ua) == (True, f"scanner_user_agent:{vendor}")
    assert open_(ua) == (True, f"scanner_user_agent:{vendor}")


@pytest.mark.parametrize("ua", ["Microsoft Office Protocol Discoverer", "Microsoft Office Existence Discovery"])
def test_office_link_discovery(ua):
    assert click(ua) == (True, "office_link_probe")


def test_outlook_following_a_link_itself_is_a_probe():
    assert click(OUTLOOK_DESKTOP) == (True, "office_link_probe")


@pytest.mark.parametrize("ua, library", [
    ("python-requests/2.31.0", "python-requests"),
    ("Python-urllib/3.11", "python-urllib"),
    ("curl/8.4.0", "curl"),
    ("Wget/1.21.4", "wget"),
    ("Go-http-client/1.1", "go-http-client"),
    ("Go-http-client/2.0", "go-http-client"),
    ("Java/17.0.2", "java"),
    ("Apache-HttpClient/4.5.14 (Java/17)", "apache-httpclient"),
    ("libwww-perl/6.72", "libwww-perl"),
])
def test_http_libraries(ua, library):
    assert click(ua) == (True, f"http_library:{library}")


@pytest.mark.parametrize("ua", [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
])
def test_headless_browsers(ua):
    assert click(ua) == (True, "headless_browser")


@pytest.mark.parametrize("ua", [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "WhatsApp/2.23.20.0 A",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Some Web Crawler 1.0",
    "Baiduspider",
])
def test_bots_and_link_previewers(ua):
    assert click(ua) == (True, "bot_user_agent")


def test_gmail_proxy_following_a_link_is_a_machine():
    assert click(GMAIL_PROXY) == (True, "image_proxy_click")


# --- Apple Mail Privacy Protection ------------------------------------------------------

def test_mpp_bare_user_agent_open():
    assert open_("Mozilla/5.0", ip="104.28.1.1") == (True, "apple_mpp_prefetch")


@pytest.mark.parametrize("ip", ["17.58.100.1", "::ffff:17.1.2.3", " 17.253.0.9 "])
def test_mpp_open_from_apple_addresses(ip):
    assert open_(IPHONE_MAIL, ip=ip) == (True, "apple_mpp_prefetch")


def test_bare_user_agent_click_is_generic_machine():
    assert click("Mozilla/5.0") == (True, "generic_user_agent")


@pytest.mark.parametrize("ip", [None, "", "not-an-ip", "2001:db8::1", "18.0.0.1"])
def test_other_or_garbled_addresses_are_not_apple(ip):
    assert open_(ip=ip) == (False, "")


# --- timing -----------------------------------------------------------------------------

def test_open_within_a_second_of_sending():
    assert open_(at=SENT + timedelta(milliseconds=900)) == (True, "open_within_1s_of_send")
    assert open_(at=SENT - timedelta(seconds=3)) == (True, "open_within_1s_of_send")  # clock skew
    assert open_(at=SENT + timedelta(seconds=1)) == (False, "")


def test_gmail_proxy_cannot_beat_the_clock():
    assert open_(GMAIL_PROXY, at=SENT + timedelta(milliseconds=200)) == (True, "open_within_1s_of_send")


def test_click_within_two_seconds_of_sending():
    assert click(at=SENT + timedelta(seconds=1.9)) == (True, "click_within_2s_of_send")
    assert click(at=SENT + timedelta(seconds=2)) == (False, "")


def test_naive_times_are_utc():
    naive_sent = SENT.replace(tzinfo=None)
    assert click(at=SENT + timedelta(seconds=1), sent_at=naive_sent) == (True, "click_within_2s_of_send")
    assert click(at=LATER.replace(tzinfo=None), sent_at=SENT) == (False, "")


def test_every_link_clicked_within_two_seconds():
    first = LATER
    recent = [first, first + timedelta(milliseconds=400)]
    assert click(at=first + timedelta(milliseconds=800), recent=recent, links=3) == (True, "all_links_clicked_within_2s")


def test_burst_detected_whatever_order_events_are_judged_in():
    times = [LATER, LATER + timedelta(seconds=1), LATER + timedelta(seconds=1.5)]
    for i, at in enumerate(times):
        others = times[:i] + times[i + 1:]
        assert click(at=at, recent=others, links=3) == (True, "all_links_clicked_within_2s")


def test_clicks_spread_out_are_a_person():
    recent = [LATER, LATER + timedelta(seconds=30)]
    assert click(at=LATER + timedelta(seconds=60), recent=recent, links=3) == (False, "")


def test_burst_needs_every_link():
    recent = [LATER]
    assert click(at=LATER + timedelta(seconds=1), recent=recent, links=3) == (False, "")


def test_clicks_just_over_the_window_apart_are_a_person():
    recent = [LATER, LATER + timedelta(seconds=2, milliseconds=1)]
    assert click(at=LATER + timedelta(seconds=4, milliseconds=2), recent=recent, links=3) == (False, "")


def test_single_link_email_is_not_a_burst():
    assert click(recent=[LATER - timedelta(milliseconds=100)], links=1) == (False, "")
    assert click(recent=[], links=0) == (False, "")


# --- robustness -------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["open", "click", "o", "c"]), st.text(max_size=10), st.one_of(st.none(), st.text(max_size=300)),
       st.one_of(st.none(), st.text(max_size=50)), st.integers(min_value=-10_000, max_value=10_000),
       st.lists(st.integers(min_value=-5_000, max_value=5_000), max_size=8), st.integers(min_value=0, max_value=10))
def test_never_raises_and_reason_matches_verdict(kind, method, ua, ip, delay_ms, recent_ms, links):
    at = SENT + timedelta(milliseconds=delay_ms)
    recent = [at + timedelta(milliseconds=m) for m in recent_ms]
    machine, reason = classify(kind, method, ua, ip, at, SENT, recent, links)
    assert isinstance(machine, bool) and machine == bool(reason)
