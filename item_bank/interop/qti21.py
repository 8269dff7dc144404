"""QTI 2.x (2.0, 2.1, 2.2: what TAO and many tools export) read by renaming it to QTI 3.0.

QTI 3.0 renamed every element and attribute from camelCase to kebab-case with a
``qti-`` prefix on elements; the structures the reader uses are otherwise the same.
HTML inside the item body keeps its names.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element

NAMESPACES = (
    "http://www.imsglobal.org/xsd/imsqti_v2p0",
    "http://www.imsglobal.org/xsd/imsqti_v2p1",
    "http://www.imsglobal.org/xsd/imsqti_v2p2",
)
# QTI 2 element names that are all lower case (the others have a capital letter).
LOWER_CASE_QTI = {"value", "prompt", "mapping", "hottext", "correct", "variable", "match",
                  "equal", "sum", "and", "or", "not", "member", "gap", "product", "subtract",
                  "divide", "lt", "gt", "lte", "gte", "multiple", "ordered", "contains",
                  "substring", "round", "truncate", "min", "max", "power", "random", "index",
                  "null", "delete", "inside", "default", "setOutcomeValue"}
CAPITAL = re.compile(r"(?<!^)([A-Z])")


def kebab(name: str) -> str:
    return CAPITAL.sub(r"-\1", name).lower()


def is_qti_name(name: str) -> bool:
    return name in LOWER_CASE_QTI or name != name.lower()


def rename_to_qti3(root: Element) -> Element:
    """Rename a namespace-stripped QTI 2.x tree in place to QTI 3.0 names."""
    for element in root.iter():
        if not isinstance(element.tag, str) or not is_qti_name(element.tag):
            continue
        element.tag = "qti-" + kebab(element.tag)
        for key in list(element.attrib):
            if key != key.lower():
                element.attrib[kebab(key)] = element.attrib.pop(key)
    return root
