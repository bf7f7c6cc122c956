"""The local stand-in's per-item rollback (chalicelib/local/standin.py): a cancelled transaction
leaves every item as it was (an update undone, a put of a new item gone, a delete put back), a
passing one writes, and no table is copied to do it."""
import boto3
import pytest
from moto import mock_aws


@pytest.fixture
def patched(monkeypatch):
    from moto.dynamodb import models

    from chalicelib.local import standin

    # the patch is process-wide: put moto back as shipped after the test
    monkeypatch.setattr(models, "copy", models.copy)
    monkeypatch.setattr(models.DynamoDBBackend, "transact_write_items", models.DynamoDBBackend.transact_write_items)
    assert standin.install() is True and standin.install() is False
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                               {"AttributeName": "sk", "AttributeType": "S"}])
        for sk in ("a", "c", "d"):
            ddb.put_item(TableName="t", Item={"pk": {"S": "p"}, "sk": {"S": sk}, "n": {"N": "1"}})
        yield ddb


def _items(ddb) -> dict:
    return {i["sk"]["S"]: i.get("n", {}).get("N") for i in ddb.scan(TableName="t")["Items"]}


def _ops(condition_holds: bool) -> list[dict]:
    key = lambda sk: {"pk": {"S": "p"}, "sk": {"S": sk}}  # noqa: E731
    return [{"Update": {"TableName": "t", "Key": key("a"), "UpdateExpression": "SET n = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}}}},
            {"Put": {"TableName": "t", "Item": {**key("b"), "n": {"N": "5"}}}},
            {"Delete": {"TableName": "t", "Key": key("d")}},
            {"ConditionCheck": {"TableName": "t", "Key": key("c" if condition_holds else "zz"),
                                "ConditionExpression": "attribute_exists(pk)"}}]


def test_a_cancelled_transaction_leaves_every_item_as_it_was(patched):
    with pytest.raises(patched.exceptions.TransactionCanceledException):
        patched.transact_write_items(TransactItems=_ops(condition_holds=False))
    assert _items(patched) == {"a": "1", "c": "1", "d": "1"}


def test_a_passing_transaction_writes_without_copying_a_table(patched, monkeypatch):
    from moto.dynamodb.models.table import Table

    def no_table_copies(self, memo):
        raise AssertionError("a whole table was copied")

    monkeypatch.setattr(Table, "__deepcopy__", no_table_copies, raising=False)
    patched.transact_write_items(TransactItems=_ops(condition_holds=True))
    assert _items(patched) == {"a": "2", "b": "5", "c": "1"}
