"""Faults for the simulated year (``python -m sim.run --faults RATE``).

A seeded ``Faults(rate, rng)`` decides, call by call, whether the AWS stand-in or the store fails
the way the real service can at that point, and counts what it injected by kind. It acts at the
seams, without touching the engine or the store:

  kind                  where                                   what the caller sees
  throttle              a store write; an SES or SMS send;      the error the real call raises, before
                        an SQS send or visibility change        anything is written (DynamoDB:
                                                                ProvisionedThroughputExceededException
                                                                wrapped by PynamoDB; SES v2:
                                                                TooManyRequestsException; SNS:
                                                                Throttled; SQS: RequestThrottled)
  timeout_after_commit  the same calls                          the call is carried out (the item is
                                                                written, the mail or text goes, the
                                                                message is queued), then the answer is
                                                                lost: botocore's ReadTimeoutError
                                                                (wrapped by PynamoDB for the store)
  crash                 an SES or SMS send (after the touch     the Lambda's process dies before the
                        was claimed)                            provider has the message: nothing
                                                                after that point is written, the
                                                                invocation fails whole
                                                                (runtime.LambdaCrash)
  duplicate_delivery    an SQS receive                          the message is delivered twice
  lost_lease            an SQS receive                          the message shows again before its
                                                                handler is done; its receipt handle
                                                                goes stale

The store and client faults are armed only while the runtime plays a Lambda invocation (queue
batches, the minute scheduler, the sweeps: ``runtime.around_invocations``): the simulated
borrowers' and LOS's API requests and the worker's own polling are not faulted. What follows a
fault is the real service's: a failed batch item comes back after its visibility timeout (or
the delay the handler set), goes to the dead-letter queue after the redrive policy's
``maxReceiveCount``, a failed scheduler run is followed by the next minute's, a failed sweep is
retried as an asynchronous invocation (chalicelib/local/runtime.py), all on the virtual clock.

The repositories are wrapped with a generic proxy (``StoreFaults``) that knows method names, not
modules: whatever the store's internal layout, a public method whose name is not a read's is a
write. Calls the store makes through another repository inside a faulted call (a transaction
that reads the lead repository's version) pass through untouched.
"""
from __future__ import annotations

import contextlib
import random
from collections import Counter
from functools import cached_property

KINDS = ("throttle", "timeout_after_commit", "crash", "duplicate_delivery", "lost_lease")
STORE_KINDS = ("throttle", "timeout_after_commit")
SEND_KINDS = ("throttle", "timeout_after_commit", "crash")
QUEUE_KINDS = ("throttle", "timeout_after_commit")

# Repository methods that only read. Any other public method is taken for a write (an unknown
# read faulted as a write is only a read that failed; a write never goes unfaulted for a name).
READ_VERBS = {"get", "all", "list", "for", "due", "next", "rows", "latest", "history", "find", "names", "query",
              "members", "size", "state", "recent", "with"}
READ_NAMES = {"pace_used"}


def is_write(name: str) -> bool:
    return not name.startswith("_") and name not in READ_NAMES and name.split("_")[0] not in READ_VERBS


class Faults:
    """Decides per call, from its own seeded ``rng``, whether a fault is injected (with
    probability ``rate``, the kind drawn among those the seam can have), and counts them."""

    def __init__(self, rate: float, rng: random.Random):
        if not 0 <= rate < 1:
            raise ValueError("a fault rate is a probability below 1")
        self.rate, self.rng = rate, rng
        self.by_kind: Counter = Counter()
        self.by_seam: Counter = Counter()
        self.armed = False   # inside a Lambda invocation the runtime plays
        self.dead = False    # that invocation's process has crashed: it makes no more calls
        self.busy = False    # inside a faulted call: the store's own nested calls pass through

    def pick(self, seam: str, kinds: tuple[str, ...]) -> str | None:
        """The fault to inject at this call, or None (most calls)."""
        if self.rng.random() >= self.rate:
            return None
        kind = kinds[self.rng.randrange(len(kinds))]
        self.by_kind[kind] += 1
        self.by_seam[f"{seam} {kind}"] += 1
        return kind

    @contextlib.contextmanager
    def invocation(self, name: str = ""):
        """One Lambda invocation: faults armed, a fresh process (the runtime's hook)."""
        was = self.armed, self.dead
        self.armed, self.dead = True, False
        try:
            yield
        finally:
            self.armed, self.dead = was

    def crash(self, where: str):
        from chalicelib.local.runtime import LambdaCrash

        self.dead = True
        return LambdaCrash(f"the function's process died at {where}")

    def report(self) -> dict:
        return {"rate": self.rate, "injected": sum(self.by_kind.values()),
                "by_kind": {k: self.by_kind[k] for k in KINDS},
                "by_seam": dict(sorted(self.by_seam.items()))}


# -- the errors the real calls raise ---------------------------------------------------------------

def _client_error(code: str, message: str, status: int, operation: str):
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


def _read_timeout(host: str):
    from botocore.exceptions import ReadTimeoutError

    return ReadTimeoutError(endpoint_url=f"https://{host}.us-east-1.amazonaws.com/")


def dynamodb_error(method: str, cause: Exception) -> Exception:
    """What a PynamoDB repository raises when the call under ``method`` fails with ``cause``
    (PynamoDB wraps every botocore error): a transaction's, a put's or an update's error. The
    engine outside the store catches none of them by class: they are all "retry later"."""
    from pynamodb.exceptions import PutError, TransactWriteError, UpdateError

    if method.startswith("save") or method.endswith("_many") or method == "create":
        return TransactWriteError("Failed to write transaction items", cause)
    if method.startswith(("put", "append")):
        return PutError(f"Failed to put item: {cause}", cause)
    return UpdateError(f"Failed to update item: {cause}", cause)


def dynamodb_throttled(method: str) -> Exception:
    return dynamodb_error(method, _client_error(
        "ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded.", 400, "UpdateItem"))


def dynamodb_timeout(method: str) -> Exception:
    return dynamodb_error(method, _read_timeout("dynamodb"))


# -- the seams ---------------------------------------------------------------------------------------

class _Proxy:
    """Delegates everything to ``_target``; callables are wrapped by ``_call``. Attributes set
    on the proxy (a test's or the simulator's instrumentation) stay on the proxy."""

    def __init__(self, target, faults: Faults, seam: str):
        self.__dict__.update(_target=target, _faults=faults, _seam=seam)

    def __getattr__(self, name: str):
        attr = getattr(self._target, name)
        if not callable(attr) or name.startswith("_"):
            return attr
        faults = self._faults

        def call(*args, **kwargs):
            if not faults.armed or faults.busy:
                return attr(*args, **kwargs)
            if faults.dead:
                raise faults.crash(f"{self._seam}.{name} (after an earlier crash)")
            return self._call(name, attr, args, kwargs)

        return call

    def _call(self, name, method, args, kwargs):
        return method(*args, **kwargs)


class StoreFaults(_Proxy):
    """A repository whose writes are throttled, or time out after they committed."""

    def _call(self, name, method, args, kwargs):
        faults = self._faults
        kind = faults.pick(f"store.{self._seam}.{name}", STORE_KINDS) if is_write(name) else None
        if kind == "throttle":
            raise dynamodb_throttled(name)
        faults.busy = True
        try:
            result = method(*args, **kwargs)
        finally:
            faults.busy = False
        if kind == "timeout_after_commit":
            raise dynamodb_timeout(name)
        return result


class SendFaults(_Proxy):
    """SES v2 ``send_email`` and SNS ``publish`` to a phone (the sends to borrowers and
    Realtors): throttled, crashed before the provider has it, or sent and then timed out.
    Topic notifications (the LO's task alerts, ops alerts) are not faulted."""

    THROTTLED = {"sesv2": ("TooManyRequestsException", "Too many requests have been made to the operation.", 429),
                 "sns": ("Throttled", "Rate exceeded", 429)}

    def _call(self, name, method, args, kwargs):
        if not (name == "send_email" or (name == "publish" and kwargs.get("PhoneNumber"))):
            return method(*args, **kwargs)
        faults = self._faults
        kind = faults.pick(f"{self._seam}.{name}", SEND_KINDS)
        if kind == "throttle":
            code, message, status = self.THROTTLED[self._seam]
            raise _client_error(code, message, status, "SendEmail" if name == "send_email" else "Publish")
        if kind == "crash":
            raise faults.crash(f"{self._seam}.{name}")
        result = method(*args, **kwargs)
        if kind == "timeout_after_commit":
            raise _read_timeout("email" if self._seam == "sesv2" else "sns")
        return result


class QueueFaults(_Proxy):
    """SQS calls a handler makes (re-queueing, retry delays, the scheduler's sends, events the
    sweeps publish): throttled, or done and then timed out. The receives and deletes are the
    event source mapping's, not the function's: not faulted here (the in-memory queue itself
    delivers twice and loses leases)."""

    FAULTED = {"send_message": "SendMessage", "send_message_batch": "SendMessageBatch",
               "change_message_visibility": "ChangeMessageVisibility"}

    def _call(self, name, method, args, kwargs):
        if name not in self.FAULTED:
            return method(*args, **kwargs)
        kind = self._faults.pick(f"sqs.{name}", QUEUE_KINDS)
        if kind == "throttle":
            raise _client_error("RequestThrottled", "Request is throttled.", 400, self.FAULTED[name])
        result = method(*args, **kwargs)
        if kind == "timeout_after_commit":
            raise _read_timeout("sqs")
        return result


def wrap_context(ctx, faults: Faults) -> None:
    """Every repository the context holds, or creates when first asked, behind ``StoreFaults``.
    Found by what the context class declares (its cached properties), not by name, so a
    reorganised store or a new repository is wrapped too."""
    cls = type(ctx)
    names = [n for n in dir(cls) if isinstance(getattr(cls, n, None), cached_property)]

    def wrapped(name, make):
        return cached_property(lambda self: StoreFaults(make(self), faults, name))

    ctx.__class__ = type(f"Faulty{cls.__name__}", (cls,), {n: wrapped(n, getattr(cls, n).func) for n in names})
    for n in names:
        if n in ctx.__dict__ and not isinstance(ctx.__dict__[n], StoreFaults):
            ctx.__dict__[n] = StoreFaults(ctx.__dict__[n], faults, n)


def install(faults: Faults, ctx, stand_in) -> dict[str, object]:
    """Put the faults in place for an in-memory run: the context's repositories wrapped, the
    in-memory SQS told to deliver twice and lose leases, the runtime's invocations armed.
    Returns the AWS clients to hand to ``chalicelib.aws.use_stand_ins``; ``uninstall`` undoes
    the runtime hook."""
    from chalicelib.local import runtime

    wrap_context(ctx, faults)
    stand_in.sqs.faults = faults
    runtime.around_invocations(faults.invocation)
    return {"sqs": QueueFaults(stand_in.sqs, faults, "sqs"), "sesv2": SendFaults(stand_in.ses, faults, "sesv2"),
            "sns": SendFaults(stand_in.sns, faults, "sns")}


def uninstall() -> None:
    from chalicelib.local import runtime

    runtime.around_invocations(None)
