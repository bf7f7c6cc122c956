"""What the contact policy says about one touch. Pure; shared by the policy and the engine."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# Why a sent touch did not wait for the frequency cap (the timeline's ``exempt``).
EXEMPTIONS = ("immediate", "hot", "transactional", "keyword")


@dataclass(frozen=True)
class Decision:
    """Send, defer until a time, or suppress; with the reason and, for a send, the cap exemption."""
    action: str                 # send | defer | suppress
    reason: str = ""
    until: datetime | None = None
    order: dict | None = None   # the touch as it will go, when a rule changed it (e-mail -> SMS)
    exempt: str | None = None   # one of EXEMPTIONS when a send did not wait for the cap


SEND = Decision("send")
