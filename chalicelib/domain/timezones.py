"""Which IANA time zones a lead may be in, from an explicit zone, a state, or a phone area code. Pure.

Quiet-hours rules are about the called party's local time. When we do not know the lead's zone
for sure we return every zone they might be in, and the policy honours the calling window in all
of them (the most restrictive reading).
"""
from __future__ import annotations

import re
from functools import lru_cache
from zoneinfo import ZoneInfo

# Every zone a state or territory spans, most populous first. The first entry is what we store
# as a lead's derived timezone. Zones observed only unofficially (Phenix City AL on Eastern,
# Kenton OK on Mountain) are left out; the Navajo Nation (AZ, observes DST) is left out too, so a
# lead there needs an explicit timezone. Official splits are in: West Wendover NV (Mountain),
# Malheur County OR (Mountain), the Michigan/Wisconsin border counties (Central), etc.
STATE_ZONES: dict[str, tuple[str, ...]] = {
    "AL": ("America/Chicago",),
    "AK": ("America/Anchorage", "America/Adak"),
    "AZ": ("America/Phoenix",),
    "AR": ("America/Chicago",),
    "CA": ("America/Los_Angeles",),
    "CO": ("America/Denver",),
    "CT": ("America/New_York",),
    "DE": ("America/New_York",),
    "DC": ("America/New_York",),
    "FL": ("America/New_York", "America/Chicago"),
    "GA": ("America/New_York",),
    "HI": ("Pacific/Honolulu",),
    "ID": ("America/Boise", "America/Los_Angeles"),
    "IL": ("America/Chicago",),
    "IN": ("America/Indiana/Indianapolis", "America/Chicago"),
    "IA": ("America/Chicago",),
    "KS": ("America/Chicago", "America/Denver"),
    "KY": ("America/New_York", "America/Chicago"),
    "LA": ("America/Chicago",),
    "ME": ("America/New_York",),
    "MD": ("America/New_York",),
    "MA": ("America/New_York",),
    "MI": ("America/Detroit", "America/Menominee"),
    "MN": ("America/Chicago",),
    "MS": ("America/Chicago",),
    "MO": ("America/Chicago",),
    "MT": ("America/Denver",),
    "NE": ("America/Chicago", "America/Denver"),
    "NV": ("America/Los_Angeles", "America/Denver"),
    "NH": ("America/New_York",),
    "NJ": ("America/New_York",),
    "NM": ("America/Denver",),
    "NY": ("America/New_York",),
    "NC": ("America/New_York",),
    "ND": ("America/Chicago", "America/Denver"),
    "OH": ("America/New_York",),
    "OK": ("America/Chicago",),
    "OR": ("America/Los_Angeles", "America/Boise"),
    "PA": ("America/New_York",),
    "RI": ("America/New_York",),
    "SC": ("America/New_York",),
    "SD": ("America/Chicago", "America/Denver"),
    "TN": ("America/Chicago", "America/New_York"),
    "TX": ("America/Chicago", "America/Denver"),
    "UT": ("America/Denver",),
    "VT": ("America/New_York",),
    "VA": ("America/New_York",),
    "WA": ("America/Los_Angeles",),
    "WV": ("America/New_York",),
    "WI": ("America/Chicago",),
    "WY": ("America/Denver",),
    # territories
    "PR": ("America/Puerto_Rico",),
    "GU": ("Pacific/Guam",),
    "VI": ("America/St_Thomas",),
    "AS": ("Pacific/Pago_Pago",),
    "MP": ("Pacific/Saipan",),
}

# Canadian provinces and territories, only to read a Canadian phone number's area code.
PROVINCE_ZONES: dict[str, tuple[str, ...]] = {
    "AB": ("America/Edmonton",),
    "BC": ("America/Vancouver", "America/Edmonton", "America/Dawson_Creek"),
    "MB": ("America/Winnipeg",),
    "NB": ("America/Moncton",),
    "NL": ("America/St_Johns", "America/Goose_Bay"),
    "NS": ("America/Halifax",),  # 902/782 also serve PEI, same zone
    "ON": ("America/Toronto",),
    "QC": ("America/Toronto",),
    "SK": ("America/Regina",),
    "TERR": ("America/Edmonton", "America/Whitehorse", "America/Winnipeg", "America/Toronto"),
}

# Geographic area codes by state or province, from the NANPA area code assignments
# (nationalnanpa.com, "NPA Database" / area code maps), including overlays in service through
# 2024. Non-geographic codes (500, 600, 700, 8XX toll free, 900) and other NANP countries are
# deliberately absent: they say nothing about where the lead is.
AREA_CODE_STATE: dict[str, str] = {}
_BY_STATE: dict[str, str] = {
    "AL": "205 251 256 334 659 938",
    "AK": "907",
    "AZ": "480 520 602 623 928",
    "AR": "327 479 501 870",
    "CA": "209 213 279 310 323 341 350 408 415 424 442 510 530 559 562 619 626 628 650 657 661 669 "
          "707 714 747 760 805 818 820 831 840 858 909 916 925 949 951",
    "CO": "303 719 720 970 983",
    "CT": "203 475 860 959",
    "DE": "302",
    "DC": "202 771",
    "FL": "239 305 321 324 352 386 407 448 561 645 656 689 727 728 754 772 786 813 850 863 904 941 954",
    "GA": "229 404 470 478 678 706 762 770 912 943",
    "HI": "808",
    "ID": "208 986",
    "IL": "217 224 309 312 331 447 464 618 630 708 730 773 779 815 847 872",
    "IN": "219 260 317 463 574 765 812 930",
    "IA": "319 515 563 641 712",
    "KS": "316 620 785 913",
    "KY": "270 364 502 606 859",
    "LA": "225 318 337 504 985",
    "ME": "207",
    "MD": "240 301 410 443 667",
    "MA": "339 351 413 508 617 774 781 857 978",
    "MI": "231 248 269 313 517 586 616 679 734 810 906 947 989",
    "MN": "218 320 507 612 651 763 952",
    "MS": "228 601 662 769",
    "MO": "314 417 557 573 636 660 816 975",
    "MT": "406",
    "NE": "308 402 531",
    "NV": "702 725 775",
    "NH": "603",
    "NJ": "201 551 609 640 732 848 856 862 908 973",
    "NM": "505 575",
    "NY": "212 315 329 332 347 363 516 518 585 607 631 646 680 716 718 838 845 914 917 929 934",
    "NC": "252 336 472 704 743 828 910 919 980 984",
    "ND": "701",
    "OH": "216 220 234 283 326 330 380 419 440 513 567 614 740 937",
    "OK": "405 539 572 580 918",
    "OR": "458 503 541 971",
    "PA": "215 223 267 272 412 445 484 570 582 610 717 724 814 835 878",
    "RI": "401",
    "SC": "803 839 843 854 864",
    "SD": "605",
    "TN": "423 615 629 731 865 901 931",
    "TX": "210 214 254 281 325 346 361 409 430 432 469 512 682 713 726 737 806 817 830 832 903 915 "
          "936 940 945 956 972 979",
    "UT": "385 435 801",
    "VT": "802",
    "VA": "276 434 540 571 703 757 804 826 948",
    "WA": "206 253 360 425 509 564",
    "WV": "304 681",
    "WI": "262 274 414 534 608 715 920",
    "WY": "307",
    "PR": "787 939",
    "GU": "671",
    "VI": "340",
    "AS": "684",
    "MP": "670",
    # Canada
    "AB": "368 403 587 780 825",
    "BC": "236 250 604 672 778",
    "MB": "204 431 584",
    "NB": "428 506",
    "NL": "709 879",
    "NS": "782 902",
    "ON": "226 249 289 343 365 382 416 437 519 548 613 647 683 705 742 753 807 905",
    "QC": "263 354 367 418 438 450 468 514 579 581 819 873",
    "SK": "306 474 639",
    "TERR": "867",
}
for _region, _codes in _BY_STATE.items():
    for _code in _codes.split():
        AREA_CODE_STATE[_code] = _region

# Where an area code sits in a split state, its own zones (first = most likely). Codes in split
# states not listed here get every zone of their state, which is the safe reading.
_AREA_CODE_OVERRIDES: dict[str, tuple[str, ...]] = {
    # Florida: the western panhandle (Pensacola, Panama City) is Central, Tallahassee Eastern
    **{c: ("America/New_York",) for c in "239 305 321 324 352 386 407 561 645 656 689 727 728 754 772 "
                                         "786 813 863 904 941 954".split()},
    "850": ("America/Chicago", "America/New_York"), "448": ("America/Chicago", "America/New_York"),
    # Texas: only El Paso and Hudspeth counties (915) are Mountain
    **{c: ("America/Chicago",) for c in _BY_STATE["TX"].split() if c != "915"},
    "915": ("America/Denver",),
    # Indiana: the northwest (Gary, 219) is Central; 812/930 and 574 include Central counties
    "219": ("America/Chicago",),
    **{c: ("America/Indiana/Indianapolis",) for c in ("260", "317", "463", "765")},
    # Kentucky: Louisville and Lexington are Eastern; 270/364 mostly Central
    "502": ("America/New_York",), "859": ("America/New_York",),
    "270": ("America/Chicago", "America/New_York"), "364": ("America/Chicago", "America/New_York"),
    # Tennessee: Knoxville Eastern; Nashville, Memphis, West Tennessee Central; 423 mostly Eastern
    "865": ("America/New_York",), "423": ("America/New_York", "America/Chicago"),
    **{c: ("America/Chicago",) for c in ("615", "629", "731", "901")},
    # Kansas, Nebraska: only the western edge is Mountain
    "316": ("America/Chicago",), "913": ("America/Chicago",),
    "402": ("America/Chicago",), "531": ("America/Chicago",),
    # Michigan: only four Upper Peninsula counties (906) are Central
    **{c: ("America/Detroit",) for c in _BY_STATE["MI"].split() if c != "906"},
    # Nevada: only West Wendover (775) is Mountain
    "702": ("America/Los_Angeles",), "725": ("America/Los_Angeles",),
    # Oregon: only Malheur County (541/458) is Mountain
    "503": ("America/Los_Angeles",), "971": ("America/Los_Angeles",),
    # British Columbia: Lower Mainland only
    "604": ("America/Vancouver",),
    # Ontario: northwestern Ontario (807) spans Eastern and Central
    "807": ("America/Toronto", "America/Winnipeg"),
    # Quebec: 418/581/367 include the Magdalen Islands and Lower North Shore (Atlantic)
    **{c: ("America/Toronto", "America/Halifax") for c in ("418", "581", "367")},
}

AREA_CODE_ZONES: dict[str, tuple[str, ...]] = {
    code: _AREA_CODE_OVERRIDES.get(code) or STATE_ZONES.get(region) or PROVINCE_ZONES[region]
    for code, region in AREA_CODE_STATE.items()
}

# When nothing is known: every zone of the 50 states (territories are rare enough to need an
# explicit zone or state).
US_ZONES: tuple[str, ...] = ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
                             "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu")

_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*$")
# Valid for zoneinfo but not places: system aliases and the alternative tz trees.
_NOT_PLACES = {"localtime", "posixrules", "factory"}


def is_valid_zone(name: str) -> bool:
    """True for an IANA zone key zoneinfo can load (``America/Chicago``, ``UTC``)."""
    if not isinstance(name, str) or not _ZONE_NAME.fullmatch(name) or len(name) > 64:
        return False  # also keeps path tricks (``../etc``, ``/etc/passwd``) away from the loader
    return _loadable(name)


@lru_cache(maxsize=1024)
def _loadable(name: str) -> bool:
    if name.lower() in _NOT_PLACES or name.startswith(("posix/", "right/")):
        return False
    try:
        ZoneInfo(name)
    except Exception:  # ZoneInfoNotFoundError, ValueError, IsADirectoryError, ...
        return False
    return True


_NANP = re.compile(r"^1?([2-9]\d\d)[2-9]\d{6}$")


def area_code(phone: str | None) -> str | None:
    """The NANP area code of a +1 number (E.164 preferred; punctuation tolerated), else None."""
    if not phone or not isinstance(phone, str):
        return None
    raw = phone.strip()
    if raw.startswith("+") and not raw.startswith("+1"):
        return None  # another country code
    m = _NANP.match(re.sub(r"\D", "", raw))
    return m.group(1) if m else None


def _state_zones(state: str | None) -> tuple[str, ...] | None:
    if not state or not isinstance(state, str):
        return None
    return STATE_ZONES.get(state.strip().upper())


def candidate_zones(timezone: str | None, state: str | None, phone_e164: str | None) -> tuple[str, ...]:
    """Every zone the lead may be in: explicit zone, else the state's, else the area code's, else all US."""
    if timezone and is_valid_zone(timezone):
        return (timezone,)
    zones = _state_zones(state)
    if zones:
        return zones
    code = area_code(phone_e164)
    if code and code in AREA_CODE_ZONES:
        return AREA_CODE_ZONES[code]
    return US_ZONES


def derive_timezone(state: str | None, phone_e164: str | None) -> str | None:
    """The most likely zone (state's primary, else area code's), to store when a lead gives none."""
    zones = _state_zones(state)
    if zones:
        return zones[0]
    code = area_code(phone_e164)
    if code and code in AREA_CODE_ZONES:
        return AREA_CODE_ZONES[code][0]
    return None


def lead_zone(lead: dict) -> str:
    """The zone a lead's local hours are planned in (Eastern when nothing is known)."""
    return lead.get("timezone") or "America/New_York"
