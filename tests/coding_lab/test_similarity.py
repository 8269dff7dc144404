"""Similarity report: disguised copies rank above independent solutions, starter code and
boilerplate do not count, regions point at the copied lines, and the score's properties."""

from __future__ import annotations

import itertools
import random
import re
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coding_lab.similarity import (
    LANGUAGES,
    LineRange,
    SimilarityConfig,
    UnsupportedLanguage,
    compare_pair,
    compare_submissions,
    excluded_hashes,
    find_pair,
    fingerprint,
    line_marks,
    pair_line_marks,
    source_lines,
    tokenize,
)


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# --- Python, exercise 1: averages per student, best first, ties by name -------------------

PY_AVG_1 = src('''
    import sys


    def read_grades(lines):
        grades = {}
        for line in lines:
            parts = line.split()
            if len(parts) != 2:
                continue
            name, score = parts[0], float(parts[1])
            grades.setdefault(name, []).append(score)
        return grades


    def averages(grades):
        result = []
        for name, scores in grades.items():
            result.append((name, sum(scores) / len(scores)))
        result.sort(key=lambda pair: (-pair[1], pair[0]))
        return result


    def main():
        grades = read_grades(sys.stdin.read().splitlines())
        for name, avg in averages(grades):
            print(f"{name}: {avg:.1f}")


    main()
''')

PY_AVG_2 = src('''
    from collections import defaultdict

    totals = defaultdict(float)
    counts = defaultdict(int)
    while True:
        try:
            entry = input()
        except EOFError:
            break
        if not entry.strip():
            continue
        who, mark = entry.rsplit(" ", 1)
        totals[who] += float(mark)
        counts[who] += 1

    ranking = sorted(totals, key=lambda w: (-totals[w] / counts[w], w))
    for who in ranking:
        print("%s: %.1f" % (who, totals[who] / counts[who]))
''')

PY_AVG_3 = src('''
    import sys
    from itertools import groupby


    class Student:
        def __init__(self, name):
            self.name = name
            self.marks = []

        def mean(self):
            if not self.marks:
                return 0.0
            return sum(self.marks) / len(self.marks)


    rows = sorted(tuple(r.split()) for r in sys.stdin if r.strip())
    students = []
    for key, group in groupby(rows, key=lambda r: r[0]):
        s = Student(key)
        s.marks = [float(g[1]) for g in group]
        students.append(s)
    students.sort(key=lambda s: s.name)
    students.sort(key=Student.mean, reverse=True)
    print("\\n".join("{}: {:.1f}".format(s.name, s.mean()) for s in students))
''')

# PY_AVG_1 renamed, reformatted, commented, its two helper functions swapped.
PY_AVG_1_COPY = src('''
    # Lab 3 -- averages
    import sys

    def compute_means(table):
        """Mean of each student."""
        out = []
        for who, marks in table.items():   # every student
            out.append((who,
                        sum(marks) / len(marks)))
        out.sort(key=lambda p: (-p[1], p[0]))  # best first
        return out

    def parse(rows):
        table = {}
        for row in rows:
            fields = row.split()
            if len(fields) != 2: continue
            who, mark = fields[0], float(fields[1])
            table.setdefault(who, []).append(mark)
        return table

    def run():
        table = parse(sys.stdin.read().splitlines())
        # print them
        for who, mean in compute_means(table):
            print(f"{who} -> {mean:.1f}")

    run()
''')

# --- Python, exercise 2: primes up to n (count and largest), with starter code -----------

PY_PRIMES_STARTER = src('''
    def read_limit():
        """Read the upper limit from the first line of the input."""
        line = input().strip()
        if not line:
            raise SystemExit("no limit given")
        return int(line)


    def report(count, largest):
        print("count:", count)
        print("largest:", largest if largest is not None else "none")
''')

PY_PRIMES_1 = PY_PRIMES_STARTER + "\n\n" + src('''


    def sieve(limit):
        flags = [True] * (limit + 1)
        flags[0:2] = [False, False]
        p = 2
        while p * p <= limit:
            if flags[p]:
                for multiple in range(p * p, limit + 1, p):
                    flags[multiple] = False
            p += 1
        return [i for i, f in enumerate(flags) if f]


    limit = read_limit()
    primes = sieve(limit) if limit >= 2 else []
    report(len(primes), primes[-1] if primes else None)
''')

PY_PRIMES_2 = PY_PRIMES_STARTER + "\n\n" + src('''


    def is_prime(n):
        if n < 2:
            return False
        if n % 2 == 0:
            return n == 2
        d = 3
        while d * d <= n:
            if n % d == 0:
                return False
            d += 2
        return True


    n = read_limit()
    how_many = 0
    biggest = None
    for candidate in range(2, n + 1):
        if is_prime(candidate):
            how_many += 1
            biggest = candidate
    report(how_many, biggest)
''')

PY_PRIMES_3 = PY_PRIMES_STARTER + "\n\n" + src('''


    top = read_limit()
    found = []
    k = 2
    while k <= top:
        divisible = any(k % q == 0 for q in found if q * q <= k)
        if not divisible:
            found.append(k)
        k = k + 1
    report(len(found), max(found) if found else None)
''')

PY_PRIMES_2_COPY = PY_PRIMES_STARTER + "\n\n" + src('''


    def check(value):
        # even numbers first
        if value < 2: return False
        if value % 2 == 0:
            return value == 2
        div = 3
        while div * div <= value:
            if value % div == 0: return False
            div += 2
        return True

    total = 0
    largest_prime = None
    limit_value = read_limit()
    for x in range(2, limit_value + 1):
        if check(x):
            total += 1
            largest_prime = x
    report(total, largest_prime)
''')

# --- Java: distinct sorted values and their median --------------------------------------

JAVA_1 = src('''
    import java.util.Scanner;
    import java.util.TreeSet;

    public class Main {
        public static void main(String[] args) {
            Scanner sc = new Scanner(System.in);
            int n = sc.nextInt();
            TreeSet<Integer> seen = new TreeSet<>();
            for (int i = 0; i < n; i++) {
                seen.add(sc.nextInt());
            }
            Integer[] values = seen.toArray(new Integer[0]);
            StringBuilder line = new StringBuilder();
            for (Integer v : values) {
                if (line.length() > 0) {
                    line.append(' ');
                }
                line.append(v);
            }
            System.out.println(line);
            double median;
            if (values.length % 2 == 1) {
                median = values[values.length / 2];
            } else {
                median = (values[values.length / 2 - 1] + values[values.length / 2]) / 2.0;
            }
            System.out.printf("median %.1f%n", median);
        }
    }
''')

JAVA_2 = src('''
    import java.io.BufferedReader;
    import java.io.IOException;
    import java.io.InputStreamReader;
    import java.util.Arrays;

    public class Main {
        static int[] unique(int[] sorted) {
            int[] out = new int[sorted.length];
            int size = 0;
            for (int x : sorted) {
                if (size == 0 || out[size - 1] != x) {
                    out[size++] = x;
                }
            }
            return Arrays.copyOf(out, size);
        }

        public static void main(String[] args) throws IOException {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
            int count = Integer.parseInt(in.readLine().trim());
            int[] data = Arrays.stream(in.readLine().trim().split("\\\\s+"))
                .mapToInt(Integer::parseInt).limit(count).toArray();
            Arrays.sort(data);
            int[] u = unique(data);
            String joined = String.join(" ",
                Arrays.stream(u).mapToObj(String::valueOf).toArray(String[]::new));
            System.out.println(joined);
            int m = u.length;
            double med = m % 2 != 0 ? u[m / 2] : (u[m / 2 - 1] + u[m / 2]) / 2.0;
            System.out.println(String.format("median %.1f", med));
        }
    }
''')

JAVA_3 = src('''
    import java.util.ArrayList;
    import java.util.List;
    import java.util.Scanner;

    public class Main {
        public static void main(String[] args) {
            Scanner input = new Scanner(System.in);
            int total = input.nextInt();
            List<Integer> list = new ArrayList<>();
            while (total-- > 0) {
                int value = input.nextInt();
                if (!list.contains(value)) {
                    list.add(value);
                }
            }
            boolean swapped = true;
            while (swapped) {
                swapped = false;
                for (int j = 1; j < list.size(); j++) {
                    if (list.get(j - 1) > list.get(j)) {
                        int tmp = list.get(j);
                        list.set(j, list.get(j - 1));
                        list.set(j - 1, tmp);
                        swapped = true;
                    }
                }
            }
            for (int j = 0; j < list.size(); j++) {
                System.out.print(list.get(j) + (j + 1 < list.size() ? " " : "\\n"));
            }
            int half = list.size() / 2;
            double result = list.size() % 2 == 0
                ? (list.get(half - 1) + list.get(half)) / 2.0
                : list.get(half);
            System.out.printf("median %.1f%n", result);
        }
    }
''')

JAVA_1_COPY = src('''
    import java.util.*;

    // Assignment 4
    public class Main
    {
        public static void main(String[] args)
        {
            Scanner keyboard = new Scanner(System.in);
            int amount = keyboard.nextInt();
            TreeSet<Integer> distinct = new TreeSet<>();
            for (int k = 0; k < amount; k++) distinct.add(keyboard.nextInt());   // read all
            Integer[] arr = distinct.toArray(new Integer[0]);
            StringBuilder sb = new StringBuilder();
            for (Integer x : arr)
            {
                if (sb.length() > 0) { sb.append(' '); }
                sb.append(x);
            }
            System.out.println(sb);
            /* the median */
            double med;
            if (arr.length % 2 == 1) { med = arr[arr.length / 2]; }
            else { med = (arr[arr.length / 2 - 1] + arr[arr.length / 2]) / 2.0; }
            System.out.printf("median %.1f%n", med);
        }
    }
''')

# --- C: letter histogram of the input -----------------------------------------------------

C_1 = src('''
    #include <stdio.h>
    #include <ctype.h>

    int main(void) {
        int counts[26] = {0};
        int c;
        while ((c = getchar()) != EOF) {
            if (isalpha(c)) {
                counts[tolower(c) - 'a']++;
            }
        }
        for (int i = 0; i < 26; i++) {
            if (counts[i] > 0) {
                printf("%c ", 'a' + i);
                for (int j = 0; j < counts[i]; j++) {
                    putchar('*');
                }
                putchar('\\n');
            }
        }
        return 0;
    }
''')

C_2 = src('''
    #include <stdio.h>
    #include <string.h>

    #define LINE 1024

    static unsigned long freq[128];

    int main(void)
    {
        char buffer[LINE];
        while (fgets(buffer, sizeof buffer, stdin) != NULL) {
            size_t len = strlen(buffer);
            for (size_t k = 0; k < len; ++k) {
                char ch = buffer[k];
                if (ch >= 'A' && ch <= 'Z')
                    ch = (char)(ch - 'A' + 'a');
                if (ch >= 'a' && ch <= 'z')
                    freq[(unsigned char)ch] += 1;
            }
        }
        char letter = 'a';
        do {
            if (freq[(unsigned char)letter]) {
                char bar[LINE];
                unsigned long n = freq[(unsigned char)letter];
                memset(bar, '*', n);
                bar[n] = '\\0';
                printf("%c %s\\n", letter, bar);
            }
        } while (letter++ != 'z');
        return 0;
    }
''')

C_3 = src('''
    #include <stdio.h>
    #include <ctype.h>

    void tally(const char *word, int *table)
    {
        for (; *word; word++)
            if (isalpha((unsigned char)*word))
                table[toupper((unsigned char)*word) - 'A'] += 1;
    }

    void draw(const int *table)
    {
        int row = 0;
        while (row < 26) {
            int stars = table[row];
            if (stars) {
                printf("%c ", 'a' + row);
                while (stars--) printf("*");
                printf("\\n");
            }
            row++;
        }
    }

    int main(void)
    {
        static int table[26];
        char word[256];
        while (scanf("%255s", word) == 1)
            tally(word, table);
        draw(table);
        return 0;
    }
''')

C_1_COPY = src('''
    #include <ctype.h>
    #include <stdio.h>
    /* letter histogram */
    int main(void)
    {
        int n[26] = {0}; int ch;
        while ((ch = getchar()) != EOF)
            { if (isalpha(ch)) { n[tolower(ch) - 'a']++; } }
        for (int x = 0; x < 26; x++)
        {
            if (n[x] > 0)
            {
                printf("%c ", 'a' + x);   // letter
                for (int y = 0; y < n[x]; y++) { putchar('#'); }
                putchar('\\n');
            }
        }
        return 0;
    }
''')

EXERCISES = [
    pytest.param(
        "python3",
        "",
        {"s1": PY_AVG_1, "s2": PY_AVG_2, "s3": PY_AVG_3, "copy": PY_AVG_1_COPY},
        ("s1", "copy"),
        id="python-averages",
    ),
    pytest.param(
        "python3",
        PY_PRIMES_STARTER,
        {"s1": PY_PRIMES_1, "s2": PY_PRIMES_2, "s3": PY_PRIMES_3, "copy": PY_PRIMES_2_COPY},
        ("s2", "copy"),
        id="python-primes",
    ),
    pytest.param(
        "java",
        "",
        {"s1": JAVA_1, "s2": JAVA_2, "s3": JAVA_3, "copy": JAVA_1_COPY},
        ("s1", "copy"),
        id="java-median",
    ),
    pytest.param(
        "c",
        "",
        {"s1": C_1, "s2": C_2, "s3": C_3, "copy": C_1_COPY},
        ("s1", "copy"),
        id="c-histogram",
    ),
]


@pytest.mark.parametrize(("language", "starter", "sources", "copied"), EXERCISES)
def test_disguised_copy_ranks_above_independent_solutions(
    language: str, starter: str, sources: dict[str, str], copied: tuple[str, str]
) -> None:
    report = compare_submissions(sources, language, starter=starter, limit=None)
    top = report.pairs[0]
    assert {top.a, top.b} == set(copied)
    independent = [
        p.score
        for p in report.pairs
        if {p.a, p.b} != set(copied)
    ]
    # Pairs sharing nothing are not listed at all: they score 0.
    assert top.score >= 0.5
    assert top.score > 2 * max(independent, default=0.0)
    assert min(top.coverage_a, top.coverage_b) >= 0.5
    assert top.regions


def test_copies_of_every_exercise_rank_above_every_independent_pair() -> None:
    # One report over all Python submissions of both exercises: the two copies come first.
    sources = {
        "avg1": PY_AVG_1, "avg2": PY_AVG_2, "avg3": PY_AVG_3, "avg1copy": PY_AVG_1_COPY,
        "pr1": PY_PRIMES_1, "pr2": PY_PRIMES_2, "pr3": PY_PRIMES_3, "pr2copy": PY_PRIMES_2_COPY,
    }
    report = compare_submissions(sources, "python3", starter=PY_PRIMES_STARTER, limit=None)
    assert {frozenset((p.a, p.b)) for p in report.pairs[:2]} == {
        frozenset(("avg1", "avg1copy")),
        frozenset(("pr2", "pr2copy")),
    }
    assert [p.score for p in report.pairs] == sorted((p.score for p in report.pairs), reverse=True)


def test_starter_code_does_not_count() -> None:
    with_starter = compare_pair(PY_PRIMES_1, PY_PRIMES_3, "python3", starter=PY_PRIMES_STARTER)
    without = compare_pair(PY_PRIMES_1, PY_PRIMES_3, "python3")
    # Without the starter the shared helper functions make them look alike...
    assert without.score > with_starter.score
    starter_lines = LineRange(1, len(source_lines(PY_PRIMES_STARTER)))
    assert any(r.a.start <= starter_lines.end for r in without.regions)
    # ...with it, nothing of the starter is a matching region on either side.
    for region in with_starter.regions:
        assert region.a.start > starter_lines.end
        assert region.b.start > starter_lines.end
    # A submission that is the untouched starter has nothing left to compare.
    untouched = compare_pair(PY_PRIMES_STARTER, PY_PRIMES_1, "python3", starter=PY_PRIMES_STARTER)
    assert untouched.score == 0.0
    assert untouched.regions == ()


def test_starter_fingerprints_are_removed_from_both_sides() -> None:
    excluded = excluded_hashes("python3", PY_PRIMES_STARTER)
    starter_prints = fingerprint(PY_PRIMES_STARTER, "python3").hashes
    assert starter_prints and starter_prints <= excluded
    report = compare_submissions(
        {"s1": PY_PRIMES_1, "s2": PY_PRIMES_2}, "python3", starter=PY_PRIMES_STARTER
    )
    full = fingerprint(PY_PRIMES_1, "python3").hashes
    assert report.fingerprint_counts["s1"] == len(full - excluded)


def lines_of(source: str, first: str, last: str) -> LineRange:
    """The 1-based line range from the line containing ``first`` to the one with ``last``."""
    lines = source_lines(source)
    start = next(i for i, line in enumerate(lines, 1) if first in line)
    end = next(i for i, line in enumerate(lines, 1) if i >= start and last in line)
    return LineRange(start, end)


def within_a_line_of(found: LineRange, expected: LineRange, source: str) -> bool:
    """``found`` lies in ``expected`` give or take the nearest code line on either side.

    A region is exact to the token, but when the code just before or after a copied part
    is also the same after renaming (``def N ( N ) :`` starts many functions), the
    matching k-grams reach into that line.
    """
    lines = source_lines(source)
    before = max((i for i in range(1, expected.start) if lines[i - 1].strip()), default=1)
    after = min(
        (i for i in range(expected.end + 1, len(lines) + 1) if lines[i - 1].strip()),
        default=len(lines),
    )
    return before <= found.start and found.end <= after


def test_matching_regions_point_at_the_copied_lines() -> None:
    # The sieve function copied (renamed) into an otherwise independent solution.
    borrowed = src('''
        def primes_below(bound):
            marks = [True] * (bound + 1)
            marks[0:2] = [False, False]
            q = 2
            while q * q <= bound:
                if marks[q]:
                    for m in range(q * q, bound + 1, q):
                        marks[m] = False
                q += 1
            return [j for j, ok in enumerate(marks) if ok]
    ''')
    other = PY_PRIMES_3.replace("top = read_limit()", borrowed + "\n\ntop = read_limit()")
    pair = compare_pair(PY_PRIMES_1, other, "python3", starter=PY_PRIMES_STARTER)
    original = lines_of(PY_PRIMES_1, "def sieve", "return [i for i")
    copied = lines_of(other, "def primes_below", "return [j for j")
    assert len(pair.regions) == 1
    region = pair.regions[0]
    # The region covers the function on both sides, at the same offset, and hardly more.
    assert within_a_line_of(region.a, original, PY_PRIMES_1)
    assert within_a_line_of(region.b, copied, other)
    assert region.a.start <= original.start + 1 and region.a.end >= original.end - 1
    assert region.b.start <= copied.start + 1 and region.b.end >= copied.end - 1
    assert region.a.start - original.start == region.b.start - copied.start


def test_regions_of_reordered_functions_are_separate_and_cross() -> None:
    pair = compare_pair(PY_AVG_1, PY_AVG_1_COPY, "python3")
    read_a = lines_of(PY_AVG_1, "def read_grades", "return grades")
    means_a = lines_of(PY_AVG_1, "def averages", "return result")
    read_b = lines_of(PY_AVG_1_COPY, "def parse", "return table")
    means_b = lines_of(PY_AVG_1_COPY, "def compute_means", "return out")
    assert read_a.start < means_a.start and means_b.start < read_b.start  # swapped order
    a, b = PY_AVG_1, PY_AVG_1_COPY
    assert any(
        within_a_line_of(r.a, read_a, a) and within_a_line_of(r.b, read_b, b)
        for r in pair.regions
    )
    assert any(
        within_a_line_of(r.a, means_a, a) and within_a_line_of(r.b, means_b, b)
        for r in pair.regions
    )


def test_line_marks_are_data_for_the_page() -> None:
    a = "x = 1\n<script>alert(1)</script>\r\ny = 2"
    marks = line_marks(a, [LineRange(2, 3), LineRange(3, 3)])
    assert [(m.number, m.text, m.regions) for m in marks] == [
        (1, "x = 1", ()),
        (2, "<script>alert(1)</script>", (0,)),
        (3, "y = 2", (0, 1)),
    ]
    pair = compare_pair(PY_AVG_1, PY_AVG_1_COPY, "python3")
    left, right = pair_line_marks(PY_AVG_1, PY_AVG_1_COPY, pair)
    assert [m.text for m in left] == source_lines(PY_AVG_1)
    assert [m.text for m in right] == source_lines(PY_AVG_1_COPY)
    for index, region in enumerate(pair.regions):
        assert all(index in left[n - 1].regions for n in range(region.a.start, region.a.end + 1))
        assert all(index in right[n - 1].regions for n in range(region.b.start, region.b.end + 1))
    assert not any(m.regions for m in left if m.number > max(r.a.end for r in pair.regions))


def generated_solution(rng: random.Random, shared: str) -> str:
    """A distinct little program per seed, with ``shared`` code in the middle."""
    names = ["alpha", "beta", "gamma", "delta", "omega", "theta", "kappa", "sigma"]
    rng.shuffle(names)
    lines = []
    for i in range(6):
        a, b, c = names[i % 8], names[(i + 1) % 8], names[(i + 3) % 8]
        lines.append(rng.choice([
            f"{a} = [{b} * {rng.randint(2, 9)} for {b} in range({c})]",
            f"while {a} < {rng.randint(3, 50)}:\n    {a} += {b} % {rng.randint(2, 7)}",
            f"if {a} and not {b}:\n    print({c}, sep='')\nelse:\n    {c} = {{}}",
            f"try:\n    {a} = {b}[{c}]\nexcept KeyError:\n    {a} = None",
            f"{a}, {b} = {b} or {c}, max({a}, {rng.randint(1, 99)})",
            f"def {a}_{i}({b}):\n    return sorted({b}, reverse=True)[:{rng.randint(1, 5)}]",
        ]))
    lines.insert(3, shared)
    return "\n".join(lines) + "\n"


HANDOUT = src('''
    def clamp(value, low, high):
        if value < low:
            return low
        if value > high:
            return high
        return value
''')


def test_code_everybody_has_is_common_and_does_not_count() -> None:
    rng = random.Random(5)
    sources = {f"s{i}": generated_solution(rng, HANDOUT) for i in range(12)}
    config = SimilarityConfig(common_min_count=10)
    report = compare_submissions(sources, "python3", config=config, limit=None)
    assert report.common_fingerprints > 0
    two = compare_submissions({"s0": sources["s0"], "s1": sources["s1"]}, "python3", config=config)
    handout = lines_of(sources["s0"], "def clamp", "return value")
    # In a pair alone the handout is shared and highlighted...
    assert any(r.a.start <= handout.end and r.a.end >= handout.start for r in two.pairs[0].regions)
    # ...among twelve students who all have it, it is not.
    for pair in report.pairs:
        if pair.a == "s0":
            for region in pair.regions:
                assert not (region.a.start <= handout.start and region.a.end >= handout.end)
    s01 = find_pair(report, "s1", "s0")
    assert s01 is None or s01.score < two.pairs[0].score
    assert find_pair(two, "s1", "s0") == two.pairs[0]


def test_language_boilerplate_does_not_count() -> None:
    on = compare_pair(JAVA_1, JAVA_3, "java")
    off = compare_pair(JAVA_1, JAVA_3, "java", config=SimilarityConfig(use_boilerplate=False))
    assert off.shared > on.shared
    main_line = lines_of(JAVA_1, "public static void main", "public static void main")
    assert any(r.a.start <= main_line.start <= r.a.end for r in off.regions)
    assert not any(r.a.start <= main_line.start <= r.a.end for r in on.regions)


@pytest.mark.parametrize(("language", "starter", "sources", "copied"), EXERCISES)
def test_index_and_all_pairs_give_the_same_report(
    language: str, starter: str, sources: dict[str, str], copied: tuple[str, str]
) -> None:
    indexed = compare_submissions(sources, language, starter=starter, limit=None)
    naive = compare_submissions(sources, language, starter=starter, limit=None, method="all_pairs")
    assert indexed == naive


DISGUISES = {
    "python3": (
        "def total(items):\n    acc = 0\n    for it in items:\n        if it > 10:\n"
        "            acc += it * 2\n        else:\n            acc -= 1\n    return acc\n",
        "def s(v):  # sum\n    r = 0\n    for e in v:\n        if e > 99: r += e * 3\n"
        "        else: r -= 7\n    return r\n",
    ),
    "c": (
        "int total(int *items, int n) {\n    int acc = 0;\n    for (int i = 0; i < n; i++) {\n"
        "        if (items[i] > 10) acc += items[i] * 2; else acc -= 1;\n    }\n"
        "    return acc;\n}\n",
        "int s(int *v, int len)\n{\n  // sum\n  int r = 0;\n  for (int k = 0; k < len; k++)\n"
        "  {\n    if (v[k] > 99) r += v[k] * 3; else r -= 7;\n  }\n  return r;\n}\n",
    ),
    "cpp": (
        "#include <vector>\nint total(const std::vector<int>& items) {\n    int acc = 0;\n"
        "    for (int it : items) { if (it > 10) acc += it * 2; else acc -= 1; }\n"
        "    return acc;\n}\n",
        "#include <vector>\n/* sum */\nint s(const std::vector<int>& v)\n{\n  int r = 0;\n"
        "  for (int e : v)\n  {\n    if (e > 99) r += e * 3;\n    else r -= 7;\n  }\n"
        "  return r;\n}\n",
    ),
    "java": (
        "class T {\n    static int total(int[] items) {\n        int acc = 0;\n"
        "        for (int it : items) { if (it > 10) acc += it * 2; else acc -= 1; }\n"
        "        return acc;\n    }\n}\n",
        "class Q\n{\n  // sum\n  static int s(int[] v)\n  {\n    int r = 0;\n"
        "    for (int e : v)\n    {\n      if (e > 99) r += e * 3;\n      else r -= 7;\n    }\n"
        "    return r;\n  }\n}\n",
    ),
    "javascript": (
        "function total(items) {\n  let acc = 0;\n  for (const it of items) {\n"
        "    if (it > 10) { acc += it * 2; } else { acc -= 1; }\n  }\n  return acc;\n}\n",
        "// sum\nfunction s(v)\n{\n    let r = 0\n    for (const e of v)\n    {\n"
        "        if (e > 99) { r += e * 3 } else { r -= 7 }\n    }\n    return r\n}\n",
    ),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_sandbox_language_sees_through_renaming_and_layout(language: str) -> None:
    original, disguised = DISGUISES[language]
    assert tokenize(original, language).symbols == tokenize(disguised, language).symbols
    config = SimilarityConfig(k=8, window=4)
    assert compare_pair(original, disguised, language, config=config).score == 1.0


def test_unknown_language_is_refused() -> None:
    with pytest.raises(UnsupportedLanguage):
        compare_pair("x", "y", "cobol")
    with pytest.raises(UnsupportedLanguage):
        compare_submissions({}, "cobol", config=SimilarityConfig(use_boilerplate=False))
    empty = compare_submissions({}, "java")
    assert empty.pairs == () and empty.candidate_pairs == 0


# --- Properties ---------------------------------------------------------------------------

POOL = ["alpha", "beta", "gamma", "total", "count", "x", "y", "val", "item"]
TEMPLATES = [
    "{0} = {1} + {n}",
    "for {0} in range({1}):\n    {2} += {0}",
    "if {0} > {n}:\n    print({1})\nelse:\n    {2} = [{0}, {1}]",
    "def {0}_f({1}, {2}):\n    return {1} * {2} - {n}",
    "while {0}:\n    {0} = {0} // 2",
    "{0}.append('{1}')",
    "try:\n    {0} = int({1})\nexcept ValueError:\n    pass",
]

statements = st.tuples(
    st.sampled_from(TEMPLATES),
    st.lists(st.sampled_from(POOL), min_size=3, max_size=3),
    st.integers(0, 1000),
)
programs = st.lists(statements, min_size=1, max_size=14)


def render(program: list[tuple[str, list[str], int]], rename: dict[str, str] | None = None) -> str:
    lines = []
    for template, names, n in program:
        chosen = [rename.get(x, x) for x in names] if rename else names
        lines.append(template.format(*chosen, n=n))
    return "\n".join(lines) + "\n"


fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(programs, programs)
def test_score_is_symmetric_and_within_bounds(
    first: list[tuple[str, list[str], int]], second: list[tuple[str, list[str], int]]
) -> None:
    a, b = render(first), render(second)
    ab = compare_pair(a, b, "python3")
    ba = compare_pair(b, a, "python3")
    assert ab.score == ba.score
    assert (ab.coverage_a, ab.coverage_b) == (ba.coverage_b, ba.coverage_a)
    for value in (ab.score, ab.coverage_a, ab.coverage_b):
        assert 0.0 <= value <= 1.0


@fast
@given(st.text(max_size=400), st.text(max_size=400), st.sampled_from(LANGUAGES))
def test_any_text_in_any_language_scores_within_bounds(a: str, b: str, language: str) -> None:
    ab = compare_pair(a, b, language)
    assert ab.score == compare_pair(b, a, language).score
    assert 0.0 <= ab.score <= 1.0
    lines_a = len(source_lines(a))
    for region in ab.regions:
        assert 1 <= region.a.start <= region.a.end <= lines_a


@fast
@given(programs)
def test_a_file_compared_with_itself_scores_one(program: list[tuple[str, list[str], int]]) -> None:
    a = render(program)
    counted = fingerprint(a, "python3").hashes - excluded_hashes("python3")
    match = compare_pair(a, a, "python3")
    assert match.score == (1.0 if counted else 0.0)
    if counted:
        assert match.coverage_a == match.coverage_b == 1.0


@fast
@given(programs, st.permutations(POOL))
def test_renaming_identifiers_changes_nothing(
    program: list[tuple[str, list[str], int]], shuffled: list[str]
) -> None:
    renamed = render(program, dict(zip(POOL, (f"{n}_{n}" for n in shuffled), strict=True)))
    original = render(program)
    assert tokenize(renamed, "python3").symbols == tokenize(original, "python3").symbols
    assert fingerprint(renamed, "python3").hashes == fingerprint(original, "python3").hashes


@fast
@given(st.lists(programs, min_size=2, max_size=7))
def test_index_finds_exactly_the_pairs_all_pairs_finds(
    many: list[list[tuple[str, list[str], int]]]
) -> None:
    sources = {i: render(p) for i, p in enumerate(many)}
    config = SimilarityConfig(k=6, window=3, common_min_count=2, common_fraction=0.5)
    indexed = compare_submissions(sources, "python3", config=config, limit=None)
    naive = compare_submissions(sources, "python3", config=config, limit=None, method="all_pairs")
    assert indexed == naive
    for pair in indexed.pairs:
        assert pair.a != pair.b
    keys = [frozenset((p.a, p.b)) for p in indexed.pairs]
    assert len(keys) == len(set(keys))


def test_reformatting_and_comments_change_no_symbol() -> None:
    messy = re.sub(r"\n\n+", "\n", PY_AVG_2).replace("    ", "\t") + "# trailing comment\n"
    assert tokenize(messy, "python3").symbols == tokenize(PY_AVG_2, "python3").symbols
    assert list(itertools.islice(tokenize('s = f"{a} b" "c"', "python3").symbols, 3)) == [
        "N", "=", "$"
    ]


@fast
@given(programs)
def test_both_python_lexers_give_the_same_symbols(
    program: list[tuple[str, list[str], int]]
) -> None:
    # Python goes through the standard tokenizer, Pygments only when that one refuses the
    # code: a broken file must still compare with a well-formed copy of itself.
    source = render(program)
    assert tokenize(source, "python3") == tokenize(source, "python3", engine="pygments")


@pytest.mark.parametrize(
    "source",
    [PY_AVG_1, PY_AVG_2, PY_AVG_3, PY_AVG_1_COPY, PY_PRIMES_1, PY_PRIMES_3, PY_PRIMES_2_COPY,
     'x.print(1); y **= 2 // 3 -> 4 != 5 == 6 <= 7 ... @ ~x\n',
     'f"""a"b{x!r:>{w}}"""\nrb"x" F\'{y}\' u"s"\n',
     'match x:\n    case [a, _]:\n        pass\n',
     '"""doc"""\nx = 1\n"single"\ndef f():\n    r"""d"""\n',
     "def print(self): return __name__\n"],
)
def test_both_python_lexers_agree_on_real_code(source: str) -> None:
    assert tokenize(source, "python3") == tokenize(source, "python3", engine="pygments")


def test_code_that_does_not_tokenize_is_still_compared() -> None:
    broken = PY_AVG_1 + 'print("unterminated\n    if x:\n  y = 1\n'
    symbols = tokenize(broken, "python3").symbols
    assert symbols[: len(tokenize(PY_AVG_1, "python3").symbols)] == tokenize(
        PY_AVG_1, "python3"
    ).symbols
    assert compare_pair(broken, PY_AVG_1_COPY, "python3").score > 0.7
    # An f-string left open ends with its line; what follows is still code.
    assert tokenize('x = f"abc {y\nz = 1 + 2\n', "python3").symbols == (
        "N", "=", "$", "N", "=", "#", "+", "#"
    )
