"""Time zone candidates from explicit zone, state or area code."""
import pytest

from chalicelib.domain.timezones import (
    AREA_CODE_STATE, AREA_CODE_ZONES, STATE_ZONES, US_ZONES, area_code, candidate_zones, derive_timezone,
    is_valid_zone,
)

ALL_STATES = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
    "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH",
    "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
    "PR", "GU", "VI", "AS", "MP",
}


def test_every_state_and_territory_has_valid_zones():
    assert set(STATE_ZONES) == ALL_STATES
    for state, zones in STATE_ZONES.items():
        assert zones and len(set(zones)) == len(zones), state
        assert all(is_valid_zone(z) for z in zones), state


def test_split_states_list_primary_zone_first():
    assert STATE_ZONES["TX"] == ("America/Chicago", "America/Denver")
    assert STATE_ZONES["AZ"] == ("America/Phoenix",)
    assert STATE_ZONES["HI"] == ("Pacific/Honolulu",)
    assert STATE_ZONES["AK"] == ("America/Anchorage", "America/Adak")
    assert STATE_ZONES["FL"] == ("America/New_York", "America/Chicago")
    assert STATE_ZONES["IN"] == ("America/Indiana/Indianapolis", "America/Chicago")
    assert STATE_ZONES["TN"][0] == "America/Chicago" and "America/New_York" in STATE_ZONES["TN"]


def test_area_codes_are_well_formed_and_cover_every_state():
    assert len(AREA_CODE_ZONES) > 380
    for code, zones in AREA_CODE_ZONES.items():
        assert len(code) == 3 and code.isdigit() and code[0] in "23456789", code
        assert zones and all(is_valid_zone(z) for z in zones), code
    assert ALL_STATES <= set(AREA_CODE_STATE.values())
    # no non-geographic codes: toll free and premium say nothing about location
    assert not {"800", "833", "844", "855", "866", "877", "888", "900", "500"} & set(AREA_CODE_ZONES)


@pytest.mark.parametrize("code,zones", [
    ("212", ("America/New_York",)), ("512", ("America/Chicago",)), ("713", ("America/Chicago",)),
    ("915", ("America/Denver",)), ("303", ("America/Denver",)), ("602", ("America/Phoenix",)),
    ("415", ("America/Los_Angeles",)), ("808", ("Pacific/Honolulu",)), ("907", ("America/Anchorage", "America/Adak")),
    ("305", ("America/New_York",)), ("219", ("America/Chicago",)), ("317", ("America/Indiana/Indianapolis",)),
    ("416", ("America/Toronto",)), ("604", ("America/Vancouver",)),
])
def test_area_code_zones(code, zones):
    assert AREA_CODE_ZONES[code] == zones


def test_split_area_codes_keep_every_zone():
    assert set(AREA_CODE_ZONES["850"]) == {"America/Chicago", "America/New_York"}  # FL panhandle
    assert set(AREA_CODE_ZONES["605"]) == {"America/Chicago", "America/Denver"}    # South Dakota


@pytest.mark.parametrize("name", ["America/Chicago", "Pacific/Honolulu", "America/Indiana/Indianapolis", "UTC"])
def test_valid_zones(name):
    assert is_valid_zone(name)


@pytest.mark.parametrize("name", ["", "   ", "Mars/Base", "../etc/passwd", "/etc/localtime", "America/../UTC",
                                  "localtime", "posixrules", "posix/UTC", "America", "America/New_York ",
                                  "America\\Chicago", "America/Chicago\x00", "America/Chicago\n", None, 5, ["UTC"]])
def test_invalid_zones(name):
    assert not is_valid_zone(name)


@pytest.mark.parametrize("phone,code", [
    ("+15125550123", "512"), ("+1 (512) 555-0123", "512"), ("5125550123", "512"), ("15125550123", "512"),
    ("+445125550123", None), ("+1112555012", None), ("+15121550123", None), ("", None), (None, None),
])
def test_area_code(phone, code):
    assert area_code(phone) == code


def test_candidate_zones_precedence():
    # an explicit valid zone wins, even against state and phone
    assert candidate_zones("America/Denver", "TX", "+12125550123") == ("America/Denver",)
    # an invalid zone is ignored; the state decides
    assert candidate_zones("Mars/Base", "TX", "+12125550123") == ("America/Chicago", "America/Denver")
    assert candidate_zones(None, "tx", None) == ("America/Chicago", "America/Denver")
    # no state: the phone's area code
    assert candidate_zones(None, None, "+12125550123") == ("America/New_York",)
    assert candidate_zones("", "ZZ", "+18085550123") == ("Pacific/Honolulu",)
    # nothing usable: every US zone
    assert candidate_zones(None, None, None) == US_ZONES
    assert candidate_zones(None, None, "+18005550123") == US_ZONES
    assert candidate_zones(None, None, "+442071234567") == US_ZONES
    assert set(US_ZONES) == {"America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
                             "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu"}


def test_derive_timezone():
    assert derive_timezone("TX", "+12125550123") == "America/Chicago"
    assert derive_timezone(None, "+15125550123") == "America/Chicago"
    assert derive_timezone(None, "+19155550123") == "America/Denver"
    assert derive_timezone("az", None) == "America/Phoenix"
    assert derive_timezone(None, "+18005550123") is None
    assert derive_timezone(None, None) is None
