"""Time zones from a lead's state or phone area code (interim; full tables follow)."""
from __future__ import annotations

from zoneinfo import ZoneInfo

STATE_ZONES = {"TX": ("America/Chicago", "America/Denver"), "CA": ("America/Los_Angeles",), "NY": ("America/New_York",),
               "FL": ("America/New_York", "America/Chicago"), "CO": ("America/Denver",), "AZ": ("America/Phoenix",),
               "HI": ("Pacific/Honolulu",), "AK": ("America/Anchorage", "America/Adak"), "IL": ("America/Chicago",),
               "WA": ("America/Los_Angeles",), "GA": ("America/New_York",)}
AREA_CODE_ZONES = {"512": ("America/Chicago",), "713": ("America/Chicago",), "212": ("America/New_York",),
                   "303": ("America/Denver",), "415": ("America/Los_Angeles",), "808": ("Pacific/Honolulu",)}
US = ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
      "America/Anchorage", "Pacific/Honolulu")


def is_valid_zone(name: str) -> bool:
    if not name or ".." in name or name.startswith("/"):
        return False
    try:
        ZoneInfo(name)
    except Exception:
        return False
    return True


def candidate_zones(timezone, state, phone_e164):
    if timezone and is_valid_zone(timezone):
        return (timezone,)
    if state and state in STATE_ZONES:
        return STATE_ZONES[state]
    if phone_e164 and phone_e164.startswith("+1") and phone_e164[2:5] in AREA_CODE_ZONES:
        return AREA_CODE_ZONES[phone_e164[2:5]]
    return US


def derive_timezone(state, phone_e164):
    if state in STATE_ZONES:
        return STATE_ZONES[state][0]
    if phone_e164 and phone_e164.startswith("+1") and phone_e164[2:5] in AREA_CODE_ZONES:
        return AREA_CODE_ZONES[phone_e164[2:5]][0]
    return None
