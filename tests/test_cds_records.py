"""Reading a CDS call's FHIR record once per content (livertx.cds.records, cds.cache).

The caches are keyed by the canonical JSON of each resource: two different resources must
never share a key, or one record's validated resources and mapping would answer for
another. Records are read on the event loop or, when large or mostly unseen, in a worker
thread: both give the same cards.
"""

from __future__ import annotations

import asyncio
import copy
import json
import math
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cds import URL, example, hook_request, prefetch_for, resources_for

from livertx.api.fastjson import loads_body
from livertx.cds.cache import canonical, digest_of
from livertx.cds.prefetch import gathered_resources
from livertx.cds.records import INLINE_UNSEEN, RecordReader, _record_key
from livertx.web.app import Settings, create_app

# Leaves that different JSON libraries are known to blur: NaN and infinities (orjson writes
# them as null), integers beyond 64 bits, 1 against 1.0 and true, -0.0, lone surrogates.
LEAVES = st.sampled_from([None, math.nan, math.inf, -math.inf, 0, 0.0, -0.0, 1, 1.0, True, False,
                          2**64, 2**64 + 1, float(2**64), "null", "NaN", "\ud800", "\udc00", "a", ""])
JSON = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.sampled_from(["a", "b", "null", "\ud800"]), inner,
                                      max_size=3), max_leaves=6)


def _standard(value: Any) -> str:
    """The standard library's text, which tells all of these apart (the reference)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


@settings(max_examples=400, deadline=None)
@given(JSON, JSON)
@hypothesis.example(None, math.nan)
@hypothesis.example({"a": math.inf}, {"a": None})
@hypothesis.example([2**64], [float(2**64)])
@hypothesis.example("\ud800", "\udc00")
def test_two_values_share_a_cache_key_only_when_they_are_the_same(a: Any, b: Any) -> None:
    assert (canonical(a) == canonical(b)) == (_standard(a) == _standard(b))
    assert canonical(a) == canonical(copy.deepcopy(a))


@settings(max_examples=400, deadline=None)
@given(JSON, st.sampled_from([{}, {"indent": 1}, {"ensure_ascii": False}]))
@hypothesis.example([123456789012345678901234567890, 2**63, -(2**63) - 1], {})
@hypothesis.example({"a": [1e400, -1e400]}, {})
def test_a_request_body_means_what_the_standard_library_reads(value: Any, style: dict[str, Any]
                                                              ) -> None:
    """Bodies are read with orjson where it agrees with `json.loads` (never a huge integer
    turned into a float, a NaN refused, a surrogate lost)."""
    raw = json.dumps(value, **style).encode("utf-8", "surrogatepass")
    assert _standard(loads_body(raw)) == _standard(json.loads(raw))
    assert _standard(loads_body(b"\xef\xbb\xbf" + raw)) == _standard(json.loads(b"\xef\xbb\xbf" + raw))


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings()), raise_server_exceptions=False) as c:
        yield c


def _with_bilirubin(raw_value: str) -> str:
    """The advanced example's request with its bilirubin value written as given (raw JSON)."""
    body = hook_request(prefetch_for(resources_for(example("advanced"))))
    body["prefetch"]["bilirubin"]["entry"][0]["resource"]["valueQuantity"]["value"] = "VALUE"
    return json.dumps(body).replace('"VALUE"', raw_value)


def _summaries(client: TestClient, raw: str) -> list[str]:
    response = client.post(URL, content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    return [card["summary"] for card in response.json()["cards"]]


def test_a_nan_lab_is_not_served_the_answer_of_a_missing_one(client: TestClient) -> None:
    missing = _summaries(client, _with_bilirubin("null"))
    nan = _summaries(client, _with_bilirubin("NaN"))
    assert "could not read this record" in nan[0]
    assert "could not read" not in missing[0] and missing[0].startswith("HCC")
    assert _summaries(client, _with_bilirubin("null")) == missing  # from the cache, unchanged


def test_a_lone_surrogate_in_a_record_is_answered_not_a_500(client: TestClient) -> None:
    body = hook_request(prefetch_for(resources_for(example("advanced"))))
    body["prefetch"]["conditions"]["entry"][0]["resource"]["note"] = [{"text": "LONE"}]
    raw = json.dumps(body).replace("LONE", "\\ud800")
    summaries = _summaries(client, raw)
    assert summaries and summaries[0].startswith(("HCC", "livertx could not read"))


def _padded(n: int) -> dict[str, Any]:
    """The advanced example with `n` extra glucose results (unseen, ignored by livertx)."""
    resources = resources_for(example("advanced"))
    prefetch = prefetch_for(resources)
    extra = [{"resourceType": "Observation", "id": f"glucose-{i}", "status": "final",
              "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2024-06-01",
              "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]},
              "valueQuantity": {"value": 90 + i, "unit": "mg/dL"}} for i in range(n)]
    prefetch["liverFindings"] = {"resourceType": "Bundle", "type": "searchset",
                                 "entry": [{"resource": r} for r in extra]}
    return prefetch


def test_a_record_read_in_a_worker_thread_gives_the_same_cards() -> None:
    app = create_app(Settings())
    few, many = _padded(2), _padded(INLINE_UNSEEN + 10)  # on the loop; in a worker thread
    assert len(json.dumps(hook_request(many))) < 32 * 1024  # small: only unseen ones decide
    with TestClient(app) as client:
        on_loop = client.post(URL, json=hook_request(few)).json()["cards"]
        in_thread = client.post(URL, json=hook_request(many)).json()["cards"]
        again = client.post(URL, json=hook_request(many)).json()["cards"]
    assert [c["summary"] for c in on_loop] == [c["summary"] for c in in_thread]
    assert [c["detail"] for c in in_thread[:-1]] == [c["detail"] for c in on_loop[:-1]]
    assert [c.get("detail") for c in again] == [c.get("detail") for c in in_thread]
    assert len(app.state.cds.mapped) == 2  # the repeat came from the cache


def _cards_without_ids(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cards as a clinician reads them (each call has fresh uuids and link tokens)."""
    return [{k: v for k, v in card.items() if k not in ("uuid", "links")} for card in cards]


def test_a_chart_that_changed_is_read_as_a_new_record_not_from_the_last_one() -> None:
    """What each resource said is kept by its content: a chart that differs from the last
    in one lab and one condition gives the cards a fresh server gives, and a resource kept
    from before never stands in for a changed one."""
    before = resources_for(example("advanced"))
    after = copy.deepcopy(before)
    bilirubin = next(r for r in after if r.get("id") == "bili")
    bilirubin["valueQuantity"]["value"] = 2.6  # mg/dL: moves the Child-Pugh points
    hcc = next(r for r in after if r.get("id") == "hcc")
    refuted = copy.deepcopy(hcc)
    refuted["verificationStatus"] = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                                 "condition-ver-status", "code": "refuted"}]}
    no_cancer = [refuted if r is hcc else r for r in after]
    warm = create_app(Settings())
    with TestClient(warm) as client:
        first = client.post(URL, json=hook_request(prefetch_for(before))).json()["cards"]
        changed = client.post(URL, json=hook_request(prefetch_for(after))).json()["cards"]
        gone = client.post(URL, json=hook_request(prefetch_for(no_cancer))).json()["cards"]
    with TestClient(create_app(Settings())) as client:
        fresh = client.post(URL, json=hook_request(prefetch_for(after))).json()["cards"]
    assert _cards_without_ids(changed) == _cards_without_ids(fresh)
    assert _cards_without_ids(changed) != _cards_without_ids(first)
    assert "Child-Pugh" in changed[0]["summary"] and changed[0]["summary"] != first[0]["summary"]
    assert gone == []  # the refuted cancer was read, not the kept reading of the same id
    readings = len(warm.state.cds.records.readings)
    observations_and_conditions = sum(r["resourceType"] in ("Observation", "Condition")
                                      for r in before)
    assert readings == observations_and_conditions + 2  # only the two changed ones read again


def test_a_resource_without_an_id_is_named_by_where_it_stands_in_each_record() -> None:
    """A kept resource's entries are reused only when their names do not depend on the
    resource's place in the record: an id-less lab is named by its position each call."""
    resources = resources_for(example("advanced"))
    bilirubin = next(r for r in resources if r.get("id") == "bili")
    del bilirubin["id"]
    extra = {"resourceType": "Condition", "id": "htn", "subject": {"reference": "Patient/p1"},
             "code": {"coding": [{"system": "http://snomed.info/sct", "code": "38341003"}]}}
    shifted = prefetch_for([extra, *resources])
    reader = RecordReader()
    first = asyncio.run(reader.read(prefetch_for(resources), "Patient/p1", small=True))
    second = asyncio.run(reader.read(shifted, "Patient/p1", small=True))
    fresh = asyncio.run(RecordReader().read(shifted, "Patient/p1", small=True))
    where = [m.provenance["bilirubin"]["resource"] for m in (first, second, fresh)]
    assert where[0].endswith("Observation") and where[0].startswith("resource[")
    assert where[1] == where[2] != where[0]
    assert second.report() == fresh.report()


RESOURCE = st.fixed_dictionaries({"resourceType": st.sampled_from(["Observation", "Condition"]),
                                  "value": JSON},
                                 optional={"id": st.sampled_from(["a", "b", None, 1])})
PREFETCH = st.dictionaries(st.sampled_from(["bilirubin", "conditions", "inr"]),
                           st.one_of(RESOURCE, st.lists(RESOURCE, max_size=3).map(
                               lambda rs: {"resourceType": "Bundle", "type": "searchset",
                                           "entry": [{"resource": r} for r in rs]})),
                           max_size=3)


@settings(max_examples=300, deadline=None)
@given(st.lists(PREFETCH, min_size=2, max_size=4))
@hypothesis.example([{"inr": {"resourceType": "Observation", "value": math.nan}},
                     {"inr": {"resourceType": "Observation", "value": None}}])
@hypothesis.example([{"inr": {"resourceType": "Observation", "value": 2**64}},
                     {"inr": {"resourceType": "Observation", "value": float(2**64)}}])
@hypothesis.example([{"inr": {"resourceType": "Observation", "id": "a", "value": 1}},
                     {"inr": {"resourceType": "Observation", "id": "a", "value": 1.0}}])
def test_a_prefetch_value_kept_gives_what_reading_it_afresh_gives(calls: list[Any]) -> None:
    """Each prefetch value's resources, JSON and digests are kept by the value's JSON text:
    call after call, the record (its resources, their digests, its key) is what the
    uncached reading gives, whatever values came before."""
    reader = RecordReader()
    for values in calls:
        kept = reader._record(values, "Patient/p1")
        texts = [canonical(r) for r in gathered_resources(values)]
        digests = [digest_of(t) for t in texts]
        assert (kept.texts, kept.digests) == (texts, digests)
        assert [canonical(r) for r in kept.resources] == texts
        assert kept.key == _record_key("Patient/p1", digests)
