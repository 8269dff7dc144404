"""The proctor's table (``exam_engine.sittings.progress``), on both databases: each candidate
once, in name order, with their state, how many questions they answered (a cleared answer
does not count), their last save and deadline."""

from __future__ import annotations

from datetime import timedelta

from ardoise.clock import utcnow
from ardoise.db import Database
from exam_engine import answer_log, attempts, sittings
from student_records import service as records
from student_records.models import Role
from tests.factories import ITEMS, RIGHT, make_school, open_sitting


def test_the_table_of_a_sitting(database: Database) -> None:
    now = utcnow()
    with database.session() as session:
        world = make_school(session, students=4)
        outsider = records.create_person(session, "aaron", given_name="", family_name="")
        records.assign_role(session, outsider, Role.STUDENT, world.school)
        sitting = open_sitting(session, world, candidates=[outsider.id, world.students[0].id])
        saver, paused, submitted, idle = world.students
        started = {s.id: attempts.start_or_resume(session, sitting.id, s.id, now)
                   for s in (saver, paused, submitted)}
        kinds = {v.slot: v.item_type
                 for v in attempts.render_slots(session, started[saver.id])}
        right = {k: RIGHT[i] for i, (k, _) in enumerate(ITEMS)}
        for seq, (slot, response) in enumerate([(0, right[kinds[0]]), (1, right[kinds[1]]),
                                                (2, None)], start=1):
            answer_log.save(session, started[saver.id].id, saver.id, slot=slot, seq=seq,
                            response=response, now=now + timedelta(seconds=seq),
                            grace_seconds=2)
        attempts.pause(session, started[paused.id], now)
        attempts.submit(session, started[submitted.id], now, "student", 2)
        rows = sittings.progress(session, sitting)
    # The class and the individually chosen candidate, each once, by family then given name.
    assert [r.username for r in rows] == ["aaron", *sorted(
        (s.username for s in world.students),
        key=lambda u: next((p.family_name, p.given_name, p.username)
                           for p in world.students if p.username == u))]
    by_name = {r.username: r for r in rows}
    assert by_name["aaron"].name == "aaron" and by_name["aaron"].state == "not_started"
    mine = by_name[saver.username]
    assert (mine.state, mine.answered, mine.total) == ("in_progress", 2, len(ITEMS))
    assert mine.last_saved_at == (now + timedelta(seconds=3)).replace(
        microsecond=(now + timedelta(seconds=3)).microsecond // 1000 * 1000)
    assert mine.name == saver.display_name and mine.deadline == started[saver.id].deadline
    assert by_name[paused.username].state == "paused"
    assert by_name[submitted.username].state == "submitted"
    assert (by_name[idle.username].state, by_name[idle.username].attempt_id,
            by_name[idle.username].answered) == ("not_started", None, 0)
