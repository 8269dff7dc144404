"""QTI 3.0 items and tests: read (2.x too, once renamed by ``qti21``) and write.

The reader works on a tree whose namespaces were stripped. Fields of ours that
QTI cannot say are kept in ``data-ardoise-*`` attributes, so that an export
imports back to the same content.
"""

from __future__ import annotations

import html
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from io import BytesIO
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from ardoise.errors import Invalid
from item_bank.interop.model import (
    Context,
    ItemProblem,
    ParsedItem,
    ParsedTest,
    finite_number,
    is_text_map,
    language_of,
)
from item_bank.interop.safe_xml import UnsafeXml, html_to_xml, parse_xml
from item_bank.types.file_upload import KIND_EXTENSIONS
from item_bank.types.hot_text import SPAN
from item_bank.types.inline_choice import GAP_MARKER
from item_bank.types.parts import ID_PATTERN
from item_bank.types.short_text import patterns, plain_answers

NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RP_TEMPLATES = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/"
VOID = {"br", "hr", "img", "input", "col", "source", "track", "wbr"}
DROPPED_WHEN_EMPTY = {"div", "p", "span", "section"}
REMOVED = {"qti-rubric-block", "qti-feedback-block", "qti-feedback-inline", "qti-modal-feedback",
           "qti-template-block", "qti-template-inline"}


# ---------------------------------------------------------------- reading

@dataclass
class Declaration:
    cardinality: str = "single"
    base_type: str = "identifier"
    correct: list[str] = field(default_factory=list)
    mapping: dict[str, float] = field(default_factory=dict)
    case_sensitive: bool = True
    upper_bound: float | None = None

    def keyed(self) -> list[str]:
        """The right answers: the correct response, else the positively mapped keys."""
        if self.correct:
            return self.correct
        positive = sorted(((v, k) for k, v in self.mapping.items() if v > 0), reverse=True)
        return [k for _, k in positive]


def children(element: Element, tag: str) -> list[Element]:
    return [c for c in element if c.tag == tag]


def first(element: Element, tag: str) -> Element | None:
    return next(element.iter(tag), None)


def text_of(element: Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


Replace = Callable[[Element], str | None]


def inner_html(element: Element, replace: Replace = lambda e: None) -> str:
    """The HTML inside ``element``; ``replace`` may stand in for any descendant."""
    out = [html.escape(element.text or "", quote=False)]
    for child in element:
        if not isinstance(child.tag, str):
            pass  # a comment or processing instruction
        elif (swap := replace(child)) is not None:
            out.append(swap)
        elif child.tag in REMOVED or child.tag.endswith("-interaction"):
            pass
        else:
            inside = inner_html(child, replace)
            attrs = "".join(f" {k}={quote(v)}" for k, v in child.attrib.items())
            if child.tag in DROPPED_WHEN_EMPTY and not inside.strip():
                pass  # a layout box left empty once its interaction was taken out
            elif not inside and (child.tag in VOID or not len(child)):
                out.append(f"<{child.tag}{attrs}/>")
            else:
                out.append(f"<{child.tag}{attrs}>{inside}</{child.tag}>")
        out.append(html.escape(child.tail or "", quote=False))
    return "".join(out)


def quote(value: str) -> str:
    return '"' + html.escape(value, quote=False).replace('"', "&quot;") + '"'


def safe_id(value: str | None) -> str:
    """A QTI identifier as a part id of ours (letters, digits, ``_``, ``-``)."""
    value = value or ""
    return value if ID_PATTERN.match(value) else (re.sub(r"[^A-Za-z0-9_-]", "_", value)[:40]
                                                  or "x")


def declarations(root: Element) -> dict[str, Declaration]:
    found = {}
    for decl in children(root, "qti-response-declaration"):
        info = Declaration(decl.get("cardinality", "single"), decl.get("base-type", "identifier"))
        correct = first(decl, "qti-correct-response")
        if correct is not None:
            info.correct = [text_of(v) for v in correct.iter("qti-value")]
        mapping = first(decl, "qti-mapping")
        if mapping is not None:
            entries = list(mapping.iter("qti-map-entry"))
            info.mapping = {e.get("map-key", ""): number(e.get("mapped-value", "0"))
                            for e in entries}
            info.case_sensitive = any(e.get("case-sensitive", "true") == "true"
                                      for e in entries)
            if mapping.get("upper-bound"):
                info.upper_bound = number(mapping.get("upper-bound"))
        found[decl.get("identifier", "")] = info
    return found


def points(root: Element, decls: dict[str, Declaration]) -> float:
    """SCORE's normal maximum, else MAXSCORE's default, else what the mapping can give."""
    for decl in children(root, "qti-outcome-declaration"):
        if decl.get("identifier") == "SCORE" and decl.get("normal-maximum"):
            return number(decl.get("normal-maximum"))
    for decl in children(root, "qti-outcome-declaration"):
        if decl.get("identifier") == "MAXSCORE":
            value = text_of(first(decl, "qti-value"))
            if value:
                return number(value)
    mapped = 0.0
    for info in decls.values():
        best = sum(v for v in info.mapping.values() if v > 0)
        if info.cardinality == "single":
            best = max(info.mapping.values(), default=0.0)
        mapped += min(best, info.upper_bound) if info.upper_bound is not None else best
    return mapped if mapped > 0 else 1.0


def number(value: str | None) -> float:
    return finite_number(value, "number")


def read_item(root: Element, ctx: Context, fmt: str = "qti3") -> ParsedItem:
    """One ``qti-assessment-item`` (namespaces stripped) as a validated item."""
    identifier = root.get("identifier") or ""
    if not identifier:
        raise ItemProblem("malformed", "no_identifier")
    body = first(root, "qti-item-body")
    if body is None:
        raise ItemProblem("malformed", "no_body")
    decls = declarations(root)
    processing = first(root, "qti-response-processing")
    template = (processing.get("template", "") if processing is not None else "")
    rp = template.rstrip("/").rsplit("/", 1)[-1].removesuffix(".xml") if template else \
        ("custom" if processing is not None else "none")
    interactions = [e for e in body.iter() if e.tag.endswith("-interaction")]
    kinds = {e.tag for e in interactions}
    if not interactions:
        raise ItemProblem("unsupported_type", "no_interaction")
    if kinds == {"qti-inline-choice-interaction"}:
        item_type, content = read_inline_choice(body, interactions, decls, ctx)
    elif len(interactions) > 1:
        raise ItemProblem("unsupported_type", "several_interactions",
                          interactions=", ".join(sorted(kinds)))
    else:
        reader = READERS.get(interactions[0].tag)
        if reader is None:
            raise ItemProblem("unsupported_type", "interaction_unknown",
                              interaction=interactions[0].tag)
        interaction = interactions[0]
        decl = decls.get(interaction.get("response-identifier", ""), Declaration())
        item_type, content = reader(interaction, decl, processing, ctx)
        if "stem" not in content:
            content["stem"] = stem_of(body, interaction, ctx)
    content["points"] = points(root, decls)
    rubric = [b for b in body.iter("qti-rubric-block") if "scorer" in b.get("view", "")]
    if rubric and item_type in ("extended_text", "file_upload"):
        block = first(rubric[0], "qti-content-body")
        content["rubric"] = ctx.html(inner_html(rubric[0] if block is None else block).strip())
    return ctx.item(identifier, item_type, root.get("title") or identifier, content,
                    metadata={"format": fmt, "response_processing": rp},
                    language=language_of(root.get("lang"), ctx.language))


def stem_of(body: Element, interaction: Element, ctx: Context) -> str:
    prompt = first(interaction, "qti-prompt")
    parts = [inner_html(body).strip(), inner_html(prompt).strip() if prompt is not None else ""]
    return ctx.html(" ".join(p for p in parts if p))


def without_prompt(element: Element) -> str | None:
    return "" if element.tag == "qti-prompt" else None


Content = dict[str, Any]
Reader = Callable[[Element, Declaration, Element | None, Context], tuple[str, Content]]


def read_choice(interaction: Element, decl: Declaration, _rp: Element | None,
                ctx: Context) -> tuple[str, Content]:
    options = [{"id": c.get("identifier", ""), "text": ctx.html(inner_html(c).strip())}
               for c in interaction.iter("qti-simple-choice")]
    keyed = decl.keyed()
    shuffle = interaction.get("shuffle", "false") == "true"
    if decl.cardinality == "multiple":
        return "multiple_response", {"options": options, "correct": keyed, "shuffle": shuffle}
    if not keyed:
        raise ItemProblem("invalid_content", "no_correct_response")
    if {o["id"].lower() for o in options} == {"true", "false"}:
        return "true_false", {"correct": keyed[0].lower() == "true"}
    return "single_choice", {"options": options, "correct": keyed[0], "shuffle": shuffle}


def read_text_entry(interaction: Element, decl: Declaration, rp: Element | None,
                    ctx: Context) -> tuple[str, Content]:
    keyed = decl.keyed()
    if decl.base_type in ("float", "integer"):
        if not keyed:
            raise ItemProblem("invalid_content", "no_correct_response")
        content: Content = {"answer": keyed[0], "tolerance": 0, "tolerance_mode": "absolute"}
        equal = first(rp, "qti-equal") if rp is not None else None
        if equal is not None and equal.get("tolerance-mode") in ("absolute", "relative"):
            tolerance = number((equal.get("tolerance") or "0").split()[0])
            if equal.get("tolerance-mode") == "relative":
                # QTI gives a relative tolerance in percent; ours is a fraction.
                content.update(tolerance=round(tolerance / 100, 12), tolerance_mode="relative")
            else:
                content["tolerance"] = tolerance
        if interaction.get("data-ardoise-unit"):
            content["unit"] = interaction.get("data-ardoise-unit")
        return "numeric", content
    answers: list[Any] = list(dict.fromkeys(
        decl.correct + [k for k, v in decl.mapping.items() if v > 0]))
    answers += [{"pattern": p}
                for p in matched_patterns(rp, interaction.get("response-identifier", ""))]
    if not answers:
        raise ItemProblem("invalid_content", "no_correct_response")
    return "short_text", {
        "answers": answers,
        # QTI patterns have no case flag: ours says so beside them when case is ignored.
        "case_sensitive": decl.case_sensitive and
        interaction.get("data-ardoise-case-sensitive") != "false",
        "ignore_accents": interaction.get("data-ardoise-ignore-accents") == "true"}


def matched_patterns(rp: Element | None, identifier: str) -> list[str]:
    """The patterns a ``qti-pattern-match`` of the response processing tests the response
    against: each is an accepted answer (QTI patterns, like ours, match the whole value)."""
    if rp is None:
        return []
    found = []
    for match in rp.iter("qti-pattern-match"):
        variable = first(match, "qti-variable")
        if match.get("pattern") and variable is not None and \
                variable.get("identifier") == identifier:
            found.append(match.get("pattern", ""))
    return list(dict.fromkeys(found))


def read_extended_text(interaction: Element, _decl: Declaration, _rp: Element | None,
                       _ctx: Context) -> tuple[str, Content]:
    content: Content = {}
    for key in ("max_length", "expected_words"):
        value = interaction.get("data-ardoise-" + key.replace("_", "-"))
        if value and value.isdigit():
            content[key] = int(value)
    return "extended_text", content


#: What a foreign upload interaction's ``type`` (a MIME type) accepts, in our kinds.
MIME_KINDS = {"application/pdf": "pdf", "application/zip": "zip", "text": "text",
              "image": "image", "application/msword": "office",
              "application/vnd.ms-excel": "office", "application/vnd.ms-powerpoint": "office",
              "application/vnd.openxmlformats-officedocument": "office",
              "application/vnd.oasis.opendocument": "office"}


def read_upload(interaction: Element, _decl: Declaration, _rp: Element | None,
                _ctx: Context) -> tuple[str, Content]:
    """Our own kinds when we wrote the file; else the kinds of its MIME types; else all."""
    content: Content = {}
    kinds = (interaction.get("data-ardoise-kinds") or "").split()
    if not kinds:
        for mime in (interaction.get("type") or "").replace(",", " ").split():
            kinds += [kind for prefix, kind in MIME_KINDS.items()
                      if mime.lower().startswith(prefix)]
    content["kinds"] = list(dict.fromkeys(kinds)) or list(KIND_EXTENSIONS)
    size = interaction.get("data-ardoise-max-bytes")
    if size and size.isdigit():
        content["max_bytes"] = int(size)
    return "file_upload", content


def read_match(interaction: Element, decl: Declaration, _rp: Element | None,
               ctx: Context) -> tuple[str, Content]:
    sets = children(interaction, "qti-simple-match-set")
    if len(sets) != 2:
        raise ItemProblem("malformed", "match_needs_two_sets")
    premises, responses = ([{"id": safe_id(c.get("identifier")),
                             "text": ctx.html(inner_html(c).strip())}
                            for c in s.iter("qti-simple-associable-choice")] for s in sets)
    pairs: dict[str, str] = {}
    for pair in decl.keyed():
        left, _, right = pair.partition(" ")
        if safe_id(left) in pairs:
            raise ItemProblem("unsupported_feature", "premise_several_responses")
        pairs[safe_id(left)] = safe_id(right.strip())
    return "matching", {"premises": premises, "responses": responses, "pairs": pairs}


def read_order(interaction: Element, decl: Declaration, _rp: Element | None,
               ctx: Context) -> tuple[str, Content]:
    items = {c.get("identifier", ""): {"id": safe_id(c.get("identifier")),
                                       "text": ctx.html(inner_html(c).strip())}
             for c in interaction.iter("qti-simple-choice")}
    order = decl.keyed()
    if sorted(order) != sorted(items):
        raise ItemProblem("invalid_content", "order_incomplete")
    return "ordering", {"items": [items[i] for i in order],
                        "scoring": interaction.get("data-ardoise-scoring", "all_or_nothing")}


def read_hottext(interaction: Element, decl: Declaration, _rp: Element | None,
                 ctx: Context) -> tuple[str, Content]:
    def span(element: Element) -> str | None:
        if element.tag == "qti-hottext":
            words = inner_html(element).strip()
            if "[" in words or "]" in words:
                raise ItemProblem("unsupported_feature", "hot_text_brackets")
            return f"[[{safe_id(element.get('identifier'))}:{words}]]"
        return without_prompt(element)

    passage = ctx.html(inner_html(interaction, span).strip())
    spans = len(SPAN.findall(passage))
    limit = int(number(interaction.get("max-choices") or "0"))
    return "hot_text", {"passage": passage, "correct": [safe_id(c) for c in decl.keyed()],
                        "max_selections": limit or spans}


def read_inline_choice(body: Element, interactions: list[Element],
                       decls: dict[str, Declaration], ctx: Context) -> tuple[str, Content]:
    gaps = []
    for interaction in interactions:
        response_id = interaction.get("response-identifier", "")
        keyed = decls.get(response_id, Declaration()).keyed()
        gaps.append({"id": safe_id(response_id),
                     "options": [{"id": safe_id(c.get("identifier")),
                                  "text": ctx.html(inner_html(c).strip())}
                                 for c in interaction.iter("qti-inline-choice")],
                     "correct": safe_id(keyed[0]) if keyed else None})
    stem = next((e for e in body.iter() if e.get("data-ardoise-part") == "stem"), None)

    def marker(element: Element) -> str | None:
        if element.tag == "qti-inline-choice-interaction":
            return "{{" + safe_id(element.get("response-identifier")) + "}}"
        return "" if element is stem else None

    content: Content = {"text": ctx.html(inner_html(body, marker).strip()), "gaps": gaps,
                        "shuffle": all(i.get("shuffle") == "true" for i in interactions)}
    if stem is not None:
        content["stem"] = ctx.html(inner_html(stem).strip())
    return "inline_choice", content


READERS: dict[str, Reader] = {
    "qti-choice-interaction": read_choice,
    "qti-text-entry-interaction": read_text_entry,
    "qti-extended-text-interaction": read_extended_text,
    "qti-upload-interaction": read_upload,
    "qti-match-interaction": read_match,
    "qti-order-interaction": read_order,
    "qti-hottext-interaction": read_hottext,
}


def read_test(root: Element, item_id_of: Callable[[str, str], str]) -> ParsedTest:
    """A ``qti-assessment-test``; ``item_id_of(ref identifier, href)`` names each item."""
    refs = [item_id_of(r.get("identifier", ""), r.get("href", ""))
            for r in root.iter("qti-assessment-item-ref")]
    identifier = root.get("identifier") or ""
    return ParsedTest(identifier, root.get("title") or identifier, tuple(refs))


# ---------------------------------------------------------------- writing

def pick(text: dict[str, str] | str, language: str) -> str:
    if isinstance(text, str):
        return text
    return text.get(language) or next(iter(text.values()))


def fragment(parent: Element, markup: str, pattern: re.Pattern[str] | None = None,
             make: Callable[[re.Match[str]], str] | None = None) -> None:
    """Append HTML ``markup`` to ``parent`` as XML, ``make`` standing in for ``pattern``."""
    xml = html_to_xml(markup)
    if pattern is not None and make is not None:
        xml = pattern.sub(make, xml)
    try:
        div = parse_xml(xml.encode())
    except UnsafeXml:
        raise ItemProblem("unsupported_feature", "marker_crosses_elements") from None
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + (div.text or "")
    else:
        parent.text = (parent.text or "") + (div.text or "")
    parent.extend(list(div))


def declare(root: Element, identifier: str, cardinality: str, base_type: str,
            correct: Iterable[str] = (), mapping: dict[str, float] | None = None,
            case_sensitive: bool = True) -> None:
    decl = SubElement(root, "qti-response-declaration",
                      {"identifier": identifier, "cardinality": cardinality,
                       "base-type": base_type})
    values = list(correct)
    if values:
        holder = SubElement(decl, "qti-correct-response")
        for value in values:
            SubElement(holder, "qti-value").text = value
    if mapping:
        holder = SubElement(decl, "qti-mapping", {"default-value": "0", "lower-bound": "0",
                                                  "upper-bound": "1"})
        for key, weight in mapping.items():
            attrs = {"map-key": key, "mapped-value": fmt_number(weight)}
            if base_type == "string":
                attrs["case-sensitive"] = "true" if case_sensitive else "false"
            SubElement(holder, "qti-map-entry", attrs)


def fmt_number(value: float) -> str:
    return repr(float(value)) if value != int(value) else str(int(value))


def template(root: Element, name: str) -> None:
    SubElement(root, "qti-response-processing", template=RP_TEMPLATES + name + ".xml")


def score_if(holder: Element, condition: Element, share: float) -> None:
    """``if condition: SCORE += share`` in QTI response processing."""
    branch = SubElement(SubElement(holder, "qti-response-condition"), "qti-response-if")
    branch.append(condition)
    setter = SubElement(branch, "qti-set-outcome-value", identifier="SCORE")
    total = SubElement(setter, "qti-sum")
    SubElement(total, "qti-variable", identifier="SCORE")
    SubElement(total, "qti-base-value", {"base-type": "float"}).text = fmt_number(share)


def compare(identifier: str, tag: str = "qti-match", attrs: dict[str, str] | None = None
            ) -> Element:
    condition = Element(tag, attrs or {})
    SubElement(condition, "qti-variable", identifier=identifier)
    SubElement(condition, "qti-correct", identifier=identifier)
    return condition


def choices(parent: Element, tag: str, entries: list[dict[str, Any]], language: str) -> None:
    for entry in entries:
        fragment(SubElement(parent, tag, identifier=entry["id"]), pick(entry["text"], language))


def item_to_xml(item: ParsedItem) -> bytes:
    """One ``qti-assessment-item`` document for ``item``.

    :raises Invalid: ``export_unsupported`` (params ``item``, ``reason``, ``problem`` and
        its values) for an item QTI cannot carry.
    """
    try:
        return write_item(item)
    except ItemProblem as problem:
        raise Invalid("export_unsupported", f"{item.source_id}: {problem}",
                      item=item.source_id, reason=problem.reason, problem=problem.problem,
                      **problem.values) from None


def write_item(item: ParsedItem) -> bytes:
    content, lang = item.content, item.language
    root = Element("qti-assessment-item", {
        "xmlns": NS, "identifier": item.source_id, "title": item.title,
        "adaptive": "false", "time-dependent": "false", XML_LANG: lang})
    body = Element("qti-item-body")
    kind = item.item_type
    if kind != "inline_choice":
        fragment(body, pick(content["stem"], lang))
    response = {"response-identifier": "RESPONSE"}
    if kind in ("single_choice", "multiple_response", "true_false"):
        multiple = kind == "multiple_response"
        if kind == "true_false":
            words = ("Vrai", "Faux") if lang == "fr" else ("True", "False")
            options = [{"id": "true", "text": words[0]}, {"id": "false", "text": words[1]}]
            correct = ["true" if content["correct"] else "false"]
        else:
            options = content["options"]
            correct = content["correct"] if multiple else [content["correct"]]
        share = 1 / len(correct)
        declare(root, "RESPONSE", "multiple" if multiple else "single", "identifier", correct,
                {o["id"]: share if o["id"] in correct else -share for o in options}
                if multiple else None)
        interaction = SubElement(body, "qti-choice-interaction", {**response,
            "shuffle": "true" if content.get("shuffle") else "false",
            "max-choices": "0" if multiple else "1"})
        choices(interaction, "qti-simple-choice", options, lang)
        template(root, "map_response" if multiple else "match_correct")
    elif kind in ("numeric", "short_text"):
        numeric = kind == "numeric"
        answers = [fmt_number(content["answer"])] if numeric else plain_answers(content)
        declare(root, "RESPONSE", "single", "float" if numeric else "string", answers[:1],
                None if numeric else dict.fromkeys(answers, 1.0), content.get("case_sensitive",
                                                                               True))
        interaction = SubElement(body, "qti-text-entry-interaction", response)
        if numeric:
            if content.get("unit"):
                interaction.set("data-ardoise-unit", content["unit"])
            mode, tolerance = content["tolerance_mode"], content["tolerance"]
            if mode == "relative":
                tolerance = round(tolerance * 100, 9)
            attrs = {"tolerance-mode": mode, "tolerance": fmt_number(tolerance)}
            holder = SubElement(root, "qti-response-processing")
            score_if(holder, compare("RESPONSE", "qti-equal", attrs), content["points"])
        else:
            if content.get("ignore_accents"):
                interaction.set("data-ardoise-ignore-accents", "true")
            if patterns(content):
                if not content.get("case_sensitive", True):
                    interaction.set("data-ardoise-case-sensitive", "false")
                accepted = Element("qti-or")
                if answers:
                    above = SubElement(accepted, "qti-gt")
                    SubElement(above, "qti-map-response", identifier="RESPONSE")
                    SubElement(above, "qti-base-value", {"base-type": "float"}).text = "0"
                for pattern in patterns(content):
                    match = SubElement(accepted, "qti-pattern-match", pattern=pattern)
                    SubElement(match, "qti-variable", identifier="RESPONSE")
                score_if(SubElement(root, "qti-response-processing"), accepted,
                         content["points"])
            else:
                template(root, "map_response")
    elif kind == "extended_text":
        declare(root, "RESPONSE", "single", "string")
        interaction = SubElement(body, "qti-extended-text-interaction", {**response,
            "data-ardoise-max-length": str(content["max_length"])})
        if content.get("expected_words"):
            interaction.set("data-ardoise-expected-words", str(content["expected_words"]))
        if content.get("rubric"):
            block = SubElement(body, "qti-rubric-block", use="scoring", view="scorer")
            fragment(SubElement(block, "qti-content-body"), pick(content["rubric"], lang))
    elif kind == "file_upload":
        declare(root, "RESPONSE", "single", "file")
        SubElement(body, "qti-upload-interaction", {
            **response, "data-ardoise-kinds": " ".join(content["kinds"]),
            "data-ardoise-max-bytes": str(content["max_bytes"])})
        if content.get("rubric"):
            block = SubElement(body, "qti-rubric-block", use="scoring", view="scorer")
            fragment(SubElement(block, "qti-content-body"), pick(content["rubric"], lang))
    elif kind == "matching":
        pairs = [f"{p} {r}" for p, r in content["pairs"].items()]
        declare(root, "RESPONSE", "multiple", "directedPair", pairs,
                dict.fromkeys(pairs, 1 / len(pairs)))
        interaction = SubElement(body, "qti-match-interaction", {**response,
            "shuffle": "true", "max-associations": str(len(pairs))})
        for entries, limit in ((content["premises"], "1"),
                               (content["responses"], str(len(pairs)))):
            match_set = SubElement(interaction, "qti-simple-match-set")
            for entry in entries:
                fragment(SubElement(match_set, "qti-simple-associable-choice",
                                    {"identifier": entry["id"], "match-max": limit}),
                         pick(entry["text"], lang))
        template(root, "map_response")
    elif kind == "ordering":
        declare(root, "RESPONSE", "ordered", "identifier", [i["id"] for i in content["items"]])
        interaction = SubElement(body, "qti-order-interaction", {**response,
            "shuffle": "true", "data-ardoise-scoring": content["scoring"]})
        choices(interaction, "qti-simple-choice", content["items"], lang)
        template(root, "match_correct")
    elif kind == "hot_text":
        correct = content["correct"]
        spans = [m.group(1) for m in SPAN.finditer(pick(content["passage"], lang))]
        # Right selections minus wrong ones, as our hot text scores.
        declare(root, "RESPONSE", "multiple", "identifier", correct,
                {s: (1 if s in correct else -1) / len(correct) for s in spans})
        interaction = SubElement(body, "qti-hottext-interaction", {**response,
            "max-choices": str(content["max_selections"])})
        fragment(interaction, pick(content["passage"], lang), SPAN,
                 lambda m: f'<qti-hottext identifier="{m.group(1)}">{m.group(2)}'
                                "</qti-hottext>")
        template(root, "map_response")
    elif kind == "inline_choice":
        gaps = {g["id"]: g for g in content["gaps"]}
        holder = Element("qti-response-processing")
        for gap in content["gaps"]:
            declare(root, gap["id"], "single", "identifier", [gap["correct"]])
            score_if(holder, compare(gap["id"]), content["points"] / len(gaps))
        if content.get("stem"):
            stem = SubElement(body, "div", {"data-ardoise-part": "stem"})
            fragment(stem, pick(content["stem"], lang))

        def gap_xml(match: re.Match[str]) -> str:
            gap = gaps[match.group(1)]
            element = Element("qti-inline-choice-interaction", {
                "response-identifier": gap["id"],
                "shuffle": "true" if content.get("shuffle") else "false"})
            choices(element, "qti-inline-choice", gap["options"], lang)
            return tostring(element, encoding="unicode")

        fragment(body, pick(content["text"], lang), GAP_MARKER, gap_xml)
    else:
        raise ItemProblem("unsupported_type", "no_qti_form", type=kind)
    SubElement(root, "qti-outcome-declaration", {
        "identifier": "SCORE", "cardinality": "single", "base-type": "float",
        "normal-maximum": fmt_number(content["points"])})
    root.append(body)
    if kind == "inline_choice":
        root.append(holder)
    else:
        # QTI orders declarations, body, then processing: move the processing last.
        for rp in children(root, "qti-response-processing"):
            root.remove(rp)
            root.append(rp)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="utf-8",
                                                                   xml_declaration=False)


def test_to_xml(test: ParsedTest, href_of: Callable[[str], str]) -> bytes:
    root = Element("qti-assessment-test", {"xmlns": NS, "identifier": test.source_id,
                                           "title": test.title})
    part = SubElement(root, "qti-test-part", {"identifier": "P1", "navigation-mode": "linear",
                                              "submission-mode": "individual"})
    section = SubElement(part, "qti-assessment-section", identifier="S1", title=test.title,
                         visible="true")
    for source_id in test.item_source_ids:
        SubElement(section, "qti-assessment-item-ref", identifier=safe_id(source_id),
                   href=href_of(source_id))
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="utf-8",
                                                                   xml_declaration=False)


def languages_of(content: Any, preferred: str) -> list[str]:
    """The languages of ``content``'s texts, ``preferred`` first when it has any."""
    found: dict[str, None] = {}

    def walk(value: Any) -> None:
        if is_text_map(value):
            found.update(dict.fromkeys(value))
        elif isinstance(value, dict):
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(content)
    ordered = sorted(found, key=lambda lang: (lang != preferred, lang))
    return ordered or [preferred]


def file_name(source_id: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_.-]", "_", source_id).strip(".")[:80] or "item"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name)
    return name


def export_package(items: Iterable[ParsedItem], tests: Iterable[ParsedTest] = ()) -> bytes:
    """An IMS content package (zip with ``imsmanifest.xml``) of QTI 3.0 items and tests."""
    taken: set[str] = set()
    hrefs: dict[str, str] = {}
    files: list[tuple[str, str, bytes]] = []
    for item in items:
        name = file_name(item.source_id, taken)
        hrefs[item.source_id] = f"items/{name}.xml"
        # A bilingual item: one QTI item per language, the same identifier in each.
        first, *others = languages_of(item.content, item.language)
        files.append((f"items/{name}.xml", "imsqti_item_xmlv3p0",
                      item_to_xml(replace(item, language=first))))
        for language in others:
            taken.add(f"{name}.{language}")
            files.append((f"items/{name}.{language}.xml", "imsqti_item_xmlv3p0",
                          item_to_xml(replace(item, language=language))))
    for test in tests:
        href = f"tests/{file_name(test.source_id, taken)}.xml"
        files.append((href, "imsqti_test_xmlv3p0",
                      test_to_xml(test, lambda s: "../" + hrefs.get(s, f"items/{s}.xml"))))
    manifest = Element("manifest", {"xmlns": CP_NS, "identifier": "MANIFEST-ardoise"})
    SubElement(manifest, "organizations")
    resources = SubElement(manifest, "resources")
    for n, (href, kind, _) in enumerate(files):
        resource = SubElement(resources, "resource", identifier=f"R{n}", type=kind, href=href)
        SubElement(resource, "file", href=href)
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        def put(name: str, data: bytes) -> None:
            package.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data,
                             compress_type=zipfile.ZIP_DEFLATED)
        put("imsmanifest.xml", b'<?xml version="1.0" encoding="UTF-8"?>\n' +
            tostring(manifest, encoding="utf-8", xml_declaration=False))
        for href, _, data in files:
            put(href, data)
    return out.getvalue()
