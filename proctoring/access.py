"""A sitting's access rules and the checks the exam path makes with them.

Each rule is optional (``SittingAccess``; a sitting without a row has none):

- **IP ranges**: the student's address, as seen through the trusted proxies
  (``ARDOISE_TRUSTED_PROXIES``), must be in one of the ranges (``outside_range``);
- **one device**: the attempt belongs to the first device that joins it; any other
  browser or device is refused ``other_device`` until a proctor unlocks the attempt, and
  the first keeps working (a reconnect of the same browser keeps its device id);
- **Safe Exam Browser**: every exam request and Socket.IO connection carries, for a
  Config Key and a Browser Exam Key the sitting accepts, the hash of its URL
  (``proctoring.seb``), from the headers or from the values SEB's JavaScript API gave the
  page (``attempt:join``'s ``seb``), computed for a URL of our own origin
  (``seb_required`` / ``seb_mismatch``).

The checks are pure: the caller passes what it saw and records what they found.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ardoise.errors import DomainError, Invalid
from proctoring import seb
from proctoring.models import SittingAccess

MAX_RANGES = 50
MAX_KEYS = 20


class AccessRefused(DomainError):
    """The sitting's access rules refuse this request; ``code`` says which rule."""

    status = 403
    code = "forbidden"


@dataclass(frozen=True)
class SebProof:
    """What a request showed of Safe Exam Browser: the hashes and the URL they are for."""

    url: str
    config_key_hash: str | None = None
    browser_exam_key_hash: str | None = None

    @classmethod
    def from_headers(cls, url: str, headers: Any) -> SebProof:
        """From the request headers (any mapping with ``get``; names are case-insensitive
        in a request's headers)."""
        return cls(url, headers.get(seb.CONFIG_KEY_HEADER),
                   headers.get(seb.BROWSER_EXAM_KEY_HEADER))

    @classmethod
    def from_join(cls, value: Any) -> SebProof | None:
        """``attempt:join``'s ``seb`` field: ``{config_key_hash, browser_exam_key_hash, url}``."""
        if not isinstance(value, dict) or not isinstance(value.get("url"), str):
            return None
        def text(key: str) -> str | None:
            found = value.get(key)
            return found if isinstance(found, str) else None
        return cls(value["url"][:2048], text("config_key_hash"), text("browser_exam_key_hash"))


def parse_ranges(ranges: Iterable[str]) -> list[str]:
    """Normalised CIDR ranges; ``ip_ranges`` names the field at fault otherwise."""
    parsed = []
    for text in ranges:
        text = text.strip()
        if not text:
            continue
        try:
            parsed.append(str(ipaddress.ip_network(text, strict=False)))
        except ValueError:
            raise Invalid("access_rules_invalid", field="ip_ranges", value=text[:60]) from None
    if len(parsed) > MAX_RANGES:
        raise Invalid("access_rules_invalid", field="ip_ranges")
    return parsed


def parse_keys(keys: Iterable[str], field: str) -> list[str]:
    found = [k.strip().lower() for k in keys if k.strip()]
    if len(found) > MAX_KEYS or not all(seb.is_key(k) for k in found):
        raise Invalid("access_rules_invalid", field=field)
    return sorted(set(found))


def set_access(session: Session, sitting_id: str, *, ip_ranges: Iterable[str] = (),
               one_device: bool = False, seb_required: bool = False,
               config_keys: Iterable[str] = (), browser_exam_keys: Iterable[str] = (),
               author_id: str | None = None, now: datetime) -> SittingAccess:
    """Create or replace the sitting's rules (the caller checks who may, and audits)."""
    ranges = parse_ranges(ip_ranges)
    configs = parse_keys(config_keys, "config_keys")
    browsers = parse_keys(browser_exam_keys, "browser_exam_keys")
    if seb_required and not configs and not browsers:
        raise Invalid("access_rules_invalid", field="config_keys")
    rules = session.get(SittingAccess, sitting_id)
    if rules is None:
        rules = SittingAccess(sitting_id=sitting_id)
        session.add(rules)
    rules.ip_ranges, rules.one_device, rules.seb_required = ranges, one_device, seb_required
    rules.config_keys, rules.browser_exam_keys = configs, browsers
    rules.updated_by, rules.updated_at = author_id, now
    session.flush()
    return rules


def get_access(session: Session, sitting_id: str) -> SittingAccess | None:
    return session.get(SittingAccess, sitting_id)


def address_allowed(rules: SittingAccess | None, address: str | None) -> bool:
    if rules is None or not rules.ip_ranges:
        return True
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in ipaddress.ip_network(r) for r in rules.ip_ranges)


def seb_verdict(rules: SittingAccess | None, proof: SebProof | None, origin: str) -> str | None:
    """``None`` when Safe Exam Browser is not required or the proof holds; otherwise why
    not: ``seb_required`` (no hashes at all) or ``seb_mismatch`` (hashes that do not match
    a key the sitting accepts, or computed for another origin)."""
    if rules is None or not rules.seb_required:
        return None
    if proof is None or not (proof.config_key_hash or proof.browser_exam_key_hash):
        return "seb_required"
    if not seb.same_origin(proof.url, origin):
        return "seb_mismatch"
    if rules.config_keys and not seb.hash_matches(proof.url, proof.config_key_hash,
                                                  rules.config_keys):
        return "seb_mismatch"
    if rules.browser_exam_keys and not seb.hash_matches(
            proof.url, proof.browser_exam_key_hash, rules.browser_exam_keys):
        return "seb_mismatch"
    return None


def check(rules: SittingAccess | None, *, address: str | None, proof: SebProof | None,
          origin: str) -> None:
    """Refuse what the rules refuse (``outside_range``, ``seb_required``,
    ``seb_mismatch``); the one-device rule is the attempt's (``exam_engine.attempts``)."""
    if not address_allowed(rules, address):
        raise AccessRefused("outside_range")
    verdict = seb_verdict(rules, proof, origin)
    if verdict is not None:
        raise AccessRefused(verdict)
