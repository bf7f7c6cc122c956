"""The simulator's fault injector (sim/faults.py): seeded decisions, the errors each seam raises,
what a fault leaves written, and the in-memory SQS's duplicate deliveries and lost leases."""
import random
from functools import cached_property

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError

from chalicelib.local.memory_aws import MemorySES, MemorySNS, MemorySQS
from chalicelib.local.runtime import LambdaCrash
from sim.faults import KINDS, Faults, QueueFaults, SendFaults, StoreFaults, is_write, wrap_context


class Always:
    """An rng that always injects, the kind at ``index`` of the seam's kinds."""

    def __init__(self, index: int = 0):
        self.index = index

    def random(self) -> float:
        return 0.0

    def randrange(self, n: int) -> int:
        return self.index % n


def armed(rng) -> Faults:
    faults = Faults(0.5, rng)
    faults.armed = True
    return faults


class Repo:
    def __init__(self):
        self.items = {}
        self.other = None

    def claim(self, key, value):
        if self.other is not None:
            self.other.save_all(key)  # the store reaching another repository inside one call
        self.items[key] = value
        return True

    def save_all(self, key):
        self.items[f"tx:{key}"] = True

    def get(self, key):
        return self.items.get(key)


def test_the_same_seed_injects_the_same_faults_and_counts_them_by_kind():
    def run(seed):
        faults = Faults(0.1, random.Random(seed))
        return [faults.pick("seam", KINDS) for _ in range(2000)], faults.report()

    first, report = run(3)
    assert run(3) == (first, report)
    assert run(4)[0] != first
    injected = [k for k in first if k]
    assert 150 < len(injected) < 250  # about 10 % of 2000 calls
    assert report["injected"] == len(injected)
    assert report["by_kind"] == {k: injected.count(k) for k in KINDS} and all(report["by_kind"].values())
    assert sum(report["by_seam"].values()) == len(injected)


def test_a_rate_of_zero_never_injects_and_a_rate_must_be_a_probability():
    faults = Faults(0.0, random.Random(1))
    assert not any(faults.pick("seam", KINDS) for _ in range(1000))
    with pytest.raises(ValueError):
        Faults(1.0, random.Random(1))


def test_store_writes_are_told_apart_from_reads_by_their_names():
    for write in ("claim", "claim_sending", "mark", "put_sent", "save", "commit", "commit_many", "create", "append",
                  "append_many", "complete", "add", "add_all", "pace_add", "trip", "settle", "count", "put", "clear"):
        assert is_write(write), write
    for read in ("get", "get_many", "all", "list", "for_lead", "due", "next_due", "rows", "rows_between", "latest",
                 "latest_all", "history", "find_duplicate", "names", "query_index", "members", "size", "state",
                 "recent", "with_realtor_email", "pace_used", "_stale", "_apply"):
        assert not is_write(read), read


def test_a_throttled_write_raises_pynamodbs_error_and_writes_nothing():
    repo = StoreFaults(Repo(), armed(Always(0)), "touches")
    with pytest.raises(UpdateError) as raised:
        repo.claim("t1", "sending")
    assert raised.value.cause_response_code == "ProvisionedThroughputExceededException"
    assert repo.get("t1") is None  # reads pass
    with pytest.raises(TransactWriteError):
        repo.save_all("t1")
    assert repo.get("tx:t1") is None

    class Marks:
        def put_sent(self, marks):
            raise AssertionError("not called")

    with pytest.raises(PutError):
        StoreFaults(Marks(), armed(Always(0)), "touches").put_sent([])


def test_a_timeout_after_commit_writes_and_then_raises_a_read_timeout():
    repo = StoreFaults(Repo(), armed(Always(1)), "touches")
    with pytest.raises(UpdateError) as raised:
        repo.claim("t1", "sending")
    assert isinstance(raised.value.cause, ReadTimeoutError)
    assert repo.get("t1") == "sending"  # it did commit


def test_calls_outside_an_invocation_and_the_stores_own_nested_calls_are_not_faulted():
    faults = Faults(0.5, Always(0))
    inner = Repo()
    repo = StoreFaults(inner, faults, "touches")
    assert repo.claim("t1", "x")  # not armed: the API, the worker's polling, the end-of-run reads
    other = StoreFaults(Repo(), faults, "enrollments")
    inner.other = other
    faults.armed = True
    faults.rng = Always(1)  # timeout after commit
    with pytest.raises(UpdateError):
        repo.claim("t2", "y")
    assert other.get("tx:t2") and repo.get("t2") == "y"  # the nested save_all was not faulted
    assert sum(faults.by_kind.values()) == 1


def test_after_a_crash_the_invocation_makes_no_more_calls_and_the_next_one_does():
    faults = Faults(0.5, Always(2))  # crash
    ses = MemorySES()
    send = SendFaults(ses, faults, "sesv2")
    repo = StoreFaults(Repo(), faults, "touches")
    with faults.invocation("touches"):
        with pytest.raises(LambdaCrash):
            send.send_email(Content={"Raw": {"Data": "To: a@example.com\r\n\r\nhi"}})
        with pytest.raises(LambdaCrash):
            repo.get("t1")  # a read too: the process is gone
    assert ses.sent == []  # died before the provider had it
    faults.rng = random.Random(0)
    faults.rate = 0.0
    with faults.invocation("touches"):
        assert repo.claim("t1", "x") and repo.get("t1") == "x"


def test_sends_are_throttled_or_time_out_after_the_provider_took_them():
    ses, sns = MemorySES(), MemorySNS()
    with pytest.raises(ClientError) as raised:
        SendFaults(ses, armed(Always(0)), "sesv2").send_email(Content={"Raw": {"Data": "To: a@example.com\r\n\r\nhi"}})
    assert raised.value.response["Error"]["Code"] == "TooManyRequestsException" and ses.sent == []
    with pytest.raises(ReadTimeoutError):
        SendFaults(sns, armed(Always(1)), "sns").publish(PhoneNumber="+15125550100", Message="hi")
    assert [m["phone"] for m in sns.sms] == ["+15125550100"]  # it went
    faults = armed(Always(0))
    SendFaults(sns, faults, "sns").publish(TopicArn="arn:aws:sns:us-east-1:123456789012:lo", Message="task")
    assert not faults.by_kind  # a topic notification is not a send to a borrower


def test_queue_sends_fail_as_sqs_does():
    sqs = MemorySQS()
    with pytest.raises(ClientError) as raised:
        QueueFaults(sqs, armed(Always(0)), "sqs").send_message(QueueUrl="q", MessageBody="{}")
    assert raised.value.response["Error"]["Code"] == "RequestThrottled" and sqs.depth() == 0
    with pytest.raises(ReadTimeoutError):
        QueueFaults(sqs, armed(Always(1)), "sqs").send_message(QueueUrl="q", MessageBody="{}")
    assert sqs.depth() == 1  # queued all the same


def test_the_memory_queue_delivers_a_message_twice():
    sqs = MemorySQS()
    sqs.send_message(QueueUrl="q", MessageBody="one")
    sqs.faults = Faults(0.5, Always(0))  # duplicate_delivery
    first = sqs.receive_message(QueueUrl="q")["Messages"]
    sqs.faults = None
    second = sqs.receive_message(QueueUrl="q")["Messages"]
    assert [m["Body"] for m in first + second] == ["one", "one"]
    assert first[0]["MessageId"] == second[0]["MessageId"] and first[0]["ReceiptHandle"] != second[0]["ReceiptHandle"]
    assert second[0]["Attributes"]["ApproximateReceiveCount"] == "1"
    sqs.delete_message(QueueUrl="q", ReceiptHandle=first[0]["ReceiptHandle"])
    sqs.delete_message(QueueUrl="q", ReceiptHandle=second[0]["ReceiptHandle"])
    assert sqs.depth() == 0


def test_a_lost_lease_shows_the_message_again_and_its_first_receipt_handle_goes_stale():
    sqs = MemorySQS()
    sqs.send_message(QueueUrl="q", MessageBody="one")
    sqs.faults = Faults(0.5, Always(1))  # lost_lease
    first = sqs.receive_message(QueueUrl="q")["Messages"][0]
    sqs.faults = None
    sqs.delete_message(QueueUrl="q", ReceiptHandle=first["ReceiptHandle"])  # the first handler finishes
    again = sqs.receive_message(QueueUrl="q")["Messages"][0]
    assert again["MessageId"] == first["MessageId"] and again["Attributes"]["ApproximateReceiveCount"] == "2"
    sqs.delete_message(QueueUrl="q", ReceiptHandle=again["ReceiptHandle"])
    assert sqs.depth() == 0


def test_every_repository_a_context_holds_or_makes_is_wrapped():
    class Ctx:
        @cached_property
        def touches(self):
            return Repo()

        @cached_property
        def leads(self):
            return Repo()

        settings = "plain"

    ctx = Ctx()
    held = ctx.touches  # made before the faults were installed
    faults = Faults(0.5, Always(0))
    wrap_context(ctx, faults)
    assert isinstance(ctx.touches, StoreFaults) and ctx.touches._target is held
    assert isinstance(ctx.leads, StoreFaults) and ctx.leads is ctx.leads  # made now, wrapped, cached
    assert ctx.settings == "plain" and isinstance(ctx, Ctx)
