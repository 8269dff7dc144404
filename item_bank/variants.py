"""Parametrised items: a teacher's generator gives each attempt its own reproducible variant.

A parametrised item's content carries ``generator``: Python source defining ``generate()``,
run through the sandbox's RestrictedPython guard (:mod:`sandbox.restricted`) with a seeded
``rng``. It returns the variant's parameters, a flat dict of names to numbers, strings or
booleans, usually including the answer. Anywhere in the content, ``{{name}}`` stands for a
parameter: a string that is exactly one placeholder becomes the parameter's value itself (so
a numeric item's ``"answer": "{{answer}}"`` becomes a number), and a placeholder inside text
is replaced by the value written for the text's language (``2,5`` in French, ``2.5`` in
English). The instantiated content is validated by the item's type like any other content.

The same version and seed always give the same parameters; they are kept in
``item_variants`` (computed once, ahead of a sitting by :func:`prepare_variants`) and copied
into the attempt's slot, so what the student saw is scored and reviewed years later from the
slot alone. The parameters never reach a student: only the instantiated render does.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import OrderedDict
from collections.abc import Iterable
from threading import Lock
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ardoise.errors import Invalid
from item_bank.models import ItemVariant
from item_bank.registry import ItemTypeRegistry, default_registry
from item_bank.service import version_type_and_content
from item_bank.types.base import LANGUAGES, Content
from sandbox.restricted import GuardLimits, RestrictedError, run_restricted_batch

GENERATOR = "generator"
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,39})\s*\}\}")
MAX_PARAMS = 50
MAX_SOURCE = 20_000
#: Seeds tried when a generator is saved: each must give a valid item.
CHECK_SEEDS = (1, 2, 3, 4, 5, 6, 7, 8)
#: A seed whose variant fails (a generator dividing by zero for some draws) gives way to the
#: next one; this many are tried before the attempt cannot get a variant.
SEED_RETRIES = 4
#: CPU bounds the teacher's code; the wall clock only catches code that waits, and must
#: leave room for the interpreter's start on a busy server.
LIMITS = GuardLimits(cpu_seconds=0.5, wall_seconds=10.0, memory_mb=64, result_bytes=16 * 1024)

Params = dict[str, int | float | str | bool]


def is_parametrised(content: Content) -> bool:
    return bool(content.get(GENERATOR))


def variant_seed(attempt_seed: int, item_version_id: str, attempt: int = 0) -> int:
    """The generator seed of an item version in an attempt, derived from the attempt's seed."""
    digest = hashlib.sha256(f"variant:{attempt_seed}:{item_version_id}:{attempt}".encode())
    return int.from_bytes(digest.digest()[:4], "big") & 0x7FFFFFFF


def _format(value: int | float | str | bool, lang: str | None) -> str:
    if isinstance(value, bool):
        return {"fr": "vrai" if value else "faux"}.get(lang or "", str(value).lower())
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.12g}"
        return text.replace(".", ",") if lang == "fr" else text
    return value


def _substitute(value: Any, params: Params, lang: str | None) -> Any:
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value.strip())
        if whole and lang is None and whole.group(1) in params:
            return params[whole.group(1)]
        # A name that is no parameter stays as written: inline-choice gaps use these braces.
        return PLACEHOLDER.sub(lambda m: _format(params[m.group(1)], lang)
                               if m.group(1) in params else m.group(0), value)
    if isinstance(value, dict):
        bilingual = bool(value) and set(value) <= set(LANGUAGES)
        return {k: _substitute(v, params, k if bilingual else lang) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, params, lang) for v in value]
    return value


def _placeholders(value: Any) -> set[str]:
    if isinstance(value, str):
        return set(PLACEHOLDER.findall(value))
    if isinstance(value, dict):
        return {n for v in value.values() for n in _placeholders(v)}
    if isinstance(value, list):
        return {n for v in value for n in _placeholders(v)}
    return set()


def unknown_placeholders(content: Content, params: Params) -> set[str]:
    """Placeholders naming neither a parameter nor one of the item's own gaps."""
    gaps = {str(g.get("id")) for g in content.get("gaps") or () if isinstance(g, dict)}
    used = _placeholders({k: v for k, v in content.items() if k != GENERATOR})
    return used - set(params) - gaps


def instantiate(content: Content, params: Params) -> Content:
    """The content of one variant: placeholders replaced, the generator left out."""
    return {k: _substitute(v, params, None) for k, v in content.items() if k != GENERATOR}


def check_params(result: Any) -> Params:
    """The generator's result must be a flat dict of names to finite scalars."""
    if not isinstance(result, dict) or not 0 < len(result) <= MAX_PARAMS:
        raise Invalid("item_invalid", field=GENERATOR, detail="generate() must return a dict")
    for name, value in result.items():
        if not (isinstance(name, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,39}", name)):
            raise Invalid("item_invalid", field=GENERATOR, detail=f"bad parameter name {name!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise Invalid("item_invalid", field=GENERATOR, detail=f"{name} is not finite")
        if not isinstance(value, int | float | str | bool) or (
                isinstance(value, str) and len(value) > 500):
            raise Invalid("item_invalid", field=GENERATOR, detail=f"bad value for {name}")
    return result


def generate(source: str, seeds: list[int]) -> list[Params]:
    """Run the generator for each seed (one guarded child process for all of them)."""
    try:
        results = run_restricted_batch(source, seeds, limits=LIMITS)
    except RestrictedError as error:
        raise Invalid("item_invalid", field=GENERATOR,
                      detail=f"{error.code}: {error.message}") from None
    return [check_params(r) for r in results]


def validate_parametrised(
    item_type: str, content: Content, registry: ItemTypeRegistry | None = None,
) -> Content:
    """Check a parametrised item: its generator compiles under the guard and, for several
    seeds, gives parameters whose variant the item type accepts. Returns the content to
    store (the template with the generator, normalised where it holds no placeholder)."""
    registry = registry or default_registry()
    source = content.get(GENERATOR)
    if not isinstance(source, str) or not source.strip() or len(source) > MAX_SOURCE:
        raise Invalid("item_invalid", field=GENERATOR)
    # One guarded run compiles (a syntax or policy error comes back as such) and runs the
    # generator for every check seed.
    kind = registry.get(item_type)
    for seed, params in zip(CHECK_SEEDS, generate(source, list(CHECK_SEEDS)), strict=True):
        unknown = unknown_placeholders(content, params)
        if unknown:
            raise Invalid("item_invalid", field=GENERATOR,
                          detail=f"unknown parameters: {', '.join(sorted(unknown))}")
        try:
            kind.validate(instantiate(content, params))
        except Invalid as error:
            raise Invalid("item_invalid", field=error.params.get("field") or GENERATOR,
                          detail=f"variant of seed {seed}: {error.detail or error.code}") from None
    template = json.loads(json.dumps(content))
    template[GENERATOR] = source.replace("\r\n", "\n").strip() + "\n"
    return template


class _InstanceCache:
    """Validated variant contents by (version, parameters): many attempts share a variant."""

    def __init__(self, size: int = 8192) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[str, str], Content] = OrderedDict()
        self.lock = Lock()

    def get(self, key: tuple[str, str]) -> Content | None:
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
            return found

    def put(self, key: tuple[str, str], value: Content) -> None:
        with self.lock:
            self.entries[key] = value
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


_instances = _InstanceCache()


def slot_content(
    session: Session, item_version_id: str, variant: Params | None,
    registry: ItemTypeRegistry | None = None,
) -> tuple[str, Content]:
    """The type and content a slot shows and is scored on: its variant when it has one."""
    item_type, content = version_type_and_content(session, item_version_id)
    if variant is None or not is_parametrised(content):
        return item_type, content
    key = (item_version_id, json.dumps(variant, sort_keys=True))
    found = _instances.get(key)
    if found is None:
        found = (registry or default_registry()).get(item_type).validate(
            instantiate(content, variant))
        _instances.put(key, found)
    return item_type, found


def stored_variants(
    session: Session, wanted: Iterable[tuple[str, int]],
) -> dict[tuple[str, int], Params]:
    """The variants already computed among ``wanted`` (version id, seed) pairs."""
    by_version: dict[str, set[int]] = {}
    for version_id, seed in wanted:
        by_version.setdefault(version_id, set()).add(seed)
    found: dict[tuple[str, int], Params] = {}
    for version_id, seeds in by_version.items():
        for row in session.scalars(select(ItemVariant).where(
                ItemVariant.item_version_id == version_id, ItemVariant.seed.in_(seeds))):
            found[(version_id, row.seed)] = row.params
    return found


def prepare_variants(
    session: Session, wanted: Iterable[tuple[str, int]],
) -> dict[tuple[str, int], Params | None]:
    """Parameters for every (version id, seed) pair: stored ones, and the missing ones
    generated (one guarded run per version) and stored. A seed whose generator run fails
    maps to ``None``: the caller moves to the next seed."""
    wanted = list(dict.fromkeys(wanted))
    found: dict[tuple[str, int], Params | None] = dict(stored_variants(session, wanted))
    missing: dict[str, list[int]] = {}
    for version_id, seed in wanted:
        if (version_id, seed) not in found:
            missing.setdefault(version_id, []).append(seed)
    for version_id, seeds in missing.items():
        _type, content = version_type_and_content(session, version_id)
        source = str(content.get(GENERATOR) or "")
        for params_by_seed in _generate_each(source, seeds):
            for seed, params in params_by_seed.items():
                found[(version_id, seed)] = params
                if params is not None:
                    _store(session, version_id, seed, params)
    return found


def _generate_each(source: str, seeds: list[int]) -> Iterable[dict[int, Params | None]]:
    """Generate in batches; when a batch fails, find the failing seeds one by one."""
    for start in range(0, len(seeds), 500):
        chunk = seeds[start:start + 500]
        try:
            yield dict(zip(chunk, generate(source, chunk), strict=True))
        except Invalid:
            single: dict[int, Params | None] = {}
            for seed in chunk:
                try:
                    single[seed] = generate(source, [seed])[0]
                except Invalid:
                    single[seed] = None
            yield single


def _store(session: Session, version_id: str, seed: int, params: Params) -> None:
    try:
        with session.begin_nested():
            session.add(ItemVariant(item_version_id=version_id, seed=seed, params=params))
    except IntegrityError:
        pass  # another process stored the same (deterministic) variant first


def variant_for(
    session: Session, attempt_seed: int, item_version_id: str,
) -> tuple[int, Params] | None:
    """The variant seed and parameters of a parametrised version in an attempt; ``None``
    if the version is not parametrised. Raises :class:`Invalid` if no seed works."""
    _type, content = version_type_and_content(session, item_version_id)
    if not is_parametrised(content):
        return None
    seeds = [variant_seed(attempt_seed, item_version_id, n) for n in range(SEED_RETRIES)]
    found = prepare_variants(session, [(item_version_id, seeds[0])])
    for n, seed in enumerate(seeds):
        if n:
            found.update(prepare_variants(session, [(item_version_id, seed)]))
        params = found.get((item_version_id, seed))
        if params is not None:
            return seed, params
    raise Invalid("item_variant_failed")


def preview_params(content: Content, count: int = 3, first_seed: int = 1) -> list[
        tuple[int, Params]]:
    """The parameters of ``count`` variants of parametrised content, seeds from
    ``first_seed`` on: what its author previews."""
    if not 0 < count <= 20 or not 0 < first_seed < 2 ** 31 - count:
        raise Invalid("item_invalid", field=GENERATOR)
    seeds = list(range(first_seed, first_seed + count))
    return list(zip(seeds, generate(str(content.get(GENERATOR) or ""), seeds), strict=True))
