"""GIFT text import (Moodle's plain-text question format).

Questions are separated by blank lines; ``// ...`` lines are comments;
``$CATEGORY: a/b`` gives the tags of the questions that follow. ``source_id`` is
the ``::title::`` when there is one, else ``gift-`` and a hash of the question's
text; a second question of the file with the same one gets ``#2``, a third ``#3``
(see :class:`UniqueIds`), so that ids are unique in a file and the same at every
import of that file.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from item_bank.interop.model import (
    Context,
    ImportResult,
    ItemProblem,
    Outcome,
    ParsedItem,
    Skipped,
    attempt,
    finish,
)
from item_bank.interop.moodle_xml import NOT_A_TAG

Content = dict[str, Any]
TITLE = re.compile(r"^::(.*?)(?<!\\)::", re.DOTALL)
FORMAT = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
ESCAPED = re.compile(r"\\(.)")
WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")


def unescape(text: str, strip: bool = True) -> str:
    plain = ESCAPED.sub(lambda m: "\n" if m.group(1) == "n" else m.group(1), text)
    return plain.strip() if strip else plain


def split_unescaped(text: str, marks: str) -> list[str]:
    """Split before every unescaped character of ``marks``, keeping the mark."""
    parts, start, n = [], 0, 0
    while n < len(text):
        if text[n] == "\\":
            n += 2
            continue
        if text[n] in marks and n > start:
            parts.append(text[start:n])
            start = n
        n += 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def cut_unescaped(text: str, mark: str) -> tuple[str, str]:
    """``text`` before and after the first unescaped ``mark``."""
    n = 0
    while n < len(text):
        if text[n] == "\\":
            n += 2
            continue
        if text.startswith(mark, n):
            return text[:n], text[n + len(mark):]
        n += 1
    return text, ""


def questions(source: str) -> list[str]:
    blocks: list[str] = []
    current: list[str] = []
    for line in source.splitlines():
        if line.lstrip().startswith("//"):
            continue
        if not line.strip():
            if current:
                blocks.append("\n".join(current))
            current = []
        else:
            current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


class UniqueIds:
    """Source ids made unique in the order they are asked for: ``x``, ``x#2``, ``x#3``...

    GIFT files often repeat a title (``::Q1::`` in each category) or have none (two
    identical true/false questions): the first keeps the plain id, so that a file
    imported before this rule still finds its items, and each repeat is numbered by its
    rank in the file, which the same file gives again at every import.
    """

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.seen: dict[str, int] = {}

    def take(self, base: str) -> str:
        rank = self.seen.get(base, 0) + 1
        candidate = base if rank == 1 else f"{base}#{rank}"
        while candidate in self.used:  # a title written "Q1#2" by hand came first
            rank += 1
            candidate = f"{base}#{rank}"
        self.seen[base] = rank
        self.used.add(candidate)
        return candidate


def read(source: str, ctx: Context, skip_unsupported: bool) -> ImportResult:
    outcomes: list[Outcome] = []
    always: list[Skipped] = []
    tags: list[str] = []
    ids = UniqueIds()
    for block in questions(source):
        if block.lstrip().startswith("$CATEGORY:"):
            first, _, block = block.lstrip().partition("\n")
            path = first.split(":", 1)[1].strip()
            tags = [p.strip() for p in path.split("/") if p.strip() and
                    not NOT_A_TAG.match(p.strip())]
            if not block.strip():
                continue
        title_match = TITLE.match(block.strip())
        title = unescape(title_match.group(1)) if title_match else ""
        body = block.strip()[title_match.end():] if title_match else block.strip()
        source_id = ids.take(title or "gift-" + hashlib.sha256(body.encode()).hexdigest()[:16])
        shown = title or unescape(cut_unescaped(body, "{")[0])[:60]
        if "{" not in body.replace("\\{", ""):
            always.append(Skipped.of(source_id, shown, "not_a_question", "no_answer_block"))
            continue

        def build(body: str = body, source_id: str = source_id, shown: str = shown,
                  tags: list[str] = tags) -> ParsedItem:
            item_type, content, fmt = read_question(body, ctx)
            return ctx.item(source_id, item_type, shown, content, tags,
                            {"format": "gift", "text_format": fmt})

        attempt(outcomes, source_id, shown, build)
    return finish(ctx, outcomes, skip_unsupported, always_skipped=always)


def read_question(body: str, ctx: Context) -> tuple[str, Content, str]:
    fmt = "moodle"
    if (marker := FORMAT.match(body)) is not None:
        fmt, body = marker.group(1).lower(), body[marker.end():]
    before, rest = cut_unescaped(body, "{")
    block, after = cut_unescaped(rest, "}")
    if not rest or "}" not in rest.replace("\\}", ""):
        raise ItemProblem("malformed", "unclosed_answer_block")
    block = cut_unescaped(block, "####")[0].strip()
    raw_before, raw_after = unescape(before, strip=False), unescape(after, strip=False)
    before, after = raw_before.strip(), raw_after.strip()
    stem = ctx.html(before + (" _____ " + after if after else ""))
    if not block:
        return "extended_text", {"stem": stem}, fmt
    answers_text = cut_unescaped(block, "#")[0].strip().upper()
    if answers_text in ("T", "TRUE", "F", "FALSE") and not block.startswith("#"):
        return "true_false", {"stem": stem, "correct": answers_text.startswith("T")}, fmt
    if block.startswith("#"):
        return "numeric", {"stem": stem, **numeric(block[1:])}, fmt
    answers = split_unescaped(block, "=~")
    if answers and all(a.startswith("=") and "->" in a for a in answers):
        return "matching", {"stem": stem, **matching(answers, ctx)}, fmt
    if all(a.startswith("=") for a in answers):
        texts = []
        for answer in answers:
            text = unescape(cut_unescaped(answer[1:], "#")[0])
            weight = WEIGHT.match(text)
            if weight and float(weight.group(1)) < 100:
                continue  # partial credit answers: short text gives full or none
            texts.append(text[weight.end():].strip() if weight else text)
        return "short_text", {"stem": stem, "answers": texts}, fmt
    item_type, content = choice(answers, ctx)
    if after and item_type == "single_choice":
        # A "missing word" question: the answer block sits inside the sentence.
        gap = {"id": "g1", "options": content["options"], "correct": content["correct"]}
        text = f"{raw_before.lstrip()}{{{{g1}}}}{raw_after.rstrip()}"
        return "inline_choice", {"text": ctx.html(text),
                                 "gaps": [gap]}, fmt
    return item_type, {"stem": stem, **content}, fmt


def choice(answers: list[str], ctx: Context) -> tuple[str, Content]:
    options, weights = [], []
    for n, answer in enumerate(answers):
        mark, rest = answer[0], cut_unescaped(answer[1:], "#")[0].strip()
        weight = WEIGHT.match(rest)
        value = 100.0 if mark == "=" else 0.0
        if weight:
            value, rest = float(weight.group(1)), rest[weight.end():]
        options.append({"id": chr(ord("a") + n) if n < 26 else f"o{n}",
                        "text": ctx.html(unescape(rest))})
        weights.append(value)
    correct = [o["id"] for o, w in zip(options, weights, strict=True) if w > 0]
    if not correct:
        raise ItemProblem("invalid_content", "no_right_answer")
    if len(correct) == 1 and max(weights) >= 100:
        return "single_choice", {"options": options, "correct": correct[0]}
    return "multiple_response", {"options": options, "correct": correct}


def numeric(block: str) -> Content:
    answers = split_unescaped(block, "=") if block.lstrip().startswith("=") else [block]
    for answer in answers:
        text = cut_unescaped(answer.lstrip("="), "#")[0].strip()
        weight = WEIGHT.match(text)
        if weight:
            if float(weight.group(1)) < 100:
                continue
            text = text[weight.end():]
        try:
            if ".." in text:
                low, high = (float(v) for v in text.split("..", 1))
                return {"answer": round((low + high) / 2, 12),
                        "tolerance": round(abs(high - low) / 2, 12)}
            value, _, tolerance = text.partition(":")
            return {"answer": float(value), "tolerance": float(tolerance or 0)}
        except ValueError:
            raise ItemProblem("invalid_content", "not_a_number", what="answer",
                              value=repr(text)) from None
    raise ItemProblem("invalid_content", "no_full_marks_number")


def matching(answers: list[str], ctx: Context) -> Content:
    premises: list[Content] = []
    responses: list[Content] = []
    pairs: dict[str, str] = {}
    response_ids: dict[str, str] = {}
    for answer in answers:
        left, _, right = cut_unescaped(answer[1:], "#")[0].partition("->")
        left, right = unescape(left), unescape(right)
        if right not in response_ids:
            response_ids[right] = f"r{len(response_ids) + 1}"
            responses.append({"id": response_ids[right], "text": ctx.html(right)})
        if left:
            premise_id = f"p{len(premises) + 1}"
            premises.append({"id": premise_id, "text": ctx.html(left)})
            pairs[premise_id] = response_ids[right]
    return {"premises": premises, "responses": responses, "pairs": pairs}
