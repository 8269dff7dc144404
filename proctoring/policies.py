"""A sitting's integrity policy: which events count, the thresholds that raise a flag, what
the student is told, whether a flag pauses the attempt, and how long detail is kept.

The system raises flags; a person decides. No rule ever fails or submits an attempt.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ardoise.errors import Invalid
from proctoring.models import IntegrityPolicy

#: Events the exam page reports (``integrity:event``), with their severity.
CLIENT_EVENTS: dict[str, str] = {
    "tab_hidden": "warning", "tab_visible": "info",
    "window_blur": "warning", "window_focus": "info",
    "fullscreen_exit": "warning",
    "copy": "warning", "paste": "warning", "cut": "warning",
    "context_menu": "info", "print": "warning", "reload": "info",
    "network_down": "info", "network_up": "info",
}
#: Events the server records itself (always kept: they are the server's own findings).
SERVER_EVENTS: dict[str, str] = {
    "ip_change": "warning", "new_device": "alert", "new_session": "info",
    "clock_skew": "warning", "key_mismatch": "alert",
}
#: An absence starts with either of these and ends with either of their companions.
AWAY_STARTS = ("tab_hidden", "window_blur")
AWAY_ENDS = ("tab_visible", "window_focus")
#: Counting an event counts its companion too (an absence needs its end to be measured).
COMPANIONS = {"tab_hidden": "tab_visible", "window_blur": "window_focus",
              "network_down": "network_up"}


@dataclass(frozen=True)
class Rule:
    """A threshold a policy may set: reached when the count of ``counts`` (or, for
    ``away_seconds``, the longest absence in seconds) is at least the threshold."""

    name: str
    counts: tuple[str, ...]
    needs: tuple[str, ...]  # the events the policy must count for the rule to work
    integer: bool = True


RULES: dict[str, Rule] = {rule.name: rule for rule in (
    Rule("focus_losses", ("away",), AWAY_STARTS),
    Rule("away_seconds", (), AWAY_STARTS, integer=False),
    Rule("copy_paste", ("copy", "paste", "cut"), ("copy", "paste", "cut")),
    Rule("fullscreen_exits", ("fullscreen_exit",), ("fullscreen_exit",)),
    Rule("print_attempts", ("print",), ("print",)),
    Rule("reloads", ("reload",), ("reload",)),
    Rule("network_drops", ("network_down",), ("network_down",)),
    Rule("ip_changes", ("ip_change",), ()),
    Rule("new_devices", ("new_device",), ()),
    Rule("time_anomalies", ("clock_skew",), ()),
    Rule("key_mismatches", ("key_mismatch",), ()),
)}

DEFAULT_COUNTED = ("tab_hidden", "window_blur", "fullscreen_exit", "copy", "paste", "cut",
                   "print", "reload", "network_down")
DEFAULT_THRESHOLDS = {"focus_losses": 3.0, "away_seconds": 30.0, "new_devices": 1.0,
                      "key_mismatches": 1.0}
MAX_RETENTION_DAYS = 3650


def counted_types(counted: Iterable[str]) -> set[str]:
    """The client events a policy keeps: the ones it names and their companions."""
    kept = set(counted)
    return kept | {COMPANIONS[t] for t in kept if t in COMPANIONS}


def validate(counted: Iterable[str], thresholds: Mapping[str, float],
             retention_days: int) -> tuple[list[str], dict[str, float]]:
    """The policy's counted events and thresholds, checked; the field at fault otherwise."""
    events = sorted(set(counted))
    if any(t not in CLIENT_EVENTS for t in events):
        raise Invalid("integrity_policy_invalid", field="counted")
    checked: dict[str, float] = {}
    for name, value in thresholds.items():
        rule = RULES.get(name)
        if rule is None or isinstance(value, bool) or not isinstance(value, int | float) or \
                not math.isfinite(value) or value <= 0 or value > 100_000 or \
                (rule.integer and value != int(value)):
            raise Invalid("integrity_policy_invalid", field="thresholds", rule=name)
        if rule.needs and not set(rule.needs) & set(events):
            # A threshold on events the policy does not keep could never be reached.
            raise Invalid("integrity_policy_invalid", field="thresholds", rule=name)
        checked[name] = float(value)
    if isinstance(retention_days, bool) or not isinstance(retention_days, int) or \
            not 1 <= retention_days <= MAX_RETENTION_DAYS:
        raise Invalid("integrity_policy_invalid", field="retention_days")
    return events, checked


def set_policy(session: Session, sitting_id: str, *, counted: Iterable[str] = DEFAULT_COUNTED,
               thresholds: Mapping[str, float] | None = None, warn_student: bool = True,
               pause_on_flag: bool = False, retention_days: int = 365,
               author_id: str | None = None, now: datetime) -> IntegrityPolicy:
    """Create or replace the sitting's policy (the caller checks who may, and audits)."""
    events, checked = validate(counted, DEFAULT_THRESHOLDS if thresholds is None
                               else thresholds, retention_days)
    policy = session.get(IntegrityPolicy, sitting_id)
    if policy is None:
        policy = IntegrityPolicy(sitting_id=sitting_id)
        session.add(policy)
    policy.counted = events
    policy.thresholds = checked
    policy.warn_student = warn_student
    policy.pause_on_flag = pause_on_flag
    policy.retention_days = retention_days
    policy.updated_by = author_id
    policy.updated_at = now
    session.flush()
    return policy


def get_policy(session: Session, sitting_id: str) -> IntegrityPolicy | None:
    return session.get(IntegrityPolicy, sitting_id)
