"""Who may do what (domain/access.py): roles, scopes, an LO's book, the sign-in brake."""
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.access import (ACTIONS, Principal, allows, audit_data, failures_after, login_wait,
                                      validate_key, validate_person)
from chalicelib.domain.lead import ValidationError

T0 = datetime(2027, 4, 13, 15, 0, tzinfo=timezone.utc)
LO = Principal(by="jordan@team.example", roles=frozenset({"lo"}), lo_id="lo-1")
MANAGER = Principal(by="dana@team.example", roles=frozenset({"lo", "manager"}), lo_id="lo-mgr")
COMPLIANCE = Principal(by="casey@team.example", roles=frozenset({"compliance"}))
OPS = Principal(by="ops@team.example", roles=frozenset({"ops"}))


@pytest.mark.parametrize("who, may, may_not", [
    (LO, {"read", "leads"}, {"read.desk", "los", "imports", "rates", "desk", "audit", "people", "local", "erase",
                             "content.write", "content.approve", "deliverability", "deliverability.resume"}),
    (MANAGER, {"read", "read.desk", "leads", "los", "imports", "rates", "desk", "local", "content.write",
               "deliverability"},
     {"audit", "people", "erase", "content.approve", "deliverability.resume"}),
    (COMPLIANCE, {"read", "read.desk", "audit", "erase", "content.write", "content.approve"},
     {"leads", "los", "imports", "rates", "desk", "people", "local", "deliverability", "deliverability.resume"}),
    (OPS, set(ACTIONS) - {"content.approve"}, {"content.approve"}),
], ids=["lo", "manager", "compliance", "ops"])
def test_each_role_may_exactly_its_part(who, may, may_not):
    assert {a for a in ACTIONS if allows(who, a)} == may
    assert not may & may_not and may | may_not == set(ACTIONS)


def test_a_key_may_what_its_scopes_name_and_admin_everything():
    los = Principal(by="key:encompass", scopes=frozenset({"los"}))
    assert [a for a in ACTIONS if allows(los, a)] == ["los"]
    reader = Principal(by="key:dash", scopes=frozenset({"read"}))
    assert {a for a in ACTIONS if allows(reader, a)} == {"read", "read.desk", "deliverability"}
    admin = Principal(by="key:bootstrap", scopes=frozenset({"admin"}))
    assert all(allows(admin, a) for a in ACTIONS)


def test_only_a_person_who_is_only_an_lo_is_held_to_a_book():
    assert LO.book == "lo-1" and LO.sees("lo-1") and not LO.sees("lo-2") and not LO.sees(None)
    assert MANAGER.book is None and MANAGER.sees("lo-2")  # an LO who manages sees the team
    assert Principal(by="x@t.example", roles=frozenset({"lo"})).book == "-"  # no lo_id: nobody's book
    assert Principal(by="key:los", scopes=frozenset({"los"})).book is None


def test_the_sixth_wrong_password_in_a_row_waits_and_the_wait_grows_to_a_quarter_hour():
    failures, last = 0, None
    waits = []
    for i in range(10):
        now = T0 + timedelta(seconds=i)
        waits.append(login_wait(failures, last, now))
        if not waits[-1]:
            failures, last = failures_after(failures, last, now), now
    assert waits[:5] == [0] * 5 and all(w > 0 for w in waits[5:])
    assert login_wait(5, T0, T0) == 61 and login_wait(6, T0, T0) == 121
    assert login_wait(30, T0, T0) == 15 * 60 + 1
    assert login_wait(9, T0, T0 + timedelta(minutes=15)) == 0  # forgiven after a quarter hour
    assert failures_after(9, T0, T0 + timedelta(minutes=16)) == 1


def test_a_person_and_a_key_are_validated_field_by_field():
    with pytest.raises(ValidationError) as bad:
        validate_person({"email": "nope", "name": "", "roles": ["admin"], "password": "short"}, ("lo-1",))
    assert set(bad.value.fields) == {"email", "name", "roles", "password"}
    with pytest.raises(ValidationError) as bad:
        validate_person({"email": "a@b.example", "name": "A", "roles": ["lo"]}, ("lo-1",))
    assert set(bad.value.fields) == {"lo_id"}  # an LO account says which LO
    ok = validate_person({"email": " Ann@B.example ", "name": "Ann", "roles": ["lo", "lo"], "lo_id": "lo-1"}, ("lo-1",))
    assert ok == {"email": "ann@b.example", "name": "Ann", "roles": ["lo"], "lo_id": "lo-1", "password": None}
    with pytest.raises(ValidationError) as bad:
        validate_key({"name": "Encompass LOS!", "scopes": ["everything"]})
    assert set(bad.value.fields) == {"name", "scopes"}
    assert validate_key({"name": "encompass", "scopes": ["los", "los"]}) == {"name": "encompass", "scopes": ["los"]}


def test_the_audit_log_keeps_field_names_and_no_borrower_data():
    data = audit_data({"first_name": "Maria", "email": "maria@example.com", "phone": "+15125550123",
                       "stage": "funded", "consent": {"sms": True}, "text": "I agree, Maria Lopez"})
    assert data == {"fields": ["consent", "email", "first_name", "phone", "stage", "text"], "stage": "funded"}
    assert "maria" not in repr(data).lower()


def test_a_key_name_is_one_key_s_and_never_the_bootstrap_s():
    for name, taken in (("bootstrap", ()), ("encompass", ("encompass",))):
        with pytest.raises(ValidationError) as bad:
            validate_key({"name": name, "scopes": ["los"]}, taken)
        assert set(bad.value.fields) == {"name"}
