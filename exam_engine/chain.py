"""The answer log's hash chain, as specified in ARCHITECTURE.md."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text (non-ASCII characters are not escaped)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def genesis(attempt_id: str) -> str:
    """``h0 = sha256("ardoise:" + attempt_id)``."""
    return hashlib.sha256(f"ardoise:{attempt_id}".encode()).hexdigest()


def canonical_entry(attempt_id: str, seq: int, slot: int, response: Any, saved_at: str) -> str:
    return canonical_json(
        {"attempt_id": attempt_id, "seq": seq, "slot": slot, "response": response,
         "saved_at": saved_at}
    )


def next_hash(previous: str, entry_canonical: str) -> str:
    """``h_n = sha256(h_{n-1} + canonical(entry_n))`` as lowercase hex."""
    return hashlib.sha256((previous + entry_canonical).encode()).hexdigest()


def verify(attempt_id: str, entries: Iterable[Mapping[str, Any]]) -> str:
    """Recompute the chain over log entries (dicts as the log endpoint gives them).

    Returns the last hash; raises ``ValueError`` at the first entry whose stored
    hash does not match.
    """
    current = genesis(attempt_id)
    for entry in entries:
        current = next_hash(
            current,
            canonical_entry(attempt_id, entry["seq"], entry["slot"], entry["response"],
                            entry["saved_at"]),
        )
        if entry.get("hash") is not None and entry["hash"] != current:
            raise ValueError(f"chain broken at seq {entry['seq']}")
    return current
