"""Safe Exam Browser keys: the Config Key of settings files written for these tests, request
hashes against known-answer vectors (computed from the rule with sha256sum, outside this
code), missing and wrong hashes, foreign URLs, and the command line."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from ardoise.cli.commands import cli
from proctoring import seb

HERE = Path(__file__).parent
SETTINGS_XML = (HERE / "settings.xml").read_bytes()
# The settings above in SEB-JSON, written out by hand from the rule: originatorVersion gone,
# keys sorted case-insensitively (allowWlan before allowWLAN, Prohibited between examKeySalt
# and startURL), empty dictionaries dropped (in a dictionary and in an array), data as
# Base64, the date in UTC, slashes, backslashes and accents left as they are, no whitespace.
SEB_JSON = (
    '{"allowWlan":false,"allowWLAN":true,"browserViewMode":1,"created":"2026-11-26T18:30:00Z",'
    '"downloadDirectoryWin":"C:\\Users\\élève\\Téléchargements","examKeySalt":"AAECAwQF/w==",'
    '"Prohibited":{"Alpha":{"b":"a/b\\c"},"zeta":"z"},'
    '"startURL":"https://examens.example.ca/exam/01abc?lang=fr",'
    '"URLFilterRules":[{"action":1,"active":true,"expression":"examens.example.ca/*",'
    '"regex":false}],"zoomFactor":1.5}')
# printf '%s' "$SEB_JSON" | sha256sum
CONFIG_KEY = "2b4d343ffe1a99a022c4627e970cf7290994a9e17fb616673c9ba584f1e8c474"
URL = "https://examens.example.ca/exam/01abc?lang=fr"
# printf '%s' "$URL$CONFIG_KEY" | sha256sum
URL_HASH = "d223ed168d0e034848727a1952270dd67aad60e17bec6121a28004e6b15d4782"
BROWSER_EXAM_KEY = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
# printf '%s' 'https://exam.example.ca/exam/1?x=2'"$BROWSER_EXAM_KEY" | sha256sum
BEK_HASH = "d5917dec5d4ffca915113f5b5022aaa06e62e2bb05916eb0f4d3327d372cc198"


def test_the_seb_json_of_a_settings_file_follows_the_rule() -> None:
    settings = seb.read_settings(SETTINGS_XML)
    assert seb.seb_json(settings) == SEB_JSON
    assert hashlib.sha256(SEB_JSON.encode()).hexdigest() == CONFIG_KEY


@pytest.mark.parametrize("wrap", [
    lambda xml: xml,  # plain XML
    lambda xml: gzip.compress(xml),  # gzip-compressed
    seb.compressed,  # as SEB writes an unencrypted file: gzip("plnd" + gzip(xml))
    lambda xml: b"\n  " + xml,  # leading whitespace
], ids=["plain", "gzip", "plnd", "whitespace"])
def test_the_config_key_of_a_file_is_the_same_however_it_is_packed(wrap) -> None:  # type: ignore[no-untyped-def]
    assert seb.config_key_of_file(wrap(SETTINGS_XML)) == CONFIG_KEY


def test_what_changes_the_config_key_and_what_does_not() -> None:
    settings = seb.read_settings(SETTINGS_XML)
    assert seb.config_key({**settings, "originatorVersion": "SEB_OSX_3.6"}) == CONFIG_KEY
    assert seb.config_key({**settings, "more": {}}) == CONFIG_KEY  # empty: dropped
    assert seb.config_key({**settings, "allowWLAN": False}) != CONFIG_KEY
    assert seb.config_key({**settings, "zoomFactor": 1.25}) != CONFIG_KEY
    # Keys that differ only in case are two settings, in a fixed order.
    assert seb.seb_json({"aB": 1, "ab": 2, "Ab": 3, "AB": 4}) == '{"ab":2,"aB":1,"Ab":3,"AB":4}'


@pytest.mark.parametrize("data, code", [
    (gzip.compress(b"pswd" + b"\x00" * 64), "seb_settings_encrypted"),
    (b"pwcc" + b"\x00" * 64, "seb_settings_encrypted"),
    (gzip.compress(b"pkhs" + b"\x00" * 64), "seb_settings_encrypted"),
    (b"hello", "seb_settings_invalid"),
    (b"\x1f\x8b\x08\x00broken", "seb_settings_invalid"),
    (b"<?xml version='1.0'?><plist><array/></plist>", "seb_settings_invalid"),
    (b"<?xml version='1.0'?><plist><dict><key>a</key>", "seb_settings_invalid"),
], ids=["password", "password-client", "certificate", "text", "damaged", "not-a-dict",
        "truncated"])
def test_an_unusable_file_is_refused_with_its_reason(data: bytes, code: str) -> None:
    with pytest.raises(seb.SebSettingsError) as refused:
        seb.read_settings(data)
    assert refused.value.code == code


def test_request_hashes_match_the_known_answers() -> None:
    assert seb.expected_hash(URL, CONFIG_KEY) == URL_HASH
    assert seb.expected_hash(URL + "#question-3", CONFIG_KEY) == URL_HASH  # no fragment
    assert seb.expected_hash("https://exam.example.ca/exam/1?x=2", BROWSER_EXAM_KEY) == BEK_HASH


def test_a_missing_or_wrong_hash_is_refused() -> None:
    keys = [BROWSER_EXAM_KEY, CONFIG_KEY]
    assert seb.hash_matches(URL, URL_HASH, keys)
    assert not seb.hash_matches(URL, None, keys)  # header missing
    assert not seb.hash_matches(URL, "", keys)
    assert not seb.hash_matches(URL, URL_HASH.upper(), keys)  # SEB sends lowercase hex
    assert not seb.hash_matches(URL, URL_HASH[:-1] + "0", keys)
    assert not seb.hash_matches(URL + "&x=1", URL_HASH, keys)  # computed for another page
    assert not seb.hash_matches(URL, URL_HASH, [BROWSER_EXAM_KEY])  # another key
    assert not seb.hash_matches(URL, URL_HASH, [])


@pytest.mark.parametrize("url, ours", [
    ("https://examens.example.ca/exam/1", True),
    ("https://EXAMENS.example.ca:443/exam/1?a=b#c", True),
    ("http://examens.example.ca/exam/1", False),  # another scheme
    ("https://examens.example.ca:8443/exam/1", False),  # another port
    ("https://examens.example.ca.evil.test/exam/1", False),
    ("https://evil.test/https://examens.example.ca/", False),
    ("/exam/1", False),  # not absolute
    ("javascript:alert(1)", False),
    ("https://[::1", False),  # not a URL
])
def test_only_urls_of_our_own_origin_are_accepted(url: str, ours: bool) -> None:
    assert seb.same_origin(url, "https://examens.example.ca") is ours


def test_a_start_file_reads_back_with_its_own_config_key() -> None:
    made = seb.start_file("https://examens.example.ca/seb/start/01abc",
                          quit_url="https://examens.example.ca/seb/quit")
    settings = seb.read_settings(made)
    assert settings["startURL"] == "https://examens.example.ca/seb/start/01abc"
    assert settings["sendBrowserExamKey"] is True
    assert seb.config_key_of_file(made) == seb.config_key(settings)
    assert seb.config_key_of_file(seb.compressed(made)) == seb.config_key(settings)


def test_the_command_line_prints_keys_and_hashes(tmp_path: Path) -> None:
    runner = CliRunner()
    packed = tmp_path / "examen.seb"
    packed.write_bytes(seb.compressed(SETTINGS_XML))
    printed = runner.invoke(cli, ["seb", "config-key", str(packed)])
    assert printed.exit_code == 0 and printed.output == CONFIG_KEY + "\n"
    hashed = runner.invoke(cli, ["seb", "expected-hash", "--url",
                                 "https://exam.example.ca/exam/1?x=2#top", "--key",
                                 BROWSER_EXAM_KEY])
    assert hashed.exit_code == 0 and hashed.output == BEK_HASH + "\n"
    encrypted = tmp_path / "chiffre.seb"
    encrypted.write_bytes(gzip.compress(b"pswd" + b"\x00" * 32))
    refused = runner.invoke(cli, ["seb", "config-key", str(encrypted)])
    assert refused.exit_code == 1 and "encrypted" in refused.output
    relative = runner.invoke(cli, ["seb", "expected-hash", "--url", "/exam/1", "--key", "k"])
    assert relative.exit_code == 2 and "absolute" in relative.output
