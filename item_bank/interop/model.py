"""What an import produces: parsed items and tests, skipped items, and the import error."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
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


@dataclass(frozen=True)
class Skipped:
    """An item left out, with a stable reason code and a detail for people."""

    source_id: str
    title: str
    reason_code: str
    detail: str


@dataclass(frozen=True)
class ImportResult:
    items: tuple[ParsedItem, ...]
    skipped: tuple[Skipped, ...] = ()
    tests: tuple[ParsedTest, ...] = ()


class ImportInvalid(Invalid):
    """A file that cannot be imported whole. Params: ``file``, ``item``, ``reason``."""

    code = "import_invalid"

    def __init__(self, file: str, reason: str, detail: str = "", item: str = "") -> None:
        where = f"{file}: item {item!r}" if item else file
        super().__init__("import_invalid", f"{where}: {reason}: {detail}".rstrip(": "),
                         file=file, item=item, reason=reason)


class ItemProblem(Exception):
    """Raised while reading one item: the item is refused (or skipped) for ``reason``."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}")


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
            raise ItemProblem("unsupported_type", item_type)
        language = language or self.language
        try:
            clean = self.registry.get(item_type).validate(in_language(content, language))
        except Invalid as error:
            field_name = error.params.get("field", "")
            raise ItemProblem("invalid_content", f"{item_type}: {field_name}") from None
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
        raise ItemProblem("invalid_content", f"{what}: not a number: {text!r}") from None
    if not math.isfinite(value):
        raise ItemProblem("invalid_content", f"{what}: not a finite number: {text!r}")
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
        outcomes.append(Skipped(source_id, title, problem.reason, problem.detail))


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
                raise ImportInvalid(ctx.filename, outcome.reason_code, outcome.detail,
                                    item=outcome.title or outcome.source_id)
            skipped.append(outcome)
            continue
        where[outcome.source_id] = len(items)
        languages[outcome.source_id] = {outcome.language}
        items.append(outcome)
    if not items and not skipped and not tests:
        raise ImportInvalid(ctx.filename, "no_items", "the file holds no item to import")
    return ImportResult(tuple(items), tuple(skipped), tuple(tests))


def translated(ctx: Context, item: ParsedItem, other: ParsedItem,
               languages: set[str]) -> Outcome:
    """``item`` with the texts of ``other`` added, or why they cannot be one item."""
    language = other.language
    if language in languages or other.item_type != item.item_type:
        return Skipped(other.source_id, other.title, "duplicate_source_id",
                       "another item of the file has the same identifier")
    try:
        merged = merge_texts(item.content, other.content)
        # The merged item is kept under the first item's language: ``item.language``.
        return ctx.item(item.source_id, item.item_type, item.title, merged, item.tags,
                        item.metadata, item.language)
    except ItemProblem as problem:
        return Skipped(other.source_id, other.title, problem.reason,
                       f"the {language} version does not match: {problem.detail}")


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
    raise ItemProblem("invalid_content", "the translations differ beyond their texts")
