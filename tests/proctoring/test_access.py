"""A sitting's access rules, checked without a server: address ranges (through IPv4-mapped
IPv6 too), Safe Exam Browser proofs from headers or from the page, foreign URLs."""

from __future__ import annotations

import pytest

from ardoise.errors import Invalid
from proctoring import access, seb
from proctoring.access import AccessRefused, SebProof
from proctoring.models import SittingAccess

ORIGIN = "https://examens.example.ca"
URL = "https://examens.example.ca/exam/01abc"
CONFIG_KEY = "2b4d343ffe1a99a022c4627e970cf7290994a9e17fb616673c9ba584f1e8c474"
BROWSER_KEY = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"


def rules(**kw: object) -> SittingAccess:
    values: dict[str, object] = {"ip_ranges": [], "one_device": False, "seb_required": False,
                                 "config_keys": [], "browser_exam_keys": []}
    values.update(kw)
    return SittingAccess(sitting_id="s", **values)


@pytest.mark.parametrize("address, allowed", [
    ("10.20.30.40", True), ("10.20.31.1", False), ("192.0.2.9", True),
    ("::ffff:10.20.30.7", True), ("2001:db8::5", True), ("2001:db9::5", False),
    ("", False), (None, False), ("not-an-address", False),
])
def test_an_address_must_be_in_the_rooms_ranges(address: str | None, allowed: bool) -> None:
    room = rules(ip_ranges=access.parse_ranges(["10.20.30.0/24", "192.0.2.9", "2001:db8::/32"]))
    assert access.address_allowed(room, address) is allowed
    assert access.address_allowed(rules(), address) is True  # no ranges: any address
    assert access.address_allowed(None, address) is True


def test_ranges_and_keys_are_checked_when_saved() -> None:
    assert access.parse_ranges([" 10.0.0.7/24 ", ""]) == ["10.0.0.0/24"]
    with pytest.raises(Invalid) as bad:
        access.parse_ranges(["10.0.0.300/24"])
    assert bad.value.params["field"] == "ip_ranges"
    assert access.parse_keys([BROWSER_KEY.upper(), BROWSER_KEY], "k") == [BROWSER_KEY]
    with pytest.raises(Invalid):
        access.parse_keys(["abc"], "browser_exam_keys")


def proof(url: str = URL, config: str | None = CONFIG_KEY,
          browser: str | None = BROWSER_KEY) -> SebProof:
    return SebProof(url, seb.expected_hash(url, config) if config else None,
                    seb.expected_hash(url, browser) if browser else None)


def test_safe_exam_browser_proofs() -> None:
    both = rules(seb_required=True, config_keys=[CONFIG_KEY], browser_exam_keys=[BROWSER_KEY])
    assert access.seb_verdict(both, proof(), ORIGIN) is None
    assert access.seb_verdict(both, None, ORIGIN) == "seb_required"
    assert access.seb_verdict(both, SebProof(URL), ORIGIN) == "seb_required"  # no headers
    assert access.seb_verdict(both, proof(browser=None), ORIGIN) == "seb_mismatch"
    assert access.seb_verdict(both, proof(config="f" * 64), ORIGIN) == "seb_mismatch"
    foreign = "https://evil.test/exam/01abc"
    assert access.seb_verdict(both, proof(url=foreign), ORIGIN) == "seb_mismatch"
    # A proof for another page of ours is still ours (each request has its own URL).
    assert access.seb_verdict(both, proof(url=URL + "?page=2"), ORIGIN) is None
    only_browser = rules(seb_required=True, browser_exam_keys=[BROWSER_KEY])
    assert access.seb_verdict(only_browser, proof(config=None), ORIGIN) is None
    assert access.seb_verdict(rules(), None, ORIGIN) is None  # not required


def test_headers_and_join_values_give_the_same_proof() -> None:
    headers = {seb.CONFIG_KEY_HEADER: seb.expected_hash(URL, CONFIG_KEY),
               seb.BROWSER_EXAM_KEY_HEADER: seb.expected_hash(URL, BROWSER_KEY)}
    from_headers = SebProof.from_headers(URL, headers)
    from_join = SebProof.from_join({"url": URL, "config_key_hash": headers[seb.CONFIG_KEY_HEADER],
                                    "browser_exam_key_hash": headers[seb.BROWSER_EXAM_KEY_HEADER]})
    assert from_headers == from_join
    assert SebProof.from_join({"config_key_hash": "x"}) is None
    assert SebProof.from_join("nope") is None


def test_check_names_the_rule_that_refuses() -> None:
    room = rules(ip_ranges=["10.0.0.0/8"], seb_required=True, config_keys=[CONFIG_KEY])
    access.check(room, address="10.1.2.3", proof=proof(browser=None), origin=ORIGIN)
    with pytest.raises(AccessRefused) as outside:
        access.check(room, address="192.0.2.1", proof=proof(), origin=ORIGIN)
    assert outside.value.code == "outside_range"
    with pytest.raises(AccessRefused) as missing:
        access.check(room, address="10.1.2.3", proof=None, origin=ORIGIN)
    assert missing.value.code == "seb_required"
