"""`events` as front-end clients expect (Relay connections): filtered by wave or any subject,
`totalCount`, and backward paging with `last`/`before`, `hasPreviousPage` and `startCursor`,
on both stores (`api` runs every test on SQLite and on PostgreSQL)."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Served

PAGE = """
query Page($first: Int, $after: String, $last: Int, $before: String, $wave: ID, $subject: ID, $types: [String!]) {
  events(first: $first, after: $after, last: $last, before: $before, waveId: $wave, subjectId: $subject,
         types: $types) {
    totalCount
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


def _page(api: Served, **variables: Any) -> dict[str, Any]:
    page: dict[str, Any] = api.reader.data(PAGE, variables)["events"]
    return page


def _ids(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in page["edges"]]


def test_events_filter_by_wave(api: Served) -> None:
    page = _page(api, wave="w2", types=["WaveRescheduled", "GoLiveRecorded", "WavePlanned"])
    assert _ids(page) == ["demo:7", "demo:16", "demo:17"]
    assert page["totalCount"] == 3


def test_events_filter_by_any_subject(api: Served) -> None:
    reserve = _page(api, subject="risk")  # a reserve, not an actor
    assert _ids(reserve)[0] == "demo:10"
    assert "demo:19" in _ids(reserve)
    assert reserve["totalCount"] == len(_ids(reserve))
    both = _page(api, subject="north-trust", wave="w2", types=["GoLiveRecorded"])
    assert _ids(both) == ["demo:17"]


def test_total_count_counts_every_page(api: Served) -> None:
    first = _page(api, first=5)
    assert first["totalCount"] == 22
    assert len(first["edges"]) == 5
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert first["pageInfo"]["startCursor"] == first["edges"][0]["cursor"]


def test_backward_paging_walks_the_log_from_the_end(api: Served) -> None:
    last = _page(api, last=5)
    assert _ids(last) == [f"demo:{n}" for n in range(18, 23)]
    assert last["pageInfo"]["hasPreviousPage"] is True
    collected = _ids(last)
    cursor = last["pageInfo"]["startCursor"]
    while True:
        page = _page(api, last=5, before=cursor)
        collected = _ids(page) + collected
        cursor = page["pageInfo"]["startCursor"]
        if not page["pageInfo"]["hasPreviousPage"]:
            break
    assert collected == [f"demo:{n}" for n in range(1, 23)]
    assert page["totalCount"] == 22


def test_backward_and_forward_pages_meet(api: Served) -> None:
    forward = _page(api, first=10)
    back = _page(api, last=3, before=forward["pageInfo"]["endCursor"])
    assert _ids(back) == ["demo:7", "demo:8", "demo:9"]
    assert back["pageInfo"]["hasPreviousPage"] is True
    between = _page(api, after=forward["edges"][2]["cursor"], before=forward["edges"][6]["cursor"], first=10)
    assert _ids(between) == ["demo:4", "demo:5", "demo:6"]


def test_first_and_last_together_are_refused(api: Served) -> None:
    answer = api.reader.execute(PAGE, {"first": 2, "last": 2})
    assert answer["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert "give first (paging forward) or last (paging backward), not both" in answer["errors"][0]["message"]


def test_a_bad_before_cursor_or_last_is_refused(api: Served) -> None:
    bad = api.reader.execute(PAGE, {"last": 2, "before": "nonsense"})
    assert "'nonsense' is not a cursor from this API" in bad["errors"][0]["message"]
    too_many = api.reader.execute(PAGE, {"last": 501})
    assert "last must be between 1 and 500, not 501" in too_many["errors"][0]["message"]
