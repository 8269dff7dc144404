"""Untrusted markup: XML parsed with no DTD, bounded size and depth; HTML made well-formed."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Any
from xml.etree.ElementTree import Element, SubElement

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 200


class UnsafeXml(ValueError):
    """The document is refused; ``reason`` is a stable code."""

    def __init__(self, reason: str, problem: str, **values: Any) -> None:
        self.reason = reason
        self.problem = problem  # a code of item_bank.interop.model.PROBLEMS
        self.values = {k: str(v) for k, v in values.items()}
        super().__init__(f"{reason}: {problem} {self.values}".rstrip(" {}"))


def parse_xml(data: bytes, max_bytes: int = MAX_DOCUMENT_BYTES,
              max_depth: int = MAX_DEPTH) -> Element:
    """The root element of ``data``, every tag with its namespace as ``{uri}name``.

    Any DOCTYPE is refused outright: item formats never need one, and refusing it
    shuts out entity expansion ("billion laughs") and external entities at once.
    """
    if len(data) > max_bytes:
        raise UnsafeXml("too_large", "xml_too_large", size=len(data), max=max_bytes)
    depth = 0
    root: Element | None = None
    try:
        for event, element in SafeET.iterparse(io.BytesIO(data), events=("start", "end"),
                                               forbid_dtd=True):
            if event == "start":
                depth += 1
                if root is None:
                    root = element
                if depth > max_depth:
                    raise UnsafeXml("too_deep", "xml_too_deep", max=max_depth)
            else:
                depth -= 1
    except DefusedXmlException as error:
        raise UnsafeXml("forbidden_xml", "dtd_refused", error=type(error).__name__) from None
    except ET.ParseError as error:
        raise UnsafeXml("not_well_formed", "xml_syntax", error=error) from None
    except LookupError as error:  # an encoding declaration that names no encoding
        raise UnsafeXml("not_well_formed", "xml_syntax", error=error) from None
    if root is None:
        raise UnsafeXml("not_well_formed", "xml_empty")
    return root


def local(tag: object) -> str:
    """``{uri}name`` -> ``name`` (comments and processing instructions give "")."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def strip_namespaces(root: Element) -> Element:
    """Drop namespaces from tags and attributes in place (``xml:lang`` becomes ``lang``)."""
    for element in root.iter():
        if isinstance(element.tag, str):
            element.tag = local(element.tag)
        for key in [k for k in element.attrib if k.startswith("{")]:
            element.attrib[local(key)] = element.attrib.pop(key)
    return root


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


class _TreeBuilder(HTMLParser):
    """HTML as an element tree under a ``div``: void elements closed, stray end tags dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("div")
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        name = tag.rsplit(":", 1)[-1]
        if not XML_NAME.match(name):
            return
        clean = {key.rsplit(":", 1)[-1]: value or "" for key, value in attrs
                 if XML_NAME.match(key.rsplit(":", 1)[-1])}
        element = SubElement(self.open[-1], name, clean)
        if name not in VOID:
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag.rsplit(":", 1)[-1] not in VOID and len(self.open) > 1 and \
                self.open[-1].tag == tag.rsplit(":", 1)[-1]:
            self.open.pop()

    def handle_endtag(self, tag: str) -> None:
        name = tag.rsplit(":", 1)[-1]
        for depth in range(len(self.open) - 1, 0, -1):
            if self.open[depth].tag == name:
                del self.open[depth:]
                return

    def handle_data(self, data: str) -> None:
        current = self.open[-1]
        if len(current):
            current[-1].tail = (current[-1].tail or "") + data
        else:
            current.text = (current.text or "") + data


def html_to_xml(markup: str) -> str:
    """``markup`` (HTML, perhaps not well-formed) as well-formed XML inside ``<div>``."""
    builder = _TreeBuilder()
    builder.feed(markup)
    builder.close()
    return ET.tostring(builder.root, encoding="unicode")
