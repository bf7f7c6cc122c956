"""In-memory SQS, SES v2 and SNS for the fast simulator: the calls the engine makes, nothing more.

They answer the way the services do for the requests the engine sends (batch results with
``Failed``, receive counts, visibility timeouts, a dead-letter queue after ``maxReceiveCount``),
on the virtual clock, so that a year of deferred and retried touches plays out as it would.
Moto stays the stand-in for the local stack and the tests; this is for runs too long for it.
"""
from __future__ import annotations

import email.parser
import email.utils
import hashlib
import itertools
import uuid
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import timedelta

from ..clock import clock

VISIBILITY_TIMEOUT = 180  # the queues' setting in infra/template.json
MAX_RECEIVES = 5          # their redrive policy's maxReceiveCount


@dataclass
class _Message:
    id: str
    body: str
    attributes: dict
    sent_at: str
    receives: int = 0
    visible_at: object = None
    handle: str = ""


@dataclass
class _Queue:
    ready: deque = field(default_factory=deque)
    hidden: dict = field(default_factory=dict)  # receipt handle -> message
    dead: list = field(default_factory=list)


class MemorySQS:
    """``faults``, when set (the simulator's injector, sim/faults.py), is asked once per message
    received whether SQS's at-least-once delivery shows: ``"duplicate_delivery"`` (a second copy
    of the message, with its own receipt handle, is delivered by the next receive) or
    ``"lost_lease"`` (the message's visibility ends while its handler still runs: it is visible
    again at once, the next receive hands it out with its receive count up, and the first
    handler's receipt handle is stale: deleting with it, or changing its visibility, does
    nothing)."""

    RECEIVE_FAULTS = ("duplicate_delivery", "lost_lease")

    def __init__(self):
        self.queues: dict[str, _Queue] = {}
        self._handles = itertools.count()
        self.faults = None
        self.on_send = None  # called with (queue url, body) for every message sent (the simulator's log)

    def _q(self, url: str) -> _Queue:
        return self.queues.setdefault(url, _Queue())

    def send_message(self, QueueUrl, MessageBody, MessageAttributes=None, DelaySeconds=0, **_):
        message = _Message(uuid.uuid4().hex, MessageBody, MessageAttributes or {}, clock.now().isoformat())
        if self.on_send is not None:
            self.on_send(QueueUrl, MessageBody)
        if DelaySeconds:
            message.visible_at = clock.now() + timedelta(seconds=DelaySeconds)
            message.handle = f"delay-{next(self._handles)}"
            self._q(QueueUrl).hidden[message.handle] = message
        else:
            self._q(QueueUrl).ready.append(message)
        return {"MessageId": message.id, "MD5OfMessageBody": hashlib.md5(MessageBody.encode()).hexdigest()}

    def send_message_batch(self, QueueUrl, Entries, **_):
        ok = [{"Id": e["Id"], **self.send_message(QueueUrl, e["MessageBody"], e.get("MessageAttributes"),
                                                  e.get("DelaySeconds", 0))}
              for e in Entries]
        return {"Successful": ok, "Failed": []}

    def _reveal(self, q: _Queue) -> None:
        now = clock.now()
        for handle, m in list(q.hidden.items()):
            if m.visible_at <= now:
                del q.hidden[handle]
                if m.receives >= MAX_RECEIVES:
                    q.dead.append(m)  # the redrive policy: to the dead-letter queue
                else:
                    q.ready.append(m)

    def receive_message(self, QueueUrl, MaxNumberOfMessages=1, **_):
        q = self._q(QueueUrl)
        self._reveal(q)
        out = []
        while q.ready and len(out) < MaxNumberOfMessages:
            m = q.ready.popleft()
            m.receives += 1
            m.handle = f"h-{next(self._handles)}"
            m.visible_at = clock.now() + timedelta(seconds=VISIBILITY_TIMEOUT)
            q.hidden[m.handle] = m
            out.append({"MessageId": m.id, "ReceiptHandle": m.handle, "Body": m.body,
                        "MD5OfBody": hashlib.md5(m.body.encode()).hexdigest(),
                        "Attributes": {"ApproximateReceiveCount": str(m.receives), "SentTimestamp": m.sent_at},
                        "MessageAttributes": {k: dict(v) for k, v in m.attributes.items()}})
            fault = self.faults.pick("sqs.receive", self.RECEIVE_FAULTS) if self.faults is not None else None
            if fault == "duplicate_delivery":  # another copy, received as if for the first time
                q.ready.append(replace(m, receives=m.receives - 1, handle="", visible_at=None))
            elif fault == "lost_lease":  # visible again before its handler is done
                del q.hidden[m.handle]
                q.ready.append(m)
        return {"Messages": out} if out else {}

    def delete_message(self, QueueUrl, ReceiptHandle, **_):
        self._q(QueueUrl).hidden.pop(ReceiptHandle, None)
        return {}

    def delete_message_batch(self, QueueUrl, Entries, **_):
        for e in Entries:
            self.delete_message(QueueUrl, e["ReceiptHandle"])
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}

    def change_message_visibility(self, QueueUrl, ReceiptHandle, VisibilityTimeout, **_):
        m = self._q(QueueUrl).hidden.get(ReceiptHandle)
        if m is not None:
            m.visible_at = clock.now() + timedelta(seconds=int(VisibilityTimeout))
        return {}

    def get_queue_attributes(self, QueueUrl, **_):
        q = self._q(QueueUrl)
        self._reveal(q)
        return {"Attributes": {"ApproximateNumberOfMessages": str(len(q.ready)),
                               "ApproximateNumberOfMessagesNotVisible": str(len(q.hidden))}}

    def next_visible(self):
        """When the next hidden message (delayed or in flight) shows again, if any."""
        times = [m.visible_at for q in self.queues.values() for m in q.hidden.values()]
        return min(times) if times else None

    def depth(self) -> int:
        """Messages waiting or in flight, every queue (the simulator's idle check)."""
        return sum(len(q.ready) + len(q.hidden) for q in self.queues.values())

    def bodies(self, url: str) -> list[str]:
        """The bodies of the messages a queue still holds, waiting, delayed or in flight."""
        q = self.queues.get(url)
        return [m.body for m in (*q.ready, *q.hidden.values())] if q else []

    def dead_letters(self, url: str) -> list[str]:
        """The bodies on a queue's dead-letter queue: moved there by the redrive policy, or sent
        to ``<queue>-dlq`` (the touches' last attempts, services/requeue.py)."""
        q = self.queues.get(url)
        return ([m.body for m in q.dead] if q else []) + self.bodies(url + "-dlq")


class MemorySES:
    """SES v2 SendEmail with raw content: keeps each message as the borrower would get it."""

    def __init__(self):
        self.sent: list[dict] = []  # {"raw", "destinations", "at", "message_id"}

    def send_email(self, Content, Destination=None, **_):
        message_id = uuid.uuid4().hex
        raw = Content["Raw"]["Data"]
        raw = raw.decode() if isinstance(raw, bytes) else raw
        # as SES does for raw mail without a Destination: the recipients are the To header's
        to = (Destination or {}).get("ToAddresses") or [addr for _, addr in email.utils.getaddresses(
            email.parser.HeaderParser().parsestr(raw.split("\r\n\r\n", 1)[0] + "\r\n\r\n").get_all("To", []))]
        self.sent.append({"raw": raw, "message_id": message_id, "destinations": list(to),
                          "at": clock.now().isoformat()})
        return {"MessageId": message_id}


class MemorySNS:
    def __init__(self):
        self.sms: list[dict] = []                       # {"id", "phone", "text", "at"}
        self.topics: dict[str, list[dict]] = {}         # topic arn -> notifications

    def publish(self, Message, PhoneNumber=None, TopicArn=None, **kw):
        message_id = uuid.uuid4().hex
        if PhoneNumber:
            self.sms.append({"id": message_id, "phone": PhoneNumber, "text": Message, "at": clock.now().isoformat()})
        else:
            self.topics.setdefault(TopicArn, []).append({"id": message_id, "message": Message,
                                                         "subject": kw.get("Subject"), "at": clock.now().isoformat()})
        return {"MessageId": message_id}

    def create_topic(self, Name, **_):
        arn = f"arn:aws:sns:us-east-1:123456789012:{Name}"
        self.topics.setdefault(arn, [])
        return {"TopicArn": arn}


class MemoryAWS:
    """The stand-ins by service name, for ``chalicelib.aws.use_stand_ins``."""

    def __init__(self):
        self.sqs, self.ses, self.sns = MemorySQS(), MemorySES(), MemorySNS()

    def clients(self) -> dict[str, object]:
        return {"sqs": self.sqs, "sesv2": self.ses, "sns": self.sns}
