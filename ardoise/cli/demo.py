"""The demo school: a board, a school, staff, 30 students, a 12-question exam, an open sitting,
practice questions in a pool, a parametrised question, a programming exercise and a
notebook exercise."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from datetime import timedelta
from typing import Any

import nbformat
from sqlalchemy import select

from ardoise.clock import utcnow
from ardoise.config import sandbox_backend_from_env
from ardoise.db import Database
from coding_lab import assignments as lab_assignments
from coding_lab import exercises as lab_exercises
from coding_lab import notebook_exercises
from coding_lab.exercises import ExerciseSpec, TestSpec
from coding_lab.models import Exercise
from coding_lab.notebook_exercises import NotebookSpec
from exam_engine import exams, sittings
from exam_engine.models import Exam, Sitting
from item_bank import pools, workflow
from item_bank import service as items
from item_bank.models import ItemPool
from item_bank.workflow import ItemStatus
from student_records import service as records
from student_records.models import Organisation, OrgKind, Person, Role, SchoolClass

DEMO_PASSWORD = os.environ.get("ARDOISE_DEMO_PASSWORD", "ardoise-demo")
STUDENTS = 30

GIVEN = ["Léa", "Noah", "Emma", "William", "Olivia", "Thomas", "Alice", "Liam", "Florence",
         "Nathan", "Charlotte", "Jacob", "Rosalie", "Félix", "Béatrice", "Samuel", "Maëlle",
         "Zoé", "Éloïse", "Arnaud", "Chloé", "Louis", "Juliette", "Antoine", "Mia", "Gabriel",
         "Camille", "Mathis", "Laurence", "Édouard"]
FAMILY = ["Tremblay", "Gagnon", "Roy", "Côté", "Bouchard", "Gauthier", "Morin", "Lavoie",
          "Fortin", "Gagné", "Ouellet", "Pelletier", "Bélanger", "Lévesque", "Bergeron",
          "Leblanc", "Paquette", "Girard", "Simard", "Boucher", "Caron", "Beaulieu", "Cloutier",
          "Dubé", "Poirier", "Fournier", "Lapointe", "Leclerc", "Lefebvre", "Poulin"]


# Practice questions for pools: published (reviewed by the second teacher), tagged, with a
# difficulty; and one parametrised question, each student getting their own numbers.
PRACTICE: list[tuple[str, int, str, str, float]] = [
    ("Fraction — somme", 1, "Combien font 1/2 + 1/4 (en décimal)?",
     "What is 1/2 + 1/4 (as a decimal)?", 0.75),
    ("Fraction — produit", 2, "Combien font 2/3 × 3/4 (en décimal)?",
     "What is 2/3 × 3/4 (as a decimal)?", 0.5),
    ("Fraction — quotient", 2, "Combien font 3/4 ÷ 1/2 (en décimal)?",
     "What is 3/4 ÷ 1/2 (as a decimal)?", 1.5),
    ("Fraction — pourcentage", 3, "Quel pourcentage représente 7/20?",
     "What percentage is 7/20?", 35),
    ("Fraction — équation", 4, "Résous x/3 + 1/6 = 1/2. x = ?",
     "Solve x/3 + 1/6 = 1/2. x = ?", 1),
    ("Fraction — problème", 5, "Les 3/5 d'un nombre valent 42. Quel est ce nombre?",
     "Three fifths of a number are 42. What is the number?", 70),
]
PRACTICE_TAGS = ["fractions", "secondaire 4"]
PARAMETRISED: dict[str, Any] = {
    "stem": {"fr": "Un rectangle mesure {{longueur}} cm sur {{largeur}} cm. Quelle est son "
                   "aire, en cm²?",
             "en": "A rectangle is {{longueur}} cm by {{largeur}} cm. What is its area, "
                   "in cm²?"},
    "answer": "{{aire}}", "tolerance": 0, "unit": "cm²",
    "generator": "def generate():\n    longueur = rng.randint(6, 25)\n"
                 "    largeur = rng.randint(2, longueur - 1)\n"
                 "    return {\"longueur\": longueur, \"largeur\": largeur,\n"
                 "            \"aire\": longueur * largeur}\n",
}


def _practice(session: Any, school: Organisation, teacher: Person, reviewer: Person) -> None:
    """The practice questions, their pool and a parametrised question, once."""
    if session.scalar(select(ItemPool).where(ItemPool.organisation_id == school.id)):
        return
    for title, difficulty, fr, en, answer in PRACTICE:
        version = items.create_item(session, school.id, "numeric", title, {
            "stem": {"fr": fr, "en": en}, "answer": answer, "tolerance": 0.001},
            author_id=teacher.id)
        workflow.set_metadata(session, version.item_id, {
            "tags": PRACTICE_TAGS, "difficulty": difficulty, "subject": "Mathématique",
            "level": "Secondaire 4"})
        for status in (ItemStatus.REVIEWED, ItemStatus.PUBLISHED):
            workflow.change_status(session, version.item_id, status, reviewer.id)
    pools.create_pool(session, school.id, "Fractions — secondaire 4", PRACTICE_TAGS,
                      creator_id=teacher.id)
    version = items.create_item(session, school.id, "numeric", "Aire d'un rectangle (variantes)",
                                PARAMETRISED, author_id=teacher.id)
    workflow.set_metadata(session, version.item_id, {
        "tags": ["géométrie", "secondaire 4"], "difficulty": 1, "subject": "Mathématique"})


# A first programming exercise for the demo class (the coding lab's student page).
LAB_EXERCISE = ExerciseSpec(
    title="Somme de deux nombres", language="python3",
    statement={"fr": "Lis deux entiers $a$ et $b$, un par ligne, et affiche leur somme "
                     "$a + b$.",
               "en": "Read two integers $a$ and $b$, one per line, and print their sum "
                     "$a + b$."},
    starter="a = int(input())\n# Lis b, puis affiche la somme.\n",
    solution="a = int(input())\nb = int(input())\nprint(a + b)\n",
    points=10,
    tests=[TestSpec("petits nombres", stdin="2\n3\n", expected="5\n",
                    hint={"fr": "As-tu lu les deux nombres avec input()?",
                          "en": "Did you read both numbers with input()?"}),
           TestSpec("négatifs", stdin="-4\n1\n", expected="-3\n"),
           TestSpec("grands nombres", stdin="123456789\n987654321\n",
                    expected="1111111110\n", hidden=True)])


def _demo_notebook() -> bytes:
    """A short nbgrader notebook: one function to write, a visible and a hidden test."""
    def cell(kind: str, source: str, grade_id: str, **flags: Any) -> Any:
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        made = make(source)
        made.metadata["nbgrader"] = {"grade_id": grade_id, "schema_version": 3,
                                     "solution": False, "grade": False, "locked": False,
                                     **flags}
        return made

    notebook = nbformat.v4.new_notebook(cells=[
        cell("markdown", "# Moyenne d'une liste / Mean of a list\n\n"
             "Écris `moyenne(valeurs)`, qui renvoie la moyenne des nombres de la liste, puis "
             "exécute les tests.", "consignes", locked=True),
        cell("code", "def moyenne(valeurs):\n    ### BEGIN SOLUTION\n"
             "    return sum(valeurs) / len(valeurs)\n    ### END SOLUTION", "reponse",
             solution=True),
        cell("code", "assert moyenne([2, 4, 6]) == 4\nprint(\"moyenne([2, 4, 6]) = 4 : bravo\")",
             "test_simple", grade=True, locked=True, points=2),
        cell("code", "# D'autres listes\n### BEGIN HIDDEN TESTS\n"
             "assert moyenne([1, 2]) == 1.5\nassert moyenne([-3, 3, 9]) == 3\n"
             "### END HIDDEN TESTS", "test_cache", grade=True, locked=True, points=3),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}})
    return nbformat.writes(notebook).encode()


LAB_NOTEBOOK = NotebookSpec(
    title="Carnet : moyenne d'une liste",
    statement={"fr": "Télécharge le carnet, écris la fonction `moyenne`, puis remets-le.",
               "en": "Download the notebook, write the `moyenne` function, then hand it in."},
    source=None, cell_timeout=10.0)


def _lab(session: Any, school: Organisation, klass: SchoolClass, teacher: Person) -> None:
    """The exercise and the notebook, verified in the sandbox and given to the class, once.
    Where no sandbox can run them, they are left out, saying why (the next run adds them)."""
    now = utcnow()
    made = [
        (LAB_EXERCISE.title, lambda: lab_exercises.create_exercise(
            session, school.id, LAB_EXERCISE, teacher.id, now,
            backend=sandbox_backend_from_env())),
        (LAB_NOTEBOOK.title, lambda: notebook_exercises.create_notebook_exercise(
            session, school.id, replace(LAB_NOTEBOOK, source=_demo_notebook()), teacher.id,
            now, backend=sandbox_backend_from_env())),
    ]
    for title, create in made:
        if session.scalar(select(Exercise).where(Exercise.organisation_id == school.id,
                                                 Exercise.title == title)):
            continue
        try:
            with session.begin_nested():  # nothing of it stays when no sandbox could run it
                exercise = create()
        except Exception as error:  # the sandbox busy, missing or failing: demo data can wait
            print(f"ardoise demo: the demo exercise “{title}” was left out "
                  f"({type(error).__name__}: {error})", file=sys.stderr)
            continue
        if exercise.verified_at is None:
            continue
        lab_exercises.publish(session, exercise.id)
        lab_assignments.create_assignment(
            session, exercise.id, klass.id, opens_at=now - timedelta(days=1),
            due_at=now + timedelta(days=14), late_penalty_percent=10, attempt_limit=10,
            min_delay_seconds=10, author_id=teacher.id)


def _choice(fr: str, en: str, options: list[tuple[str, str]], correct: str) -> dict[str, Any]:
    return {"stem": {"fr": fr, "en": en},
            "options": [{"id": chr(97 + i), "text": {"fr": f, "en": e}}
                        for i, (f, e) in enumerate(options)],
            "correct": correct}


QUESTIONS: list[tuple[str, str, dict[str, Any]]] = [
    ("single_choice", "Capitale du Canada", _choice(
        "Quelle est la capitale du Canada?", "What is the capital of Canada?",
        [("Toronto", "Toronto"), ("Ottawa", "Ottawa"), ("Montréal", "Montreal"),
         ("Québec", "Quebec City")], "b")),
    ("single_choice", "Pente d'une droite", _choice(
        "Quelle est la pente de la droite y = 3x − 2?", "What is the slope of y = 3x − 2?",
        [("−2", "−2"), ("3", "3"), ("2/3", "2/3"), ("1/3", "1/3")], "b")),
    ("multiple_response", "Nombres premiers", {
        **_choice("Lesquels de ces nombres sont premiers?", "Which of these numbers are prime?",
                  [("2", "2"), ("9", "9"), ("11", "11"), ("15", "15"), ("17", "17")], "a"),
        "correct": ["a", "c", "e"]}),
    ("multiple_response", "Fonctions croissantes", {
        **_choice("Lesquelles de ces fonctions sont croissantes sur ℝ?",
                  "Which of these functions are increasing on ℝ?",
                  [("f(x) = 2x + 1", "f(x) = 2x + 1"), ("f(x) = −x", "f(x) = −x"),
                   ("f(x) = x³", "f(x) = x³"), ("f(x) = x²", "f(x) = x²")], "a"),
        "correct": ["a", "c"]}),
    ("true_false", "Somme des angles", {
        "stem": {"fr": "La somme des angles intérieurs d'un triangle est 180°.",
                 "en": "The interior angles of a triangle add up to 180°."}, "correct": True}),
    ("true_false", "Racine de 2", {
        "stem": {"fr": "√2 est un nombre rationnel.", "en": "√2 is a rational number."},
        "correct": False}),
    ("numeric", "Aire du cercle", {
        "stem": {"fr": "Aire d'un cercle de rayon 2 cm, en cm², au centième près.",
                 "en": "Area of a circle of radius 2 cm, in cm², to the hundredth."},
        "answer": 12.566, "tolerance": 0.01, "unit": "cm²"}),
    ("numeric", "Pourcentage", {
        "stem": {"fr": "Combien font 15 % de 240?", "en": "What is 15% of 240?"},
        "answer": 36, "tolerance": 0}),
    ("numeric", "Équation", {
        "stem": {"fr": "Résous : 4x + 6 = 30. x = ?", "en": "Solve: 4x + 6 = 30. x = ?"},
        "answer": 6, "tolerance": 0}),
    ("short_text", "Fleuve", {
        "stem": {"fr": "Quel fleuve traverse Québec et Montréal?",
                 "en": "Which river flows past Quebec City and Montreal?"},
        "answers": ["Saint-Laurent", "fleuve Saint-Laurent", "St. Lawrence",
                    "Saint Lawrence"], "ignore_accents": True}),
    ("short_text", "Polygone", {
        "stem": {"fr": "Comment appelle-t-on un polygone à six côtés?",
                 "en": "What is a six-sided polygon called?"},
        "answers": ["hexagone", "hexagon"]}),
    ("single_choice", "Probabilité", _choice(
        "On lance un dé équilibré. Probabilité d'obtenir un nombre pair?",
        "A fair die is rolled. Probability of an even number?",
        [("1/6", "1/6"), ("1/3", "1/3"), ("1/2", "1/2"), ("2/3", "2/3")], "c")),
]


def _person(session: Any, username: str, given: str, family: str, role: Role,
            org: Organisation) -> Person:
    person = session.scalar(select(Person).where(Person.username == username))
    if person is None:
        person = records.create_person(session, username, password=DEMO_PASSWORD,
                                       given_name=given, family_name=family)
    records.assign_role(session, person, role, org)
    return person


def seed_demo(database: Database) -> str:
    """Create what is missing of the demo; always leaves a sitting open now."""
    now = utcnow()
    with database.session() as session:
        board = records.find_organisation(session, "demo-board") or records.create_organisation(
            session, "Centre de services scolaire de démonstration", OrgKind.BOARD,
            source_id="demo-board")
        school = records.find_organisation(session, "demo-school") or \
            records.create_organisation(session, "École secondaire de l'Ardoise",
                                        OrgKind.SCHOOL, board, source_id="demo-school")
        _person(session, "admin", "Alex", "Administrateur", Role.ADMIN, board)
        teacher = _person(session, "enseignant", "Marie", "Lemieux", Role.TEACHER, school)
        # A colleague: nobody reviews their own question, so a school needs two.
        colleague = _person(session, "enseignant2", "Luc", "Gagnon", Role.TEACHER, school)
        _person(session, "surveillant", "Paul", "Surveillant", Role.PROCTOR, school)
        _person(session, "correcteur", "Julie", "Correctrice", Role.GRADER, school)
        klass = session.scalar(select(SchoolClass).where(SchoolClass.code == "MAT4-01",
                                                         SchoolClass.school_id == school.id))
        if klass is None:
            klass = records.create_class(session, school, "Mathématique 4e secondaire — gr. 01",
                                         "MAT4-01")
        records.enrol(session, klass, teacher, Role.TEACHER)
        for n in range(1, STUDENTS + 1):
            student = _person(session, f"eleve{n:02d}", GIVEN[n - 1], FAMILY[n - 1],
                              Role.STUDENT, school)
            records.enrol(session, klass, student, Role.STUDENT)
            if n == STUDENTS:
                records.set_extra_time(session, student, 33, "tiers temps")

        _practice(session, school, teacher, colleague)
        _lab(session, school, klass, teacher)
        exam = session.scalar(select(Exam).where(Exam.organisation_id == school.id,
                                                 Exam.title == "Épreuve de démonstration"))
        if exam is None:
            item_ids = [items.create_item(session, school.id, kind, title, content,
                                          author_id=teacher.id).item_id
                        for kind, title, content in QUESTIONS]
            exam = exams.create_exam(session, school.id, "Épreuve de démonstration",
                                     teacher.id, item_ids)
        open_sitting = session.scalar(
            select(Sitting).where(Sitting.exam_id == exam.id, Sitting.opens_at <= now,
                                  Sitting.closes_at > now + timedelta(minutes=90)))
        if open_sitting is None:
            open_sitting = sittings.schedule_sitting(
                session, exam, title="Épreuve de démonstration — mathématique",
                opens_at=now - timedelta(minutes=5), closes_at=now + timedelta(hours=8),
                time_limit_seconds=90 * 60, class_id=klass.id, author_id=teacher.id)
        closes = f"{open_sitting.closes_at:%H:%M} UTC"
        return f"{school.name}, sitting {open_sitting.id} open until {closes}"
