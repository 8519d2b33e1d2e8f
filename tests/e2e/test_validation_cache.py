"""A document asked again is not validated again: the limits' rules are the same classes each time.

strawberry's ValidationCache keys on (schema, document, rules). The depth and alias limits
used to make new rule classes for every request, so the cache never answered.
"""

from __future__ import annotations

from strawberry.extensions.validation_cache import DEFAULT_MAXSIZE, _get_validate_cache

from tests.e2e.conftest import Served

# Different each run of the test module, so the cache cannot hold it from an earlier test.
QUERY = '{ programme(id: "demo", asOf: "2031-02-03") { id name } }'


def test_the_second_validation_of_a_document_comes_from_the_cache(api: Served) -> None:
    cached = _get_validate_cache(DEFAULT_MAXSIZE)
    first = api.reader.data(QUERY)
    hits = cached.cache_info().hits
    # The response cache would answer before validation; a different caller misses it.
    assert api.admin.data(QUERY) == first
    assert cached.cache_info().hits == hits + 1


def test_the_limits_still_refuse_a_document_found_in_the_cache(api: Served) -> None:
    deep = "{ programme(id: \"demo\") { " + "actors { wave { actors { " * 5 + "id" + " } } }" * 5 + " } }"
    for caller in (api.reader, api.admin):
        errors = caller.execute(deep)["errors"]
        assert "exceeds maximum operation depth" in errors[0]["message"]
