"""The request limit hit after a write began: OUTCOME_UNKNOWN (retry with the same key), never "stopped"."""

from __future__ import annotations

import threading
import time

from tests.e2e.client import Tokens
from tests.e2e.conftest import serve

RECORD = ("mutation($i: StatusAssessedInput!) { assessStatus(input: $i) { __typename "
          "... on Recorded { added position } ... on Problem { code message } } }")
WRITE = {"i": {"programmeId": "demo", "effective": "2024-01-01", "status": "Slow store", "risk": "Low",
               "key": "slow-1"}}


def test_a_write_that_outlives_the_request_limit_is_outcome_unknown_and_a_retry_finds_it(
    seeded_url: str, tokens: Tokens
) -> None:
    with serve(seeded_url, tokens, request_timeout_seconds=0.5) as api:
        ledger = api.http.app_state["services"].app
        before = ledger.last_position()
        # The store is slow: the write waits behind another writer for 1.5 s, past the 0.5 s limit.
        ledger._write_lock.acquire()
        threading.Timer(1.5, ledger._write_lock.release).start()
        response = api.http.post("/graphql", json={"query": RECORD, "variables": WRITE},
                                 headers={"Authorization": f"Bearer {tokens.recorder}"})
        assert response.status_code == 504
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "OUTCOME_UNKNOWN"
        assert "may or may not have been saved; retry with the same key, it is idempotent" in error["message"]
        assert response.headers["retry-after"] == "1"

        # The answer came at the limit, while the write still waits: a client retries as told
        # (Retry-After), and gets OUTCOME_UNKNOWN again while the store is still slow.
        for _attempt in range(10):
            time.sleep(float(response.headers["retry-after"]))
            response = api.http.post("/graphql", json={"query": RECORD, "variables": WRITE},
                                     headers={"Authorization": f"Bearer {tokens.recorder}"})
            if response.status_code != 504:
                break
            assert response.json()["errors"][0]["extensions"]["code"] == "OUTCOME_UNKNOWN"
        assert response.status_code == 200, response.text
        retry = response.json()["data"]["assessStatus"]
        assert retry == {"__typename": "Recorded", "added": False, "position": before + 1}
        assert ledger.last_position() == before + 1  # written once, by the first attempt

