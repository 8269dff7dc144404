"""The data side of bench/item_scoring.py: a seeded exam of 40 items and a cohort's responses.

Everything is derived from one seed, so two runs (or two processes) build the same
cohort. Items are authored as a teacher would write them, then normalised by their
type's ``validate`` (as ``item_bank.service.create_item`` stores them). Responses have
the shape the page sends (``check_response`` accepts every one of them) and are drawn
per student from a simple ability model: each student has an ability, each item a
difficulty, and each answer is unanswered, right, partly right or wrong.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from item_bank.registry import ItemTypeRegistry
from item_bank.types.base import Content

# How many of the 40 items each objective type gets (a ministry-style mix).
MIX: dict[str, int] = {
    "single_choice": 9, "multiple_response": 5, "true_false": 4, "numeric": 5,
    "short_text": 5, "inline_choice": 3, "matching": 3, "ordering": 3, "hot_text": 3,
}
UNANSWERED = 0.04  # share of slots left blank (time ran out, skipped)

Response = dict[str, Any] | None


@dataclass(frozen=True)
class CohortItem:
    """One item version of the exam: its type, stored content and how to answer it."""

    item_type: str
    authored: Content  # as the teacher wrote it (what create_item receives)
    content: Content  # as stored: normalised by the type's validate
    difficulty: float
    answer: Callable[[random.Random, str], Response]


def _bi(fr: str, en: str) -> dict[str, str]:
    return {"fr": fr, "en": en}


def _labelled(prefix: str, count: int) -> list[dict[str, Any]]:
    return [{"id": f"{prefix}{n}", "text": _bi(f"{prefix} {n} (fr)", f"{prefix} {n} (en)")}
            for n in range(1, count + 1)]


# -- one maker per type: (authored content, answer(rng, outcome) -> response) ----------
# ``outcome`` is "right", "partial" or "wrong"; types without partial credit treat
# "partial" as "wrong".

def _single_choice(rng: random.Random, n: int) -> tuple[Content, Any]:
    count = rng.choice((3, 4, 4, 5))
    options = [{"id": chr(ord("a") + k), "text": _bi(f"Choix {k}", f"Choice {k}")}
               for k in range(count)]
    correct = rng.choice(options)["id"]
    others = [o["id"] for o in options if o["id"] != correct]

    def answer(r: random.Random, outcome: str) -> Response:
        return {"choice": correct if outcome == "right" else r.choice(others)}
    return {"stem": _bi(f"Question {n} ?", f"Question {n}?"), "options": options,
            "correct": correct, "points": rng.choice((1, 1, 2))}, answer


def _multiple_response(rng: random.Random, n: int) -> tuple[Content, Any]:
    ids = [chr(ord("a") + k) for k in range(rng.choice((4, 5, 6)))]
    correct = sorted(rng.sample(ids, rng.choice((2, 2, 3))))
    wrong = [i for i in ids if i not in correct]

    def answer(r: random.Random, outcome: str) -> Response:
        if outcome == "right":
            chosen = list(correct)
        elif outcome == "partial":  # some right ones, perhaps one wrong one too
            chosen = r.sample(correct, len(correct) - 1) + r.sample(wrong, r.choice((0, 1)))
        else:
            chosen = r.sample(wrong, min(len(wrong), r.choice((1, 2))))
        r.shuffle(chosen)
        return {"choices": chosen}
    return {"stem": _bi(f"Cochez ({n})", f"Tick ({n})"),
            "options": [{"id": i, "text": _bi(f"Option {i}", f"Option {i}")} for i in ids],
            "correct": correct, "points": rng.choice((2, 3))}, answer


def _true_false(rng: random.Random, n: int) -> tuple[Content, Any]:
    correct = rng.random() < 0.5

    def answer(r: random.Random, outcome: str) -> Response:
        return {"value": correct if outcome == "right" else not correct}
    return {"stem": _bi(f"Énoncé {n}", f"Statement {n}"), "correct": correct}, answer


def _numeric(rng: random.Random, n: int) -> tuple[Content, Any]:
    value = round(rng.uniform(0.5, 2000), rng.choice((0, 1, 2, 3)))
    relative = rng.random() < 0.4
    tolerance = 0.01 if relative else rng.choice((0, 0.05, 0.5))
    content: Content = {"stem": _bi(f"Calculez ({n})", f"Compute ({n})"), "answer": value,
                        "tolerance": tolerance,
                        "tolerance_mode": "relative" if relative else "absolute",
                        "points": rng.choice((1, 2))}
    if rng.random() < 0.5:
        content["unit"] = rng.choice(("m", "kg", "$", "km/h"))

    def answer(r: random.Random, outcome: str) -> Response:
        if outcome == "right":
            text = f"{value:.{r.choice((2, 3))}f}"
            if r.random() < 0.6:  # a decimal comma, as most students type it
                text = text.replace(".", ",")
            if value >= 1000 and r.random() < 0.3:
                whole, _, frac = text.replace(",", ".").partition(".")
                text = f"{whole[:-3]} {whole[-3:]},{frac}"
            return {"value": text}
        if r.random() < 0.1:
            return {"value": r.choice(("je sais pas", "?", "environ 12", ""))}
        wrong = value * r.choice((10, 0.1, 2, -1)) + r.choice((0, 1))
        return {"value": f"{wrong:.2f}".replace(".", ",")}
    return content, answer


WORDS = ["Saint-Laurent", "photosynthèse", "Jacques Cartier", "hypoténuse", "Québec",
         "mitochondrie", "Révolution tranquille", "évaporation", "Champlain", "écosystème"]


def _short_text(rng: random.Random, n: int) -> tuple[Content, Any]:
    word = WORDS[n % len(WORDS)]
    answers = [word] + ([word.replace("-", " ")] if "-" in word else []) + \
        ([f"le {word}"] if rng.random() < 0.5 else [])
    content = {"stem": _bi(f"Nommez ({n})", f"Name ({n})"), "answers": answers,
               "ignore_accents": rng.random() < 0.6, "case_sensitive": rng.random() < 0.1}

    def answer(r: random.Random, outcome: str) -> Response:
        if outcome == "right":
            text = r.choice(answers)
            spelling = r.random()
            if spelling < 0.3:
                text = text.lower()
            elif spelling < 0.4:
                text = f"  {text} "
            return {"text": text}
        return {"text": r.choice(WORDS[:n % len(WORDS)] + WORDS[n % len(WORDS) + 1:]).lower()}
    return content, answer


def _inline_choice(rng: random.Random, n: int) -> tuple[Content, Any]:
    gap_count = rng.choice((2, 3, 4))
    gaps = []
    for g in range(1, gap_count + 1):
        options = _labelled(f"g{g}o", rng.choice((3, 4)))
        gaps.append({"id": f"g{g}", "options": options, "correct": rng.choice(options)["id"]})
    markers = " ".join(f"{{{{g{g}}}}}" for g in range(1, gap_count + 1))

    def answer(r: random.Random, outcome: str) -> Response:
        given = {}
        for gap in gaps:
            right = outcome == "right" or (outcome == "partial" and r.random() < 0.6)
            others = [o["id"] for o in gap["options"] if o["id"] != gap["correct"]]
            if right or r.random() < 0.9:  # a wrong answer sometimes leaves a gap blank
                given[gap["id"]] = gap["correct"] if right else r.choice(others)
        return {"gaps": given}
    return {"stem": _bi("Complétez", "Fill in"),
            "text": _bi(f"Texte {n} : {markers}.", f"Text {n}: {markers}."),
            "gaps": gaps, "points": gap_count}, answer


def _matching(rng: random.Random, n: int) -> tuple[Content, Any]:
    premise_count = rng.choice((3, 4, 5))
    premises = _labelled("p", premise_count)
    responses = _labelled("r", premise_count + rng.choice((0, 1, 2)))
    response_ids = [r["id"] for r in responses]
    targets = rng.sample(response_ids, premise_count)
    pairs = {p["id"]: t for p, t in zip(premises, targets, strict=True)}

    def answer(r: random.Random, outcome: str) -> Response:
        given = {}
        for premise, target in pairs.items():
            right = outcome == "right" or (outcome == "partial" and r.random() < 0.6)
            given[premise] = target if right else r.choice(
                [x for x in response_ids if x != target])
        return {"pairs": given}
    return {"stem": _bi(f"Associez ({n})", f"Match ({n})"), "premises": premises,
            "responses": responses, "pairs": pairs, "points": premise_count}, answer


def _ordering(rng: random.Random, n: int) -> tuple[Content, Any]:
    count = rng.choice((4, 5, 6))
    items = [{"text": _bi(f"Étape {n}.{k}", f"Step {n}.{k}")} for k in range(count)]
    mode = "all_or_nothing" if rng.random() < 0.3 else "subsequence"
    ids: list[str] = []  # filled in by attach_keys once validate has derived the ids

    def answer(r: random.Random, outcome: str) -> Response:
        order = list(ids)
        if outcome == "partial":  # two steps swapped
            a = r.randrange(count - 1)
            order[a], order[a + 1] = order[a + 1], order[a]
        elif outcome == "wrong":
            while order == ids:
                r.shuffle(order)
        return {"order": order}
    answer.ids = ids  # type: ignore[attr-defined]
    return {"stem": _bi(f"Ordonnez ({n})", f"Order ({n})"), "items": items,
            "scoring": mode, "points": 2}, answer


def _hot_text(rng: random.Random, n: int) -> tuple[Content, Any]:
    span_count = rng.choice((4, 5, 6))
    span_ids = [f"s{k}" for k in range(1, span_count + 1)]
    correct = sorted(rng.sample(span_ids, rng.choice((1, 2, 3))))
    wrong = [s for s in span_ids if s not in correct]
    fr = " ".join(f"mot [[{s}:terme{s}]]" for s in span_ids)
    en = " ".join(f"word [[{s}:term{s}]]" for s in span_ids)

    def answer(r: random.Random, outcome: str) -> Response:
        if outcome == "right":
            chosen = list(correct)
        elif outcome == "partial":
            chosen = correct[:max(1, len(correct) - 1)] + r.sample(wrong, r.choice((0, 1)))
        else:
            chosen = r.sample(wrong, 1)
        return {"selected": chosen}
    return {"stem": _bi("Sélectionnez", "Select"), "passage": _bi(fr, en),
            "correct": correct, "max_selections": span_count, "points": 2}, answer


MAKERS: dict[str, Callable[[random.Random, int], tuple[Content, Any]]] = {
    "single_choice": _single_choice, "multiple_response": _multiple_response,
    "true_false": _true_false, "numeric": _numeric, "short_text": _short_text,
    "inline_choice": _inline_choice, "matching": _matching, "ordering": _ordering,
    "hot_text": _hot_text,
}
PARTIAL_CREDIT = {"multiple_response", "inline_choice", "matching", "ordering", "hot_text"}


def objective_types(registry: ItemTypeRegistry) -> tuple[list[str], list[str]]:
    """(types the cohort uses, registered types it leaves out: manual ones or unknown)."""
    used = [name for name in registry.names() if name in MAKERS]
    return used, [name for name in registry.names() if name not in MAKERS]


def make_exam(registry: ItemTypeRegistry, seed: int, items: int = 40) -> list[CohortItem]:
    """``items`` item versions mixing every objective type of ``registry``, in MIX's ratio."""
    rng = random.Random(f"exam:{seed}")
    used, _ = objective_types(registry)
    # Every type at least once, the rest in MIX's proportions (largest remainder).
    weights = {name: MIX.get(name, 3) for name in used}
    spare = items - len(used)
    shares = {name: spare * w / sum(weights.values()) for name, w in weights.items()}
    counts = {name: 1 + int(share) for name, share in shares.items()}
    for name in sorted(used, key=lambda n: int(shares[n]) - shares[n])[:items - sum(
            counts.values())]:
        counts[name] += 1
    kinds = [name for name in used for _ in range(counts[name])]
    rng.shuffle(kinds)
    exam = []
    for n, kind in enumerate(kinds):
        authored, answer = MAKERS[kind](rng, n)
        content = registry.get(kind).validate(authored)
        if hasattr(answer, "ids"):  # ordering: the key is the ids validate derived
            answer.ids.extend(i["id"] for i in content["items"])
        exam.append(CohortItem(kind, authored, content, rng.gauss(0.0, 1.0), answer))
    return exam


def student_responses(exam: list[CohortItem], seed: int, student: int) -> list[Response]:
    """One student's responses to every item, fixed by ``seed`` and the student's number."""
    r = random.Random(seed * 1_000_003 + student)
    ability = r.gauss(0.0, 1.0)
    responses: list[Response] = []
    for item in exam:
        if r.random() < UNANSWERED:
            responses.append(None)
            continue
        p_right = 1.0 / (1.0 + math.exp(item.difficulty - ability - 0.8))
        draw = r.random()
        if draw < p_right:
            outcome = "right"
        elif item.item_type in PARTIAL_CREDIT and draw < p_right + (1 - p_right) * 0.5:
            outcome = "partial"
        else:
            outcome = "wrong"
        responses.append(item.answer(r, outcome))
    return responses


def cohort(exam: list[CohortItem], seed: int, first: int, count: int) -> list[list[Response]]:
    return [student_responses(exam, seed, s) for s in range(first, first + count)]
