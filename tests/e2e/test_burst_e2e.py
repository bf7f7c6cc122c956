"""A busy web form or an LOS batch: 100 `POST /leads` at once, each on a connection of its own.

Chalice's development server listens with a backlog of 5, so a burst like this one had
connections reset before any handler saw them (14 of 40); the local stack's server
(chalicelib/local/stack.py) queues 128 and answers every one.
"""
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import requests

BURST = 100


def test_a_burst_of_new_leads_gets_an_http_answer_for_every_request(stack):
    go = threading.Barrier(BURST)
    created: dict[int, str | None] = {}
    headers = {"Authorization": f"Bearer {stack.token}", "Content-Type": "application/json"}

    def post(i: int):
        payload = {"first_name": "Burst", "last_name": f"Lead{i}", "state": "TX",
                   "email": f"burst{i}.{os.getpid()}@example.com", "phone": f"+1737555{2000 + i:04d}",
                   "consent": {"email": True}}
        go.wait(timeout=60)  # all connect together
        try:  # no shared session: each browser or LOS worker opens its own connection
            resp = requests.post(stack.url("/leads"), data=json.dumps(payload), headers=headers, timeout=300)
        except requests.ConnectionError as exc:
            return f"{type(exc).__name__}: {exc}"
        created[i] = resp.json().get("lead_id") if resp.status_code == 201 else None
        return resp.status_code

    with ThreadPoolExecutor(BURST) as pool:
        answers = list(pool.map(post, range(BURST)))

    unanswered = [a for a in answers if not isinstance(a, int)]
    assert not unanswered, f"{len(unanswered)} of {BURST} got no HTTP answer, e.g. {unanswered[0]}"
    # every borrower is new: each one created, none refused or failed under the load
    assert sorted(set(answers)) == [201], {code: answers.count(code) for code in set(answers)}
    last = stack.get(f"/leads/{created[BURST - 1]}")
    assert last.status_code == 200 and last.json()["last_name"] == f"Lead{BURST - 1}"
