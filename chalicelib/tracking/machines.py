"""Tell people from machines in open and click events. Every heuristic lives here, with its source.

Opens and clicks are only worth acting on (scoring, hot-lead alerts, sequence branches)
when a person made them. Mail security gateways fetch every link of a message on
arrival, Apple Mail Privacy Protection (MPP) fetches every pixel on arrival, and link
previewers and scripts hit URLs at any time. ``classify`` answers from what one request
shows: method, user agent, address, timing against the send, and the touch's other clicks.

Sources (third-party observations, not vendor guarantees; revisit when numbers drift):

[MPP]   Apple, "Apple advances its privacy leadership with iOS 15, iPadOS 15, macOS Monterey
        and watchOS 8" (newsroom, June 2021): Mail Privacy Protection hides whether and when
        a message was opened and masks the reader's IP address.
        https://www.apple.com/newsroom/2021/06/apple-advances-its-privacy-leadership-with-ios-15-ipados-15-macos-monterey-and-watchos-8/
[SL]    SocketLabs, "Identifying Apple MPP opens": Apple Mail downloads every image of a new
        message as it lands, through at least two proxies, registering an "open" nobody made.
        https://help.socketlabs.com/docs/identifying-apple-mpp-opens-in-notification-api-events
[WTTW]  Word to the Wise, "Apple MPP" (Sept 2021): image loads stop meaning reads.
        https://wordtothewise.com/2021/09/apple-mpp/
[GIP]   Word to the Wise, "Gmail deploys image proxy servers" (Dec 2013): Gmail fetches
        images through its proxy when the message is opened, so the first load is a real open.
        https://blog.wordtothewise.com/2013/12/gmail-deploys-image-proxy-servers/
        ScientiaMobile, "What is Google Image Proxy?": sample UA
        "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)";
        WURFL reclassified it from robot to email client in 2018.
        https://www.scientiamobile.com/what-is-google-image-proxy/
[SCAN]  Suped, "Which corporate filter appliances or software follow links in emails?"
        (2025): Barracuda, Microsoft Safe Links, Mimecast, Proofpoint, Symantec, Cisco
        Secure Email follow links on arrival.
        https://www.suped.com/email-deliverability/answers/which-corporate-filter-appliances-or-software-follow-links-in-emails
        Validity community, "How to deal with clicks from endpoint protection bots?":
        senders see Barracuda/Proofpoint/Check Point clicks right after delivery.
        https://mycommunity.validity.com/t5/sender-certification/how-to-deal-with-clicks-from-endpoint-protection-bots/m-p/2910

Known blind spot: Microsoft Defender Safe Links and similar scanners often send an ordinary
browser user agent from cloud addresses; only the timing rules catch them.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

PERSON = (False, "")

# Reasons, stable strings: stored on events and counted in reports.
HEAD_REQUEST = "head_request"
NO_USER_AGENT = "no_user_agent"
SCANNER_UA = "scanner_user_agent"      # + ":<vendor>"
OFFICE_PROBE = "office_link_probe"
HTTP_LIBRARY = "http_library"          # + ":<library>"
HEADLESS = "headless_browser"
BOT_UA = "bot_user_agent"
IMAGE_PROXY_CLICK = "image_proxy_click"
APPLE_MPP = "apple_mpp_prefetch"
GENERIC_UA = "generic_user_agent"
OPEN_TOO_SOON = "open_within_1s_of_send"
CLICK_TOO_SOON = "click_within_2s_of_send"
CLICK_BURST = "all_links_clicked_within_2s"

OPEN_MIN_DELAY = timedelta(seconds=1)   # nobody reads mail within a second of it being sent
CLICK_MIN_DELAY = timedelta(seconds=2)  # gateways click on arrival [SCAN]; people take longer
BURST_WINDOW = timedelta(seconds=2)     # a person clicks one or two links, not all at once [SCAN]

# Methods a browser never uses to follow a link: link checkers probe with HEAD, and
# Office's link discovery sends OPTIONS before handing the link to a browser.
_PROBE_METHODS = {"HEAD", "OPTIONS"}

# Vendor names that security gateways put in their user agents [SCAN]. Lowercase substrings.
_SCANNERS = {
    "barracuda": "barracuda",
    "mimecast": "mimecast",
    "proofpoint": "proofpoint",
    "symantec": "symantec",
    "messagelabs": "symantec",          # Symantec.cloud, formerly MessageLabs
    "ironport": "cisco",
    "ciscosecureemail": "cisco",
    "cisco secure email": "cisco",
    "trend micro": "trendmicro",
    "trendmicro": "trendmicro",
    "forcepoint": "forcepoint",
    "sophos": "sophos",
    "fortimail": "fortinet",
    "fortiguard": "fortinet",
    "checkpoint": "checkpoint",
    "check point": "checkpoint",
}

# Microsoft Office checks a link exists before opening it in the browser ("Microsoft Office
# Protocol Discoverer", "Microsoft Office Existence Discovery"); the person's own request
# follows from the browser with the browser's user agent.
_OFFICE_PROBES = ("protocol discoverer", "existence discovery")
# "ms-office"/"MSOffice" is Outlook desktop itself. Loading images it is a real open; following
# a link it is a check (Outlook hands real clicks to the browser), and Safe Links often
# leaks this UA [SCAN].
_OFFICE_APP = ("ms-office", "msoffice")

# HTTP client libraries: scripts, not people. Checked in order, the specific before the
# generic ("Apache-HttpClient/4.5 (Java/17)" is apache-httpclient, not java).
_LIBRARIES = {
    "python-requests": "python-requests",
    "python-urllib": "python-urllib",
    "aiohttp": "aiohttp",
    "python-httpx": "httpx",
    "curl/": "curl",
    "wget/": "wget",
    "go-http-client": "go-http-client",
    "apache-httpclient": "apache-httpclient",
    "libwww-perl": "libwww-perl",
    "node-fetch": "node-fetch",
    "axios/": "axios",
    "scrapy": "scrapy",
    "java/": "java",
}

_HEADLESS = ("headlesschrome", "phantomjs", "puppeteer", "playwright", "selenium", "slimerjs")

# Crawlers and link previewers. "bot" only as its own word or suffix (Googlebot, bingbot,
# Slackbot-LinkExpanding), not inside a word, and not the Android phone brand "Cubot".
_BOTS = re.compile(
    r"(?<!cu)bot(?![a-z])|crawler|crawling|spider|slurp|facebookexternalhit|bingpreview|skypeuripreview"
    r"|whatsapp|linkpreview|link preview",
    re.IGNORECASE,
)

# Gmail opens images through its proxy at read time [GIP]: a real open, not a prefetch.
_GOOGLE_IMAGE_PROXY = "googleimageproxy"

# MPP fetches through Apple's proxies with a bare "Mozilla/5.0" user agent; the address is
# often in Apple's own 17.0.0.0/8 [SL][WTTW]. No browser a person uses sends a bare
# "Mozilla/5.0", so on a click it is a machine too. Apple's IPv6 space and the iCloud
# Private Relay egress ranges are left out: relay users click from them in person.
_MPP_UA = "mozilla/5.0"
_APPLE_V4 = ipaddress.ip_network("17.0.0.0/8")


def classify(kind: str, method: str, user_agent: str | None, ip: str | None, at: datetime,
             sent_at: datetime | None, recent_clicks_same_touch: Iterable[datetime] = (),
             links_in_email: int = 0) -> tuple[bool, str]:
    """(is_machine, reason) for one open (``kind`` "o"/"open") or click ("c"/"click").

    ``reason`` is "" for a person. ``sent_at`` is when the touch was handed to the mail
    service (None skips the timing rules, e.g. on the request path); ``recent_clicks_same_touch``
    are the touch's earlier clicks and ``links_in_email`` its count of tracked links.
    Naive datetimes are taken as UTC.
    """
    is_open = kind in ("o", "open")
    ua = (user_agent or "").strip()
    low = ua.lower()

    if (method or "").upper() in _PROBE_METHODS:
        return True, HEAD_REQUEST
    if not ua:
        return True, NO_USER_AGENT  # browsers and mail clients always identify themselves

    if _GOOGLE_IMAGE_PROXY in low:
        if not is_open:
            return True, IMAGE_PROXY_CLICK  # an image proxy has no business following links
    else:
        found = _user_agent_rule(low, is_open)
        if found:
            return True, found
        if is_open and _is_apple_v4(ip):
            return True, APPLE_MPP

    # Timing beats the user agent: even a Gmail proxy load a second after sending is no read.
    if sent_at is not None:
        elapsed = _utc(at) - _utc(sent_at)  # negative (clock skew) counts as too soon
        if is_open and elapsed < OPEN_MIN_DELAY:
            return True, OPEN_TOO_SOON
        if not is_open and elapsed < CLICK_MIN_DELAY:
            return True, CLICK_TOO_SOON
    if not is_open and _clicked_everything_at_once(_utc(at), [_utc(t) for t in recent_clicks_same_touch],
                                                   links_in_email):
        return True, CLICK_BURST
    return PERSON


def _user_agent_rule(low: str, is_open: bool) -> str:
    """The reason a lowercased user agent names a machine, or ""."""
    for needle, vendor in _SCANNERS.items():
        if needle in low:
            return f"{SCANNER_UA}:{vendor}"
    if any(p in low for p in _OFFICE_PROBES):
        return OFFICE_PROBE
    if not is_open and any(p in low for p in _OFFICE_APP):
        return OFFICE_PROBE
    for needle, library in _LIBRARIES.items():
        if needle in low:
            return f"{HTTP_LIBRARY}:{library}"
    if any(h in low for h in _HEADLESS):
        return HEADLESS
    if _BOTS.search(low):
        return BOT_UA
    if low == _MPP_UA:
        return APPLE_MPP if is_open else GENERIC_UA
    return ""


def _is_apple_v4(ip: str | None) -> bool:
    if not ip:
        return False
    try:
        addr = ipaddress.ip_address(ip.strip())
    except ValueError:
        return False  # a garbled X-Forwarded-For says nothing either way
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return isinstance(addr, ipaddress.IPv4Address) and addr in _APPLE_V4


def _utc(moment: datetime) -> datetime:
    # events arrive with aware UTC times; a naive one from an older record is UTC too
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _clicked_everything_at_once(at: datetime, earlier: list[datetime], links_in_email: int) -> bool:
    """True when some 2-second window holding this click holds as many clicks as the email
    has links. Works on times only, so a person double-clicking one of two links inside two
    seconds also trips it; acceptable, as that is rare and costs one lost click signal."""
    if links_in_email < 2:
        return False  # one link clicked once is what a person does
    times = sorted([at] + [t for t in earlier if abs(t - at) <= BURST_WINDOW])
    if len(times) < links_in_email:
        return False
    for start in (t for t in times if at - BURST_WINDOW <= t <= at):
        if sum(1 for t in times if start <= t <= start + BURST_WINDOW) >= links_in_email:
            return True
    return False
