"""The answer log's hash chain, recomputed independently of the product's helpers."""

import hashlib
import json

import pytest

from exam_engine import chain


def own_canonical(entry: dict[str, object]) -> str:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_genesis_is_sha256_of_prefixed_attempt_id() -> None:
    assert chain.genesis("01abc") == hashlib.sha256(b"ardoise:01abc").hexdigest()


def test_canonical_sorts_keys_without_whitespace_or_escapes() -> None:
    text = chain.canonical_entry("A", 2, 1, {"text": "Québec", "b": [1, 2]},
                                 "2026-05-01T14:03:22.123Z")
    assert text == ('{"attempt_id":"A","response":{"b":[1,2],"text":"Québec"},'
                    '"saved_at":"2026-05-01T14:03:22.123Z","seq":2,"slot":1}')


def test_chain_matches_the_specification() -> None:
    entries = [
        {"seq": 1, "slot": 0, "response": {"choice": "a"}, "saved_at": "2026-05-01T14:00:00.000Z"},
        {"seq": 2, "slot": 3, "response": None, "saved_at": "2026-05-01T14:00:01.500Z"},
    ]
    expected = hashlib.sha256(b"ardoise:X").hexdigest()
    for e in entries:
        canonical = own_canonical({"attempt_id": "X", **e})
        expected = hashlib.sha256((expected + canonical).encode()).hexdigest()
    assert chain.verify("X", entries) == expected


def test_verify_detects_a_tampered_entry() -> None:
    first = {"seq": 1, "slot": 0, "response": {"value": True},
             "saved_at": "2026-05-01T14:00:00.000Z"}
    first["hash"] = chain.next_hash(chain.genesis("X"), chain.canonical_entry("X", **{
        k: first[k] for k in ("seq", "slot", "response", "saved_at")}))
    chain.verify("X", [first])
    tampered = {**first, "response": {"value": False}}
    with pytest.raises(ValueError, match="seq 1"):
        chain.verify("X", [tampered])


def test_canonical_refuses_nan() -> None:
    with pytest.raises(ValueError):
        chain.canonical_json({"value": float("nan")})
