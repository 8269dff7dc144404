"""What an import produces: parsed items and tests, skipped items, and the import error."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ardoise.errors import Invalid
from item_bank.registry import ItemTypeRegistry, default_registry
from item_bank.types.base import LANGUAGES

Sanitiser = Callable[[str], str]


def keep_html(html: str) -> str:
    """The default sanitiser: leaves HTML as it is (the caller must sanitise before display)."""
    return html


@dataclass(frozen=True)
class ParsedItem:
    """One item read from a file; ``content`` has passed its item type's ``validate``.

    ``source_id`` is stable across exports of the same item (QTI identifier, Moodle
    idnumber or category path and name, GIFT title or a hash of the question text):
    the caller makes a new version of the item that already has it.
    """

    source_id: str
    item_type: str
    title: str
    content: dict[str, Any]
    tags: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    language: str = "fr"


@dataclass(frozen=True)
class ParsedTest:
    """An assessment test: its items in order, named by their source ids."""

    source_id: str
    title: str
    item_source_ids: tuple[str, ...]


#: Why a file or an item is refused: a stable code, and its words in English for the
#: command line and logs, ``%(name)s`` filled from the problem's values. The web layer
#: translates the same codes (``web.messages.IMPORT_PROBLEMS``).
PROBLEMS: dict[str, str] = {
    # The whole file.
    "document_too_large": "at most %(max)s bytes",
    "package_too_large": "more than %(max)s bytes unpacked",
    "xml_root_unknown": "an XML document of <%(root)s>",
    "not_text": "neither XML, a zip nor UTF-8 text",
    "no_gift_question": "no GIFT question found",
    "qti_namespace_unknown": "namespace %(namespace)s is not QTI 2.x or 3.0",
    "qti_root_unknown": "<%(root)s> is not a QTI item or test",
    "zip_unreadable": "not a readable zip (%(error)s)",
    "too_many_entries": "more than %(max)s entries",
    "unsafe_entry_name": "unsafe entry name %(entry)s",
    "no_manifest": "no imsmanifest.xml at the top of the package",
    "resource_missing": "%(href)s is named but not in the package",
    "xml_too_large": "%(size)s bytes, at most %(max)s",
    "xml_too_deep": "more than %(max)s levels",
    "dtd_refused": "DTDs and entities are refused",
    "xml_syntax": "%(error)s",
    "xml_empty": "empty document",
    "no_items": "the file holds no item to import",
    # One item.
    "item_type_unknown": "no item type %(type)s",
    "invalid_field": "%(type)s: %(field)s",
    "not_a_number": "%(what)s: not a number: %(value)s",
    "not_finite": "%(what)s: not a finite number: %(value)s",
    "duplicate_source_id": "another item of the file has the same identifier",
    "translation_mismatch": "the %(language)s version does not match the other one",
    "translations_differ": "the translations differ beyond their texts",
    "no_answer_block": "no answer block",
    "unclosed_answer_block": "an answer block without its closing }",
    "no_right_answer": "no answer is right",
    "no_full_marks_number": "no numeric answer is worth full marks",
    "moodle_description": "description",
    "moodle_type_unknown": "Moodle question type %(type)s",
    "no_answer_with_points": "no answer is worth any points",
    "true_false_without_points": "neither true nor false is worth any points",
    "short_answer_wildcard": "a short answer with a * wildcard",
    "cloze_gap_type": "a cloze gap of type %(gap)s (only MULTICHOICE gaps)",
    "cloze_without_gaps": "a cloze question without gaps",
    "no_identifier": "the item has no identifier",
    "no_body": "the item has no body",
    "no_interaction": "no interaction",
    "several_interactions": "several interactions: %(interactions)s",
    "interaction_unknown": "%(interaction)s",
    "no_correct_response": "no correct response",
    "match_needs_two_sets": "a match interaction needs two sets",
    "premise_several_responses": "a premise with several right responses",
    "order_incomplete": "the correct order does not list every choice",
    "hot_text_brackets": "square brackets in a hot text span",
    "marker_crosses_elements": "a marker that crosses HTML elements",
    "no_qti_form": "%(type)s has no QTI form",
    "coderunner_type_unknown": "CodeRunner question type %(type)s",
    "coderunner_template": "a CodeRunner question with a template of its own",
    "coderunner_grader": "CodeRunner grader %(grader)s",
    "coderunner_testcode": "test code in a CodeRunner %(type)s question (only Python's runs)",
}


def describe(problem: str, values: Mapping[str, Any]) -> str:
    """The problem in English with its values filled in (the code itself if unknown)."""
    template = PROBLEMS.get(problem, problem)
    try:
        return template % dict(values)
    except (KeyError, TypeError, ValueError):
        return template


@dataclass(frozen=True)
class Skipped:
    """An item left out: a stable reason code, the problem code and its values, and the
    problem in English (``detail``)."""

    source_id: str
    title: str
    reason_code: str
    detail: str
    problem: str = ""
    values: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, source_id: str, title: str, reason: str, problem: str,
           **values: Any) -> Skipped:
        clean = {k: str(v) for k, v in values.items()}
        return cls(source_id, title, reason, describe(problem, clean), problem, clean)


@dataclass(frozen=True)
class ImportResult:
    items: tuple[ParsedItem, ...]
    skipped: tuple[Skipped, ...] = ()
    tests: tuple[ParsedTest, ...] = ()


class ImportInvalid(Invalid):
    """A file that cannot be imported whole. Params: ``file``, ``item``, ``reason`` (the
    kind of refusal), ``problem`` (what exactly, a code of :data:`PROBLEMS`) and the
    problem's own values; ``detail`` says it all in English."""

    code = "import_invalid"

    def __init__(self, file: str, reason: str, problem: str = "", item: str = "",
                 **values: Any) -> None:
        clean = {k: str(v) for k, v in values.items()}
        where = f"{file}: item {item!r}" if item else file
        super().__init__("import_invalid",
                         f"{where}: {reason}: {describe(problem, clean)}".rstrip(": "),
                         file=file, item=item, reason=reason, problem=problem, **clean)


class ItemProblem(Exception):
    """Raised while reading one item: the item is refused (or skipped) for ``reason``,
    ``problem`` saying exactly why (a code of :data:`PROBLEMS`, with its ``values``)."""

    def __init__(self, reason: str, problem: str, **values: Any) -> None:
        self.reason = reason
        self.problem = problem
        self.values = {k: str(v) for k, v in values.items()}
        self.detail = describe(problem, self.values)
        super().__init__(f"{reason}: {self.detail}")


@dataclass(frozen=True)
class Context:
    """What every format reader needs: the default language, the sanitiser, the types."""

    filename: str
    language: str = "fr"
    sanitise: Sanitiser = keep_html
    registry: ItemTypeRegistry = field(default_factory=default_registry)

    def html(self, text: str) -> str:
        return self.sanitise(text)

    def item(self, source_id: str, item_type: str, title: str, content: dict[str, Any],
             tags: Iterable[str] = (), metadata: dict[str, Any] | None = None,
             language: str | None = None) -> ParsedItem:
        """Validate ``content`` with its type; a refusal becomes an :class:`ItemProblem`."""
        if item_type not in self.registry:
            raise ItemProblem("unsupported_type", "item_type_unknown", type=item_type)
        language = language or self.language
        try:
            clean = self.registry.get(item_type).validate(in_language(content, language))
        except Invalid as error:
            field_name = error.params.get("field", "")
            raise ItemProblem("invalid_content", "invalid_field", type=item_type,
                              field=field_name) from None
        return ParsedItem(source_id=source_id, item_type=item_type, title=title,
                          content=clean, tags=tuple(dict.fromkeys(tags)),
                          metadata=metadata or {}, language=language)


TEXT_FIELDS = {"stem", "text", "passage", "rubric"}


def in_language(content: Any, language: str) -> Any:
    """Readers give texts as plain strings: label them with the item's language."""
    if isinstance(content, list):
        return [in_language(value, language) for value in content]
    if not isinstance(content, dict):
        return content
    return {key: {language: value} if key in TEXT_FIELDS and isinstance(value, str)
            else in_language(value, language) for key, value in content.items()}


def finite_number(text: str | None, what: str) -> float:
    """A finite float from a file's text, or the item is refused naming ``what``."""
    try:
        value = float(text or "")
    except ValueError:
        raise ItemProblem("invalid_content", "not_a_number", what=what,
                          value=repr(text)) from None
    if not math.isfinite(value):
        raise ItemProblem("invalid_content", "not_finite", what=what, value=repr(text))
    return value


def language_of(tag: str | None, default: str) -> str:
    """``fr-CA`` -> ``fr``; a language we do not carry falls back to ``default``."""
    short = (tag or "").split("-")[0].lower()
    return short if short in LANGUAGES else default


Outcome = ParsedItem | Skipped


def attempt(outcomes: list[Outcome], source_id: str, title: str,
            read: Callable[[], ParsedItem]) -> None:
    """Run one item's reader, recording the item or why it was refused."""
    try:
        outcomes.append(read())
    except ItemProblem as problem:
        outcomes.append(Skipped.of(source_id, title, problem.reason, problem.problem,
                                   **problem.values))


def finish(ctx: Context, outcomes: Iterable[Outcome], skip_unsupported: bool,
           tests: Iterable[ParsedTest] = (), always_skipped: Iterable[Skipped] = ()
           ) -> ImportResult:
    """All or nothing: the first refused item raises unless ``skip_unsupported``.

    Two items with the same source id in different languages are one item's
    translations (how a bilingual item is exported to QTI): they are merged.
    """
    tests = tuple(tests)
    items: list[ParsedItem] = []
    skipped: list[Skipped] = list(always_skipped)
    where: dict[str, int] = {}
    languages: dict[str, set[str]] = {}
    for outcome in outcomes:
        if isinstance(outcome, ParsedItem) and outcome.source_id in where:
            outcome = translated(ctx, items[where[outcome.source_id]], outcome,
                                 languages[outcome.source_id])
            if isinstance(outcome, ParsedItem):
                languages[outcome.source_id].add(outcome.language)
                items[where[outcome.source_id]] = outcome
                continue
        if isinstance(outcome, Skipped):
            if not skip_unsupported:
                raise ImportInvalid(ctx.filename, outcome.reason_code, outcome.problem,
                                    item=outcome.title or outcome.source_id, **outcome.values)
            skipped.append(outcome)
            continue
        where[outcome.source_id] = len(items)
        languages[outcome.source_id] = {outcome.language}
        items.append(outcome)
    if not items and not skipped and not tests:
        raise ImportInvalid(ctx.filename, "no_items", "no_items")
    return ImportResult(tuple(items), tuple(skipped), tuple(tests))


def translated(ctx: Context, item: ParsedItem, other: ParsedItem,
               languages: set[str]) -> Outcome:
    """``item`` with the texts of ``other`` added, or why they cannot be one item."""
    language = other.language
    if language in languages or other.item_type != item.item_type:
        return Skipped.of(other.source_id, other.title, "duplicate_source_id",
                          "duplicate_source_id")
    try:
        merged = merge_texts(item.content, other.content)
        # The merged item is kept under the first item's language: ``item.language``.
        return ctx.item(item.source_id, item.item_type, item.title, merged, item.tags,
                        item.metadata, item.language)
    except ItemProblem as problem:
        return Skipped.of(other.source_id, other.title, problem.reason,
                          "translation_mismatch", language=language)


def is_text_map(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and set(value) <= set(LANGUAGES) and \
        all(isinstance(v, str) for v in value.values())


def merge_texts(first: Any, second: Any) -> Any:
    """``first`` with the languages of ``second`` added to every text; all else must agree."""
    if is_text_map(first) and is_text_map(second):
        return {**second, **first}
    if isinstance(first, dict) and isinstance(second, dict) and set(first) == set(second):
        return {key: merge_texts(first[key], second[key]) for key in first}
    if isinstance(first, list) and isinstance(second, list) and len(first) == len(second):
        return [merge_texts(a, b) for a, b in zip(first, second, strict=True)]
    if first == second:
        return first
    raise ItemProblem("invalid_content", "translations_differ")
