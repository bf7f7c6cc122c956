"""The bench's DynamoDB write-unit arithmetic (bench/wru.py), on examples worked by hand from
AWS's published rules (item sizes, 1 KB write units, transactions, index writes)."""
from __future__ import annotations

import pytest

from bench import wru
from bench.wru import Index, Table, index_writes, item_size, number_size, units, value_size, write_cost


def s(n: int) -> dict:
    return {"S": "x" * n}


# -- item sizes: CapacityUnitCalculations.html -----------------------------------------------

def test_string_is_name_plus_utf8_bytes():
    assert item_size({"name": {"S": "Jane"}}) == 4 + 4
    assert item_size({"city": {"S": "Zürich"}}) == 4 + 7          # ü is two bytes in UTF-8


@pytest.mark.parametrize("text, size", [
    ("7", 2),            # 1 significant digit: 1 byte + 1
    ("123", 3),          # 3 digits: 2 bytes + 1
    ("1200", 2),         # trailing zeros trimmed: "12"
    ("0.0015", 2),       # leading zeros trimmed: "15"
    ("-12.5", 3),        # sign and point are not digits: "125"
    ("123456789012", 7),  # 12 digits: 6 bytes + 1
])
def test_number_is_one_byte_per_two_significant_digits_plus_one(text, size):
    assert number_size(text) == size
    assert item_size({"n": {"N": text}}) == 1 + size


def test_binary_counts_raw_bytes_not_base64():
    assert value_size({"B": "YWJj"}) == 3            # base64 of b"abc" on the wire
    assert value_size({"B": b"abcd"}) == 4


def test_bool_and_null_are_one_byte():
    assert item_size({"ok": {"BOOL": True}, "no": {"NULL": True}}) == (2 + 1) + (2 + 1)


def test_map_and_list_cost_three_bytes_plus_one_per_element():
    # name "m" 1 + map overhead 3 + element overhead 1 + key "ab" 2 + "xyz" 3
    assert item_size({"m": {"M": {"ab": {"S": "xyz"}}}}) == 1 + 3 + 1 + 2 + 3
    # name "l" 1 + list overhead 3 + (1 + number "1": 2) + (1 + bool 1)
    assert item_size({"l": {"L": [{"N": "1"}, {"BOOL": False}]}}) == 1 + 3 + 3 + 2
    assert item_size({"e": {"M": {}}}) == 1 + 3                    # empty map: the overhead alone


# -- write units: read-write-operations.html, the on-demand pricing page ---------------------

def test_one_unit_per_kilobyte_rounded_up():
    assert units(0) == 1 and units(500) == 1 and units(1024) == 1
    assert units(1025) == 2
    assert units(3 * 1024) == 3                                      # "a 3 KB item requires three WRUs"
    assert units(3500) == 4


LEADS = Table("touchengine-dev-leads", ("lead_id",), (
    Index("by_stage", ("stage", "created_at"), "ALL"),
    Index("by_email", ("email_key",), "KEYS_ONLY"),
    Index("by_refi", ("refi_product",), "INCLUDE", ("refi_rate",)),
))


def lead(**extra) -> dict:
    return {"lead_id": {"S": "L1"}, "stage": {"S": "new_lead"}, "created_at": {"S": "2026-03-10T15:00:00+00:00"},
            **extra}


def test_transactional_put_of_3kb_costs_six():
    item = {"lead_id": {"S": "L1"}, "doc": s(3 * 1024 - len("lead_id") - 2 - len("doc"))}
    assert item_size(item) == 3 * 1024
    bare = Table("t-leads", ("lead_id",))
    assert write_cost(bare, None, item, kind="put") == {"leads": 3}
    assert write_cost(bare, None, item, kind="put", transactional=True) == {"leads": 6}


def test_update_is_billed_on_the_larger_of_before_and_after():
    bare = Table("t-leads", ("lead_id",))
    big, small = {"lead_id": {"S": "L1"}, "doc": s(1500)}, {"lead_id": {"S": "L1"}, "doc": s(10)}
    assert write_cost(bare, big, small, kind="update") == {"leads": 2}
    assert write_cost(bare, small, big, kind="update") == {"leads": 2}
    assert write_cost(bare, big, small, kind="put") == {"leads": 2}       # a replacing put: the larger too


def test_delete_is_billed_on_the_deleted_item():
    bare = Table("t-leads", ("lead_id",))
    assert write_cost(bare, {"lead_id": {"S": "L1"}, "doc": s(2100)}, None, kind="delete") == {"leads": 3}
    assert write_cost(bare, None, None, kind="delete") == {"leads": 1}   # nothing there: still one


def test_failed_condition_costs_the_existing_item_and_writes_no_index():
    existing = lead(doc=s(2500), email_key={"S": "a@x.com"})
    assert write_cost(LEADS, existing, existing, kind="put", failed=True) == {"leads": 3}
    assert write_cost(LEADS, None, None, kind="put", failed=True) == {"leads": 1}


def test_cancelled_transaction_is_billed_once_per_action():
    existing = lead(doc=s(2500))
    assert write_cost(LEADS, existing, existing, kind="update", transactional=True, failed=True) == {
        "leads": wru.CANCELLED_TRANSACTION_FACTOR * 3}


# -- index writes: GSI.html#GSI.ThroughputConsiderations.Writes ------------------------------

def test_new_item_puts_into_every_index_whose_keys_it_has():
    item = lead(email_key={"S": "a@x.com"})   # no refi_product: absent from that sparse index
    assert index_writes(LEADS, None, item) == {"by_stage": 1, "by_email": 1}


def test_changed_key_value_is_a_delete_and_a_put():
    before = lead(email_key={"S": "a@x.com"})
    after = {**before, "stage": {"S": "funded"}}
    assert index_writes(LEADS, before, after) == {"by_stage": 2}


def test_key_removed_deletes_the_entry():
    before = lead(refi_product={"S": "conv30"}, refi_rate={"N": "7.25"})
    after = {k: v for k, v in before.items() if k not in ("refi_product", "refi_rate")}
    # by_stage projects ALL, so it changes too (an update of its entry, not a move)
    assert index_writes(LEADS, before, after) == {"by_refi": 1, "by_stage": 1}


def test_only_projected_changes_write_an_index():
    before = lead(email_key={"S": "a@x.com"}, refi_product={"S": "conv30"}, refi_rate={"N": "7.25"},
                  doc=s(10))
    doc_changed = {**before, "doc": s(20)}
    # ALL projects doc; KEYS_ONLY and INCLUDE(refi_rate) do not
    assert index_writes(LEADS, before, doc_changed) == {"by_stage": 1}
    rate_changed = {**before, "refi_rate": {"N": "7.5"}}
    assert index_writes(LEADS, before, rate_changed) == {"by_stage": 1, "by_refi": 1}
    assert index_writes(LEADS, before, dict(before)) == {}


def test_index_entry_is_sized_by_its_projection():
    big = lead(email_key={"S": "a@x.com"}, doc=s(2900))
    assert 2048 < item_size(big) <= 3072
    # ALL: the whole 3 KB item; KEYS_ONLY: lead_id + email_key, well under 1 KB
    assert index_writes(LEADS, None, big) == {"by_stage": 3, "by_email": 1}


def test_write_cost_names_table_and_index_and_bills_index_writes_once_in_a_transaction():
    before = lead(email_key={"S": "a@x.com"})
    after = {**before, "stage": {"S": "funded"}}
    assert write_cost(LEADS, before, after, kind="update", transactional=True) == {
        "leads": 2, "leads/by_stage": 2 * wru.TRANSACTIONAL_INDEX_FACTOR}


def test_targets_reads_every_item_of_a_request():
    assert wru.targets("TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": "a", "Item": {"k": {"S": "1"}}}},
        {"Update": {"TableName": "b", "Key": {"k": {"S": "2"}}}},
        {"ConditionCheck": {"TableName": "c", "Key": {"k": {"S": "3"}}}},
    ]}) == [("a", {"k": {"S": "1"}}, "put"), ("b", {"k": {"S": "2"}}, "update"), ("c", {"k": {"S": "3"}}, "check")]
    assert wru.targets("BatchWriteItem", {"RequestItems": {"a": [
        {"PutRequest": {"Item": {"k": {"S": "1"}}}}, {"DeleteRequest": {"Key": {"k": {"S": "2"}}}}]}}) == [
        ("a", {"k": {"S": "1"}}, "put"), ("a", {"k": {"S": "2"}}, "delete")]
