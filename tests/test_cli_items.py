"""``ardoise items``: import whole or not at all, new versions on re-import, list as JSON."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from sqlalchemy import func, select

from ardoise.db import Database
from item_bank.models import Item, ItemBank
from item_bank.service import create_item
from student_records import service as records
from student_records.models import Organisation, OrgKind
from tests.test_cli import ardoise

GIFT = """// Questions de géographie
$CATEGORY: géographie/québec

::capitale:: Quelle est la capitale du Québec? {=Québec ~Montréal ~Trois-Rivières}

::fleuve:: Le Saint-Laurent se jette dans l'océan Atlantique. {T}

::pi:: Combien vaut π (deux décimales)? {#3.14:0.01}
"""

BROKEN = GIFT + "\n::cassée:: Une question sans fin {=oui ~non\n"


def world(tmp_path: Path) -> Database:
    assert ardoise("db", "upgrade", data_dir=tmp_path).returncode == 0
    database = Database(f"sqlite:///{tmp_path / 'ardoise.db'}")
    with database.session() as session:
        records.create_organisation(session, "École Test", OrgKind.SCHOOL)
    return database


def count(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Item)) or 0


def test_import_then_reimport_makes_new_versions_and_list_shows_them(tmp_path: Path) -> None:
    database = world(tmp_path)
    source = tmp_path / "geo.gift"
    source.write_text(GIFT, encoding="utf-8")
    dry = ardoise("items", "import", str(source), "--org", "École Test", "--bank", "Géo",
                  "--dry-run", data_dir=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["imported"] == 3 and count(database) == 0
    first = ardoise("items", "import", str(source), "--org", "École Test", "--bank", "Géo",
                    data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["imported"] == 3 and report["skipped"] == []
    assert sorted(i["type"] for i in report["items"]) == ["numeric", "single_choice",
                                                         "true_false"]
    assert all(i["version"] == 1 and i["new"] for i in report["items"])
    again = json.loads(ardoise("items", "import", str(source), "--org", "École Test",
                               "--bank", "Géo", data_dir=tmp_path).stdout)
    assert sorted(i["id"] for i in again["items"]) == sorted(i["id"] for i in report["items"])
    assert all(i["version"] == 2 and not i["new"] for i in again["items"])
    listed = json.loads(ardoise("items", "list", "--json", data_dir=tmp_path).stdout)
    assert sorted((i["id"], i["version"]) for i in listed) == sorted(
        (i["id"], 2) for i in report["items"])
    assert set(listed[0]) == {"id", "type", "title", "version"}
    with database.session() as session:
        bank = session.scalar(select(ItemBank))
        assert bank is not None and bank.name == "Géo" and not bank.confidential
        tags = session.scalars(select(Item.tags)).all()
        assert tags and all(t == tags[0] and "québec" in " ".join(t) for t in tags), tags


def test_a_broken_file_writes_nothing_and_says_why(tmp_path: Path) -> None:
    database = world(tmp_path)
    source = tmp_path / "broken.gift"
    source.write_text(BROKEN, encoding="utf-8")
    refused = ardoise("items", "import", str(source), "--org", "École Test", data_dir=tmp_path)
    assert refused.returncode == 1
    assert "broken.gift" in refused.stderr and refused.stdout == ""
    assert count(database) == 0
    good = tmp_path / "geo.gift"
    good.write_text(GIFT, encoding="utf-8")
    unknown = ardoise("items", "import", str(good), "--org", "Nulle part", data_dir=tmp_path)
    assert unknown.returncode == 2 and "Nulle part" in unknown.stderr


def test_export_then_import_gives_new_versions_not_duplicates(tmp_path: Path) -> None:
    database = world(tmp_path)
    source = tmp_path / "geo.gift"
    source.write_text(GIFT, encoding="utf-8")
    assert ardoise("items", "import", str(source), "--org", "École Test", "--bank", "Géo",
                   data_dir=tmp_path).returncode == 0
    package = tmp_path / "export.zip"
    exported = ardoise("items", "export", "--format", "qti3", str(package), data_dir=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["exported"] == 3 and package.read_bytes()[:2] == b"PK"
    before = count(database)
    back = ardoise("items", "import", str(package), "--org", "École Test", "--bank", "Géo",
                   data_dir=tmp_path)
    assert back.returncode == 0, back.stderr
    report = json.loads(back.stdout)
    assert report["imported"] == 3 and all(not i["new"] and i["version"] == 2
                                           for i in report["items"])
    assert count(database) == before
    table = tmp_path / "items.csv"
    assert ardoise("items", "export", "--format", "csv", str(table),
                   data_dir=tmp_path).returncode == 0
    lines = table.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("id,type,title,version,status,bank") and len(lines) == 4
    assert all(",Géo," in line for line in lines[1:])


def test_a_parametrised_item_is_left_out_of_a_qti_export_with_the_reason(
        tmp_path: Path) -> None:
    database = world(tmp_path)
    source = tmp_path / "geo.gift"
    source.write_text(GIFT, encoding="utf-8")
    assert ardoise("items", "import", str(source), "--org", "École Test",
                   data_dir=tmp_path).returncode == 0
    with database.session() as session:
        school = session.scalar(select(Organisation))
        assert school is not None
        made = create_item(session, school.id, "numeric", "Double", {
            "stem": {"fr": "Le double de {{a}} ?"}, "answer": "{{b}}",
            "generator": "def generate():\n    a = rng.randint(1, 9)\n"
                         "    return {'a': a, 'b': 2 * a}\n"})
    package = tmp_path / "export.zip"
    exported = ardoise("items", "export", "--format", "qti3", str(package), data_dir=tmp_path)
    assert exported.returncode == 0, exported.stderr
    report = json.loads(exported.stdout)
    assert report["exported"] == 3
    assert report["skipped"] == [{"id": made.item_id, "title": "Double",
                                  "reason": "parametrised items have no QTI form"}]
    with zipfile.ZipFile(package) as archive:
        assert not any(b"{{a}}" in archive.read(name) for name in archive.namelist())


def test_a_packages_tests_become_exams_and_exams_travel_as_tests(tmp_path: Path) -> None:
    from exam_engine import exams
    from exam_engine.models import Exam, ExamItem
    from item_bank.models import ItemVersion
    from tests.interop.conftest import zipped

    database = world(tmp_path)
    package = tmp_path / "sciences.zip"
    package.write_bytes(zipped("qti3_package"))
    first = ardoise("items", "import", str(package), "--org", "École Test", data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert [(e["title"], e["items"], e["new"]) for e in report["exams"]] == [
        ("Science et technologie — Secondaire 4", 5, True)]

    def exam_titles_in_order() -> list[list[str]]:
        with database.session() as session:
            return [[title for (title,) in session.execute(
                select(Item.title).join(ItemVersion, ItemVersion.item_id == Item.id)
                .join(ExamItem, ExamItem.item_version_id == ItemVersion.id)
                .where(ExamItem.exam_id == exam.id).order_by(ExamItem.position))]
                for exam in session.scalars(select(Exam).order_by(Exam.created_at))]

    made = exam_titles_in_order()
    assert len(made) == 1 and len(made[0]) == 5
    again = json.loads(ardoise("items", "import", str(package), "--org", "École Test",
                               data_dir=tmp_path).stdout)
    assert [e["new"] for e in again["exams"]] == [False]  # found, not made twice
    assert exam_titles_in_order() == made

    # An exam made here travels as a test naming its items; sections are said to stay.
    with database.session() as session:
        school = session.scalar(select(Organisation))
        assert school is not None
        item_ids = list(session.scalars(select(Item.id).order_by(Item.title)))
        exams.create_exam(session, school.id, "Révision", None, item_ids[:2])
    out = tmp_path / "export.zip"
    exported = ardoise("items", "export", "--format", "qti3", str(out), data_dir=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["tests"] == 2
    with zipfile.ZipFile(out) as archive:
        manifest = archive.read("imsmanifest.xml").decode()
        assert manifest.count("imsqti_test_xmlv3p0") == 2
    with database.session() as session:
        records.create_organisation(session, "École B", OrgKind.SCHOOL)
    elsewhere = json.loads(ardoise("items", "import", str(out), "--org", "École B",
                                   data_dir=tmp_path).stdout)
    assert sorted((e["title"], e["items"]) for e in elsewhere["exams"]) == [
        ("Révision", 2), ("Science et technologie — Secondaire 4", 5)]
    # The other school's exams hold the same questions in the same order.
    here = exam_titles_in_order()
    assert sorted(here[-2:]) == sorted(here[:2])
