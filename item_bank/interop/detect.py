"""Import entry point: tell the format from the content, read it, all or nothing.

Formats: an IMS content package (zip with ``imsmanifest.xml``) of QTI 3.0 or 2.x
items and tests, a single QTI item or test XML, Moodle XML (``<quiz>``), GIFT text.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Callable
from io import BytesIO
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from item_bank.interop import gift, moodle_xml, qti3, qti21
from item_bank.interop.model import (
    Context,
    ImportInvalid,
    ImportResult,
    ItemProblem,
    Outcome,
    ParsedTest,
    Sanitiser,
    Skipped,
    attempt,
    finish,
)
from item_bank.interop.safe_xml import (
    MAX_DOCUMENT_BYTES,
    UnsafeXml,
    local,
    namespace,
    parse_xml,
    strip_namespaces,
)
from item_bank.registry import ItemTypeRegistry, default_registry
from item_bank.rich_text import sanitise_html

MAX_PACKAGE_BYTES = 200 * 1024 * 1024  # uncompressed, all entries together
MAX_PACKAGE_ENTRIES = 20_000


def parse(data: bytes, filename: str, skip_unsupported: bool = False, *,
          language: str = "fr", sanitise: Sanitiser = sanitise_html,
          registry: ItemTypeRegistry | None = None) -> ImportResult:
    """Read every item (and QTI test) of one file.

    :param skip_unsupported: import the items that can be, and list the others in
        ``ImportResult.skipped`` with why; otherwise the first refused item raises.
    :param language: the language of texts whose file does not say (Moodle, GIFT).
    :param sanitise: applied to every HTML fragment taken from the file (stems,
        options, passages, rubrics, gap texts) before validation. The default is the
        item bank's allowlist sanitiser; pass ``keep_html`` only to inspect a file.
    :raises ImportInvalid: naming the file, the item and the reason.
    """
    ctx = Context(filename, language, sanitise, registry or default_registry())
    if data.startswith(b"PK\x03\x04"):
        return read_package(data, ctx, skip_unsupported)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ImportInvalid(filename, "too_large", "document_too_large", max=MAX_DOCUMENT_BYTES)
    text_start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if text_start == b"<":
        root = xml_root(data, ctx, filename)
        kind = local(root.tag)
        if kind == "quiz":
            return moodle_xml.read(strip_namespaces(root), ctx, skip_unsupported)
        if kind in ("qti-assessment-item", "assessmentItem", "qti-assessment-test",
                    "assessmentTest"):
            outcomes: list[Outcome] = []
            tests = read_qti_document(root, filename, ctx, outcomes, lambda i, h: i)
            return finish(ctx, outcomes, skip_unsupported, tests)
        raise ImportInvalid(filename, "unknown_format", "xml_root_unknown", root=kind)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportInvalid(filename, "unknown_format", "not_text") from None
    if "{" not in text:
        raise ImportInvalid(filename, "unknown_format", "no_gift_question")
    return gift.read(text, ctx, skip_unsupported)


def xml_root(data: bytes, ctx: Context, name: str) -> Element:
    try:
        return parse_xml(data)
    except UnsafeXml as error:
        raise ImportInvalid(name, error.reason, error.problem, **error.values) from None


def read_qti_document(root: Element, path: str, ctx: Context, outcomes: list[Outcome],
                      item_id_of: Callable[[str, str], str]) -> list[ParsedTest]:
    """Read one QTI item or test document into ``outcomes``; return the test, if any."""
    ns = namespace(root.tag)
    fmt = "qti3" if ns == qti3.NS else "qti2" if ns in qti21.NAMESPACES else ""
    if not fmt:
        raise ImportInvalid(path, "unknown_format", "qti_namespace_unknown", namespace=ns)
    strip_namespaces(root)
    if fmt == "qti2":
        qti21.rename_to_qti3(root)
    if root.tag == "qti-assessment-test":
        return [qti3.read_test(root, item_id_of)]
    if root.tag != "qti-assessment-item":
        raise ImportInvalid(path, "unknown_format", "qti_root_unknown", root=root.tag)
    identifier = root.get("identifier") or path
    attempt(outcomes, identifier, root.get("title") or identifier,
            lambda: qti3.read_item(root, ctx, fmt))
    return []


def read_package(data: bytes, ctx: Context, skip_unsupported: bool) -> ImportResult:
    name = ctx.filename
    try:
        package = zipfile.ZipFile(BytesIO(data))
        entries = package.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise ImportInvalid(name, "bad_package", "zip_unreadable", error=error) from None
    if len(entries) > MAX_PACKAGE_ENTRIES:
        raise ImportInvalid(name, "bad_package", "too_many_entries", max=MAX_PACKAGE_ENTRIES)
    if sum(e.file_size for e in entries) > MAX_PACKAGE_BYTES:
        raise ImportInvalid(name, "too_large", "package_too_large", max=MAX_PACKAGE_BYTES)
    for entry in entries:
        path = entry.filename
        if path.startswith("/") or "\\" in path or ".." in path.split("/") or ":" in path:
            raise ImportInvalid(name, "bad_package", "unsafe_entry_name", entry=repr(path))
    names = {e.filename for e in entries}
    if "imsmanifest.xml" not in names:
        raise ImportInvalid(name, "bad_package", "no_manifest")

    def read(path: str) -> Element:
        with package.open(path) as handle:
            # The header's size may lie: read one byte more than allowed to notice.
            body = handle.read(MAX_DOCUMENT_BYTES + 1)
        return xml_root(body, ctx, f"{name}:{path}")

    manifest = strip_namespaces(read("imsmanifest.xml"))
    hrefs = []
    for resource in manifest.iter("resource"):
        href = resource.get("href") or next(
            (f.get("href", "") for f in resource.iter("file")), "")
        kind = resource.get("type", "")
        if href and kind.startswith("imsqti_") and href.endswith(".xml"):
            hrefs.append(posixpath.normpath(unquote(href)))
    outcomes: list[Outcome] = []
    tests: list[ParsedTest] = []
    item_ids: dict[str, str] = {}
    test_roots: list[tuple[str, Element]] = []
    def resolve(base: str, href: str) -> str:
        return posixpath.normpath(posixpath.join(posixpath.dirname(base), unquote(href)))

    queue = list(dict.fromkeys(hrefs))
    done: set[str] = set()
    while queue:
        href = queue.pop(0)
        if href in done:
            continue
        done.add(href)
        if href not in names:
            raise ImportInvalid(name, "bad_package", "resource_missing", href=repr(href))
        root = read(href)
        if local(root.tag) in ("qti-assessment-test", "assessmentTest"):
            test_roots.append((href, root))
            # Some tools list only the test in the manifest: read the items it refers to.
            queue += [resolve(href, ref.get("href", "")) for ref in root.iter()
                      if local(ref.tag) in ("qti-assessment-item-ref", "assessmentItemRef")]
            continue
        before = len(outcomes)
        read_qti_document(root, f"{name}:{href}", ctx, outcomes, lambda i, h: i)
        if len(outcomes) > before:
            item_ids[href] = outcomes[-1].source_id
    for href, root in test_roots:
        def item_id_of(ref: str, item_href: str, base: str = href) -> str:
            return item_ids.get(resolve(base, item_href), ref)
        tests += read_qti_document(root, f"{name}:{href}", ctx, outcomes, item_id_of)
    return finish(ctx, outcomes, skip_unsupported, tests)


__all__ = ["parse", "ImportResult", "ImportInvalid", "ItemProblem", "Skipped"]
