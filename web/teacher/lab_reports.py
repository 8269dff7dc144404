"""What a teacher sees of an assignment: per-student rows, per-test pass rates, exports.

Plain functions over the database (no request): the pages in :mod:`web.teacher.lab` and
the exports call them. A student's *latest* graded submission says which tests they pass
now; their *best* score is the grade (:func:`coding_lab.assignments.best_scores`).
"""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coding_lab import notebook_exercises
from coding_lab.models import Assignment, Submission
from student_records import service as records
from student_records.models import Person


@dataclass(frozen=True)
class StudentRow:
    person: Person
    submissions: int
    latest: Submission | None
    best: Submission | None  # the graded submission with the best score (earliest on ties)


@dataclass(frozen=True)
class TestRate:
    name: str
    hidden: bool
    passed: int
    graded: int

    @property
    def rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "del", "hunk" or "same"
    text: str


def submissions_by_student(session: Session, assignment_id: str) -> dict[str, list[Submission]]:
    found: dict[str, list[Submission]] = {}
    for submission in session.scalars(select(Submission).where(
            Submission.assignment_id == assignment_id).order_by(Submission.number)):
        found.setdefault(submission.student_id, []).append(submission)
    return found


def _best(submissions: list[Submission]) -> Submission | None:
    graded = [s for s in submissions if s.status == "graded" and s.score is not None]
    if not graded:
        return None
    return max(graded, key=lambda s: (s.score or 0.0, -s.number))


def student_rows(session: Session, assignment: Assignment) -> list[StudentRow]:
    """Every student of the class (those who never submitted too), by name."""
    by_student = submissions_by_student(session, assignment.id)
    rows = []
    for person in records.class_members(session, assignment.class_id):
        mine = by_student.get(person.id, [])
        rows.append(StudentRow(person, len(mine), mine[-1] if mine else None, _best(mine)))
    return sorted(rows, key=lambda r: (r.person.family_name.lower(),
                                       r.person.given_name.lower(), r.person.username))


def latest_graded(session: Session, assignment_id: str) -> list[Submission]:
    """Each student's latest graded submission."""
    latest = []
    for submissions in submissions_by_student(session, assignment_id).values():
        graded = [s for s in submissions if s.status == "graded"]
        if graded:
            latest.append(graded[-1])
    return latest


def latest_submissions(session: Session, assignment_id: str) -> list[Submission]:
    """Each student's latest submission, whatever its status (what a regrade runs again)."""
    return [mine[-1] for mine in submissions_by_student(session, assignment_id).values()]


def test_pass_rates(test_names: list[tuple[str, bool]],
                    latest: list[Submission]) -> list[TestRate]:
    """Per test (in the exercise's order), how many students' latest graded submission
    passes it."""
    rates = []
    for name, hidden in test_names:
        verdicts = [r.get("verdict") for s in latest for r in (s.results or [])
                    if r.get("name") == name]
        rates.append(TestRate(name, hidden, sum(v == "passed" for v in verdicts),
                              len(verdicts)))
    return rates


def best_percentages(rows: list[StudentRow]) -> list[float]:
    return [100 * (row.best.score or 0.0) / row.best.max_score for row in rows
            if row.best is not None and row.best.max_score]


def code_of(submission: Submission) -> str:
    """The submitted code: the one file a coding-lab submission holds, or the code cells
    of a handed-in notebook."""
    if notebook_exercises.SUBMISSION_FILE in submission.files:
        return notebook_exercises.answer_code(submission)
    return "\n".join(submission.files.values())


def attempt_diff(before: Submission, after: Submission) -> list[DiffLine]:
    """What changed from one attempt to another, as unified-diff lines (escaped by the
    template like any text)."""
    lines = difflib.unified_diff(
        code_of(before).splitlines(), code_of(after).splitlines(),
        f"#{before.number}", f"#{after.number}", lineterm="", n=3)
    shown = []
    for line in lines:
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        shown.append(DiffLine(kind, line))
    return shown


def gradescope_results(submission: Submission) -> dict[str, Any]:
    """A submission in Gradescope's ``results.json`` shape.

    Each test is worth its weight's share of the exercise's points; hidden tests are
    ``after_published``. ``score`` is the submission's score after any late penalty (the
    tests' scores add up to the score before it, given in ``output``).
    """
    results = submission.results or []
    max_score = float(submission.max_score or 0.0)
    total_weight = sum(float(r.get("weight", 1.0)) for r in results) or 1.0
    tests = []
    for result in results:
        share = round(max_score * float(result.get("weight", 1.0)) / total_weight, 4)
        passed = result.get("verdict") == "passed"
        output = [str(result.get("verdict", ""))]
        for key in ("assertion", "stderr"):
            if result.get(key):
                output.append(str(result[key])[:2000])
        tests.append({
            "name": result.get("name", ""), "score": share if passed else 0.0,
            "max_score": share, "status": "passed" if passed else "failed",
            "output": "\n".join(output),
            "visibility": "after_published" if result.get("hidden") else "visible"})
    shape: dict[str, Any] = {
        "score": float(submission.score or 0.0), "max_score": max_score, "tests": tests}
    if submission.tampered is not None:
        shape["tampered"] = list(submission.tampered)
    if submission.days_late:
        shape["output"] = (f"days_late={submission.days_late} "
                           f"raw_score={float(submission.raw_score or 0.0)}")
    return shape


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def grades_csv(rows: list[StudentRow], headers: list[str]) -> str:
    """The grades of an assignment, one student a line, with a BOM for spreadsheets."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        best = row.best
        writer.writerow([
            f"{row.person.given_name} {row.person.family_name}".strip(),
            row.person.username,
            _number(best.score) if best else "",
            _number(best.max_score) if best else "",
            row.submissions,
            best.days_late if best else ""])
    return out.getvalue()


def progress(session: Session, assignment_id: str) -> dict[str, Any]:
    """A bulk regrade's progress: students' latest submissions no longer waiting."""
    latest = latest_submissions(session, assignment_id)
    return {"assignment_id": assignment_id, "total": len(latest),
            "done": sum(s.status in ("graded", "error") for s in latest)}


def timestamp(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""
