"""Similarity report: time to compare every pair of an assignment's submissions.

    python bench/similarity.py --sizes 300 1000

For each size, one seeded synthetic assignment in Python: every student shares the
exercise's starter code and writes a solution of their own (random functions, loops,
conditions and expressions over random names and constants, generated from a small
grammar, about 40 to 70 lines), and about one student in twenty hands in a disguised copy
of another's (identifiers renamed, comments added, blank lines and spacing changed,
functions reordered). The same submissions then go through:

- **index**: ``compare_submissions(method="index")``, as the teacher page calls it
  (candidate pairs from the inverted index of fingerprints, the 100 best with regions);
- **all pairs**: ``method="all_pairs"``, the naive baseline: every pair's fingerprint sets
  intersected, the 100 best with regions;
- **all pairs, full** (``--full``, on by default up to 300 submissions): every pair that
  shares anything fully compared, regions included (``limit=None``).

Lexing and fingerprinting are inside every figure (each call starts from the sources);
the lexing alone is reported on its own row. The bench checks that index and all pairs
give the same report and counts how many planted copies are among the 100 best pairs.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coding_lab.similarity import (  # noqa: E402
    SimilarityReport,
    compare_submissions,
    fingerprint,
)

STARTER = '''def read_numbers():
    """Read the numbers of the input, one per line."""
    values = []
    for line in open(0):
        line = line.strip()
        if line:
            values.append(int(line))
    return values
'''

NAMES = [
    "total", "count", "best", "worst", "value", "values", "item", "items", "index", "result",
    "current", "previous", "step", "limit", "seen", "found", "acc", "mean", "low", "high",
    "left", "right", "middle", "score", "scores", "answer", "temp", "flag", "size", "pos",
]
CALLS = ["len", "abs", "min", "max", "sum", "sorted", "str", "int", "round"]


class Writer:
    """A random program from a small grammar of beginner Python."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def name(self) -> str:
        return self.rng.choice(NAMES)

    def expr(self, depth: int = 0) -> str:
        r = self.rng.random()
        if depth > 2 or r < 0.3:
            return self.name() if self.rng.random() < 0.6 else str(self.rng.randint(0, 99))
        if r < 0.6:
            op = self.rng.choice(["+", "-", "*", "//", "%"])
            return f"{self.expr(depth + 1)} {op} {self.expr(depth + 1)}"
        if r < 0.8:
            return f"{self.rng.choice(CALLS)}({self.expr(depth + 1)})"
        return f"{self.name()}[{self.expr(depth + 1)}]"

    def cond(self) -> str:
        op = self.rng.choice(["<", ">", "<=", ">=", "==", "!="])
        text = f"{self.expr(1)} {op} {self.expr(1)}"
        if self.rng.random() < 0.3:
            text += f" {self.rng.choice(['and', 'or'])} {self.name()}"
        return text

    def block(self, indent: int, depth: int) -> list[str]:
        pad = "    " * indent
        lines: list[str] = []
        for _ in range(self.rng.randint(2, 3)):
            r = self.rng.random()
            if depth < 2 and r < 0.2:
                lines.append(f"{pad}for {self.name()} in range({self.expr(1)}):")
                lines += self.block(indent + 1, depth + 1)
            elif depth < 2 and r < 0.35:
                lines.append(f"{pad}if {self.cond()}:")
                lines += self.block(indent + 1, depth + 1)
                if self.rng.random() < 0.5:
                    lines.append(f"{pad}else:")
                    lines += self.block(indent + 1, depth + 1)
            elif depth < 2 and r < 0.42:
                lines.append(f"{pad}while {self.cond()}:")
                lines += self.block(indent + 1, depth + 1)
            elif r < 0.55:
                lines.append(f"{pad}{self.name()}.append({self.expr(1)})")
            elif r < 0.65:
                lines.append(f"{pad}print({self.expr(1)}, {self.name()})")
            else:
                op = self.rng.choice(["=", "+=", "-="])
                lines.append(f"{pad}{self.name()} {op} {self.expr()}")
        return lines

    def function(self, name: str) -> list[str]:
        params = ", ".join(sorted(set(self.rng.sample(NAMES, self.rng.randint(1, 3)))))
        lines = [f"def {name}({params}):"]
        lines += self.block(1, 0)
        lines.append(f"    return {self.expr(1)}")
        return lines

    def program(self) -> list[list[str]]:
        """Functions, each a list of lines, then the main code as the last one."""
        parts = [self.function(f"step_{i}") for i in range(self.rng.randint(2, 4))]
        main = ["numbers = read_numbers()"]
        main += self.block(0, 0)
        main.append(f"print(step_0({self.name()}))")
        return parts + [main]


def disguise(parts: list[list[str]], rng: random.Random) -> str:
    """Rename every identifier, reorder the functions, add comments and blank lines."""
    renames = {n: f"{n[:2]}_{rng.randint(100, 999)}" for n in NAMES}
    functions = parts[:-1]
    rng.shuffle(functions)
    out: list[str] = []
    for part in [*functions, parts[-1]]:
        out.append("")
        if rng.random() < 0.5:
            out.append("# " + rng.choice(["helper", "my part", "see lab 2", "TODO tidy"]))
        for line in part:
            for old, new in renames.items():
                line = _replace_word(line, old, new)
            line = line.replace(" = ", "  =  ") if rng.random() < 0.2 else line
            out.append(line + ("   # ok" if rng.random() < 0.1 else ""))
    return STARTER + "\n".join(out) + "\n"


def _replace_word(line: str, old: str, new: str) -> str:
    words = []
    token = ""
    for ch in line + " ":
        if ch.isalnum() or ch == "_":
            token += ch
        else:
            if token:
                words.append(new if token == old else token)
                token = ""
            words.append(ch)
    return "".join(words)[:-1]


def assignment(size: int, seed: int) -> tuple[dict[int, str], set[frozenset[int]]]:
    rng = random.Random(seed)
    programs: dict[int, list[list[str]]] = {}
    sources: dict[int, str] = {}
    copies: set[frozenset[int]] = set()
    for student in range(size):
        if student > 10 and rng.random() < 0.05:
            original = rng.randrange(student)
            while original not in programs:
                original = rng.randrange(student)
            sources[student] = disguise(programs[original], rng)
            copies.add(frozenset((original, student)))
            continue
        parts = Writer(rng).program()
        programs[student] = parts
        sources[student] = STARTER + "\n" + "\n\n".join("\n".join(p) for p in parts) + "\n"
    return sources, copies


T = TypeVar("T")


def timed(fn: Callable[[], T], rounds: int) -> tuple[str, T]:
    """Best wall time and best CPU time of ``rounds`` calls (at least one), as a table
    cell, and the last result. CPU time is the figure that other work on the machine
    disturbs least."""
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(max(rounds, 1)):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return f"{min(walls):.2f} | {min(cpus):.2f}", result


def run_size(size: int, seed: int, rounds: int, full: bool) -> None:
    sources, copies = assignment(size, seed)
    mean_lines = sum(s.count("\n") for s in sources.values()) / len(sources)
    all_pairs = size * (size - 1) // 2
    head = f"| {size} | {mean_lines:.0f} |"

    def found(report: SimilarityReport) -> str:
        top = {frozenset((p.a, p.b)) for p in report.pairs}
        return f"{len(top & copies)} of {len(copies)}"

    lex, _ = timed(lambda: [fingerprint(s, "python3") for s in sources.values()], rounds)
    print(f"{head} lexing and fingerprints only | {lex} | – | – |")
    index_s, index = timed(
        lambda: compare_submissions(sources, "python3", starter=STARTER), rounds
    )
    print(f"{head} index | {index_s} | {index.candidate_pairs} candidates | {found(index)} |")
    naive_s, naive = timed(
        lambda: compare_submissions(sources, "python3", starter=STARTER, method="all_pairs"),
        rounds,
    )
    assert naive == index, "index and all pairs disagree"
    print(f"{head} all pairs | {naive_s} | {all_pairs} | {found(naive)} |")
    if full:
        full_s, report = timed(
            lambda: compare_submissions(
                sources, "python3", starter=STARTER, method="all_pairs", limit=None
            ),
            1,
        )
        print(f"{head} all pairs, full | {full_s} | {all_pairs} "
              f"({len(report.pairs)} with regions) | – |")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 1000])
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--full-up-to", type=int, default=300,
        help="run the 'all pairs, full' baseline for sizes up to this one",
    )
    args = parser.parse_args()

    print(f"python bench/similarity.py --sizes {' '.join(map(str, args.sizes))} "
          f"--rounds {args.rounds}")
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    print()
    print("| submissions | lines (mean) | path | wall s (best) | CPU s (best) | pairs compared | "
          "planted copies in top 100 |")
    print("|---:|---:|---|---:|---:|---:|---:|")
    for size in args.sizes:
        run_size(size, args.seed, args.rounds, size <= args.full_up_to)
    print()
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
