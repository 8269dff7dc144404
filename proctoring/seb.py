"""Safe Exam Browser: Config Keys of settings files, request hashes, start files.

SEB proves two things to the exam server on each request: which settings it runs with (the
**Config Key**, computed from the settings) and which SEB build runs them (the **Browser
Exam Key**, which an admin copies from SEB into the sitting). Neither key travels as such:
each request carries, per key, ``SHA-256(absolute URL without its fragment + key)`` as
lowercase hex, in the ``X-SafeExamBrowser-ConfigKeyHash`` and
``X-SafeExamBrowser-RequestHash`` headers, or, from newer clients, as values of SEB's
JavaScript API that the exam page sends with the URL they were computed for.

The Config Key of a settings file (:func:`config_key`) is SHA-256, as lowercase hex, of the
settings in SEB-JSON form (:func:`seb_json`): ``originatorVersion`` removed; dictionary keys
sorted recursively, case-insensitively, a lowercase letter before its uppercase form when
two keys differ only in case (``allowWlan`` before ``allowWLAN``); empty dictionaries
dropped; no whitespace; strings written as they are, nothing escaped (no escaping of
slashes, backslashes or non-ASCII characters); data as Base64; dates as ISO 8601 in UTC;
the whole encoded as UTF-8.

A ``.seb`` file is an XML property list, plain or gzip-compressed; a compressed one may
start with SEB's four-byte prefix ``plnd`` (plain data, compressed once more). Files
encrypted with a password or a certificate (prefixes ``pswd``, ``pwcc``, ``pkhs``,
``phsk``) are refused: the admin exports the settings unencrypted for Ardoise.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import plistlib
import zlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ardoise.errors import Invalid

CONFIG_KEY_HEADER = "X-SafeExamBrowser-ConfigKeyHash"
BROWSER_EXAM_KEY_HEADER = "X-SafeExamBrowser-RequestHash"
#: A settings file larger than this is refused before it is read.
MAX_SETTINGS_BYTES = 4 * 1024 * 1024
ENCRYPTED_PREFIXES = (b"pswd", b"pwcc", b"pkhs", b"phsk")
PLAIN_PREFIX = b"plnd"
_HEX = frozenset("0123456789abcdef")


class SebSettingsError(Invalid):
    """A settings file Ardoise cannot read; ``code`` says why."""

    code = "seb_settings_invalid"


# Reading settings files.

def _gunzip(data: bytes) -> bytes:
    try:
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = decompressor.decompress(data, MAX_SETTINGS_BYTES * 8 + 1)
    except zlib.error:
        raise SebSettingsError("seb_settings_invalid", "the file is damaged") from None
    if len(out) > MAX_SETTINGS_BYTES * 8:
        raise SebSettingsError("seb_settings_invalid", "the file is too large")
    return out


def _unwrap(data: bytes) -> bytes:
    """The XML of a settings file: plain, gzip-compressed, or ``plnd`` + compressed."""
    for _ in range(4):  # at most: gzip, prefix, gzip, then the XML
        stripped = data.lstrip()
        if stripped.startswith((b"<?xml", b"<plist", b"<!DOCTYPE")):
            return stripped
        if data[:2] == b"\x1f\x8b":
            data = _gunzip(data)
            continue
        if data[:4] in ENCRYPTED_PREFIXES:
            raise SebSettingsError("seb_settings_encrypted",
                                   "the file is encrypted; export it without encryption")
        if data[:4] == PLAIN_PREFIX:
            data = data[4:]
            continue
        break
    raise SebSettingsError("seb_settings_invalid", "not a Safe Exam Browser settings file")


def read_settings(data: bytes) -> dict[str, Any]:
    """The settings of a ``.seb`` file (or of an XML property list of SEB settings).

    :raises SebSettingsError: too large, damaged, encrypted, or not a settings file.
    """
    if len(data) > MAX_SETTINGS_BYTES:
        raise SebSettingsError("seb_settings_invalid", "the file is too large")
    xml = _unwrap(data)
    try:
        settings = plistlib.loads(xml, fmt=plistlib.FMT_XML)
    except Exception:  # plistlib raises several kinds (ExpatError, ValueError, KeyError…)
        raise SebSettingsError("seb_settings_invalid",
                               "not a Safe Exam Browser settings file") from None
    if not isinstance(settings, dict):
        raise SebSettingsError("seb_settings_invalid", "the settings are not a dictionary")
    return settings


# The Config Key.

def _key_order(key: str) -> tuple[str, str]:
    # Case-insensitive first; between keys equal but for case, lowercase letters first.
    return key.lower(), key.swapcase()


def _is_empty_dict(value: Any) -> bool:
    return isinstance(value, Mapping) and not _kept(value)


def _kept(mapping: Mapping[str, Any]) -> list[str]:
    return sorted((k for k, v in mapping.items() if not _is_empty_dict(v)), key=_key_order)


def _json(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bytes | bytearray):
        return f'"{base64.b64encode(bytes(value)).decode()}"'
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return f'"{moment.strftime("%Y-%m-%dT%H:%M:%SZ")}"'
    if isinstance(value, Mapping):
        return "{" + ",".join(f'"{k}":{_json(value[k])}' for k in _kept(value)) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_json(v) for v in value if not _is_empty_dict(v)) + "]"
    raise SebSettingsError("seb_settings_invalid", f"unsupported value {type(value).__name__}")


def seb_json(settings: Mapping[str, Any]) -> str:
    """The settings in SEB-JSON form (see the module's words)."""
    return _json({k: v for k, v in settings.items() if k != "originatorVersion"})


def config_key(settings: Mapping[str, Any]) -> str:
    """The Config Key of ``settings``: 64 lowercase hexadecimal characters."""
    return hashlib.sha256(seb_json(settings).encode("utf-8")).hexdigest()


def config_key_of_file(data: bytes) -> str:
    return config_key(read_settings(data))


# Checking requests.

def without_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def expected_hash(url: str, key: str) -> str:
    """The hash a request to ``url`` carries for ``key`` (a Config Key or a Browser Exam
    Key): SHA-256 of the absolute URL without its fragment followed by the key, as
    lowercase hex."""
    return hashlib.sha256((without_fragment(url) + key).encode("utf-8")).hexdigest()


def is_key(value: object) -> bool:
    """64 lowercase hexadecimal characters (how SEB writes its keys and hashes)."""
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


def same_origin(url: str, origin: str) -> bool:
    """``url`` is absolute and on ``origin`` (scheme, host and port, e.g.
    ``https://examens.example.ca``); anything else was computed for someone else's page."""
    try:
        parts, own = urlsplit(url), urlsplit(origin)
        return (parts.scheme.lower(), parts.hostname, parts.port or _port(parts.scheme)) == (
            own.scheme.lower(), own.hostname, own.port or _port(own.scheme)) and \
            parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def _port(scheme: str) -> int | None:
    return {"http": 80, "https": 443}.get(scheme.lower())


def hash_matches(url: str, sent: object, keys: Iterable[str]) -> bool:
    """``sent`` is the hash of ``url`` with one of ``keys`` (compared in constant time)."""
    if not is_key(sent):
        return False
    assert isinstance(sent, str)
    return any(hmac.compare_digest(expected_hash(url, key), sent) for key in keys)


def start_file(start_url: str, quit_url: str | None = None,
               extra: Mapping[str, Any] | None = None) -> bytes:
    """A ``.seb`` file that starts SEB on ``start_url`` and sends the keys' hashes on every
    request (plain XML; SEB opens it as is), with the Config Key Ardoise then expects
    being :func:`config_key` of the same settings."""
    settings: dict[str, Any] = {
        "startURL": start_url, "sendBrowserExamKey": True, "examSessionClearCookiesOnStart":
        False, "allowQuit": True, "quitURLConfirm": True, "browserViewMode": 1,
        "URLFilterEnable": False, **({"quitURL": quit_url} if quit_url else {}),
        **(extra or {})}
    return plistlib.dumps(settings, fmt=plistlib.FMT_XML, sort_keys=True)


def compressed(data: bytes) -> bytes:
    """A settings file as SEB writes an unencrypted one: gzip of ``plnd`` + gzip of the XML."""
    return gzip.compress(PLAIN_PREFIX + gzip.compress(data, mtime=0), mtime=0)
