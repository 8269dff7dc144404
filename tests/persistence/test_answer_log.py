"""The answer path's storage rules, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ardoise.clock import utcnow
from ardoise.db import Database
from exam_engine import answer_log, attempts, chain, grading
from exam_engine.attempts import AttemptRefused
from exam_engine.models import AnswerLogEntry, AttemptSlot, AttemptState
from student_records import service as records
from tests.factories import ITEMS, RIGHT, make_school, open_sitting

GRACE = 2.0


@pytest.fixture
def started(database: Database):  # type: ignore[no-untyped-def]
    with database.session() as session:
        world = make_school(session, students=2)
        sitting = open_sitting(session, world, time_limit=600)
        attempt = attempts.start_or_resume(session, sitting.id, world.students[0].id, utcnow())
        kinds = {s.slot: s.item_type for s in attempts.render_slots(session, attempt)}
    return world, sitting, attempt.id, kinds


def right_answer(kind: str) -> object:
    return RIGHT[[k for k, _ in ITEMS].index(kind)]


def save(database: Database, attempt_id: str, student_id: str, slot: int, seq: int,
         response: object, **kw: object) -> answer_log.SaveAck:
    with database.session() as session:
        return answer_log.save(session, attempt_id, student_id, slot=slot, seq=seq,
                               response=response, now=kw.pop("now", utcnow()),  # type: ignore[arg-type]
                               grace_seconds=GRACE, **kw)  # type: ignore[arg-type]


def log_count(database: Database, attempt_id: str) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).where(
            AnswerLogEntry.attempt_id == attempt_id)) or 0


def test_save_updates_current_answer_and_log(database: Database, started) -> None:  # type: ignore[no-untyped-def]
    world, _sitting, attempt_id, kinds = started
    student = world.students[0].id
    ack = save(database, attempt_id, student, 0, 1, right_answer(kinds[0]))
    assert len(ack.hash) == 64 and not ack.stale
    with database.session() as session:
        slot = session.scalar(select(AttemptSlot).where(AttemptSlot.attempt_id == attempt_id,
                                                        AttemptSlot.slot == 0))
        assert slot is not None and slot.seq == 1 and slot.response == right_answer(kinds[0])
    assert log_count(database, attempt_id) == 1


def test_duplicate_is_acknowledged_without_a_second_write(database: Database, started) -> None:  # type: ignore[no-untyped-def]
    world, _s, attempt_id, kinds = started
    student = world.students[0].id
    first = save(database, attempt_id, student, 1, 1, right_answer(kinds[1]))
    again = save(database, attempt_id, student, 1, 1, right_answer(kinds[1]))
    assert again.duplicate and again.hash == first.hash and again.saved_at == first.saved_at
    assert log_count(database, attempt_id) == 1


def test_conflicting_content_for_a_seq_is_refused(database: Database, started) -> None:  # type: ignore[no-untyped-def]
    world, _s, attempt_id, kinds = started
    student = world.students[0].id
    save(database, attempt_id, student, 1, 1, right_answer(kinds[1]))
    with pytest.raises(AttemptRefused) as caught:
        save(database, attempt_id, student, 1, 1, None)
    assert caught.value.code == "seq_conflict"
    with pytest.raises(AttemptRefused):
        save(database, attempt_id, student, 2, 1, right_answer(kinds[2]))
    assert log_count(database, attempt_id) == 1


def test_stale_seq_is_logged_but_does_not_replace(database: Database, started) -> None:  # type: ignore[no-untyped-def]
    world, _s, attempt_id, kinds = started
    student = world.students[0].id
    newer = right_answer(kinds[0])
    save(database, attempt_id, student, 0, 5, newer)
    stale = save(database, attempt_id, student, 0, 3, None)
    assert stale.stale
    with database.session() as session:
        slot = session.scalar(select(AttemptSlot).where(AttemptSlot.attempt_id == attempt_id,
                                                        AttemptSlot.slot == 0))
        assert slot is not None and slot.seq == 5 and slot.response == newer
        entries = answer_log.log_entries(session, attempts.get_attempt(session, attempt_id))
    assert [(e.seq, e.applied) for e in entries] == [(5, True), (3, False)]


def test_chain_and_receipt(database: Database, started) -> None:  # type: ignore[no-untyped-def]
    world, _s, attempt_id, kinds = started
    student = world.students[0].id
    for seq, slot in enumerate([0, 1, 0, 4], start=1):
        save(database, attempt_id, student, slot, seq, right_answer(kinds[slot]))
    with database.session() as session:
        attempt = attempts.get_attempt(session, attempt_id, for_update=True)
        receipt = attempts.submit(session, attempt, utcnow(), "student", GRACE)
        entries = answer_log.log_entries(session, attempt)
    assert chain.verify(attempt_id, [e.__dict__ for e in entries]) == receipt


def test_late_save_is_refused_and_nothing_written(database: Database, started) -> None:  # type: ignore[no-untyped-def]
    world, _s, attempt_id, kinds = started
    with database.session() as session:
        deadline = attempts.get_attempt(session, attempt_id).deadline
    with pytest.raises(AttemptRefused) as caught:
        save(database, attempt_id, world.students[0].id, 0, 1, right_answer(kinds[0]),
             now=deadline + timedelta(seconds=GRACE + 1))
    assert caught.value.code == "late"
    assert log_count(database, attempt_id) == 0
    # Inside the grace, a save still counts (network lag, not extra time).
    save(database, attempt_id, world.students[0].id, 0, 1, right_answer(kinds[0]),
         now=deadline + timedelta(seconds=GRACE / 2))
    assert log_count(database, attempt_id) == 1


def test_other_student_and_invalid_responses_are_refused(database: Database, started) -> None:  # type: ignore[no-untyped-def]
    world, _s, attempt_id, kinds = started
    with pytest.raises(AttemptRefused) as caught:
        save(database, attempt_id, world.students[1].id, 0, 1, right_answer(kinds[0]))
    assert caught.value.code == "forbidden"
    wrong_shape = {"nonsense": True}
    with pytest.raises(AttemptRefused) as caught:
        save(database, attempt_id, world.students[0].id, 0, 1, wrong_shape)
    assert caught.value.code == "invalid_response"
    with pytest.raises(AttemptRefused):
        save(database, attempt_id, world.students[0].id, 99, 1, None)
    assert log_count(database, attempt_id) == 0


def test_sweeper_submits_expired_but_not_paused(database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=2)
        sitting = open_sitting(session, world, time_limit=60)
        start = utcnow()
        expired = attempts.start_or_resume(session, sitting.id, world.students[0].id, start)
        paused = attempts.start_or_resume(session, sitting.id, world.students[1].id, start)
        attempts.pause(session, paused, start)
    later = start + timedelta(seconds=600)
    with database.session() as session:
        ids = attempts.expired_attempt_ids(session, later, GRACE)
        assert ids == [expired.id]
        assert attempts.sweep_one(session, expired.id, later, GRACE)
    with database.session() as session:
        closed = attempts.get_attempt(session, expired.id)
        assert closed.state is AttemptState.SUBMITTED and closed.submitted_reason == "deadline"
        assert closed.receipt == chain.genesis(closed.id)
        assert not attempts.sweep_one(session, expired.id, later, GRACE)


def test_pause_resume_gives_the_time_back(database: Database, started) -> None:  # type: ignore[no-untyped-def]
    world, _s, attempt_id, kinds = started
    with database.session() as session:
        attempt = attempts.get_attempt(session, attempt_id, for_update=True)
        before = attempt.deadline
        t0 = utcnow()
        attempts.pause(session, attempt, t0)
    with pytest.raises(AttemptRefused) as caught:
        save(database, attempt_id, world.students[0].id, 0, 1, right_answer(kinds[0]))
    assert caught.value.code == "paused"
    with database.session() as session:
        attempt = attempts.get_attempt(session, attempt_id, for_update=True)
        attempts.resume(session, attempt, t0 + timedelta(seconds=90))
        assert attempt.deadline == before + timedelta(seconds=90)
        attempts.extend(session, attempt, 300)
        assert attempt.deadline == before + timedelta(seconds=390)


def test_accommodation_and_access_code(database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=2)
        records.set_extra_time(session, world.students[0], 50)
        sitting = open_sitting(session, world, time_limit=600, access_code="abc123")
        with pytest.raises(Exception) as caught:
            attempts.start_or_resume(session, sitting.id, world.students[0].id, utcnow(), "nope")
        assert getattr(caught.value, "code", "") == "bad_access_code"
        attempt = attempts.start_or_resume(session, sitting.id, world.students[0].id, utcnow(),
                                           "ABC123")
        assert attempt.deadline - attempt.started_at == timedelta(seconds=900)
        again = attempts.start_or_resume(session, sitting.id, world.students[0].id, utcnow())
        assert again.id == attempt.id


def test_grading_scores_every_slot(database: Database, started) -> None:  # type: ignore[no-untyped-def]
    world, sitting, attempt_id, kinds = started
    student = world.students[0].id
    for seq, slot in enumerate(sorted(kinds), start=1):
        save(database, attempt_id, student, slot, seq, right_answer(kinds[slot]) if slot else None)
    with database.session() as session:
        attempt = attempts.get_attempt(session, attempt_id, for_update=True)
        attempts.submit(session, attempt, utcnow(), "student", GRACE)
        graded = grading.grade_attempt(session, attempt_id, utcnow())
        first_points = 2.0 if kinds[0] == "multiple_response" else 1.0
        assert graded.max_score == 6.0
        assert graded.score == 6.0 - first_points
        assert grading.released_result(session, graded, sitting) is None
        sitting.released_at = utcnow()
        result = grading.released_result(session, graded, sitting)
        assert result is not None and result.score == graded.score
        assert [s.correct for s in result.slots][0] is False


def test_simultaneous_starts_give_one_attempt(database: Database) -> None:
    """Two tabs, or two web nodes, starting the same student's attempt at the same moment."""
    import threading

    with database.session() as session:
        world = make_school(session, students=1)
        sitting = open_sitting(session, world)
    barrier = threading.Barrier(6)
    found: list[str] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            barrier.wait()
            with database.session() as session:
                found.append(attempts.start_or_resume(session, sitting.id,
                                                      world.students[0].id, utcnow()).id)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors and len(found) == 6 and len(set(found)) == 1
    with database.session() as session:
        slots = attempts.slots_of(session, found[0])
    assert len(slots) == len(ITEMS)


def test_a_batch_of_saves_of_two_attempts_each_acknowledged_or_refused_alone(
        database: Database, started) -> None:  # type: ignore[no-untyped-def]
    """``save_many`` (the group commit): one attempt saved twice in the batch (its chain goes
    on from one to the next), a repeat of a seq inside the batch acknowledged as a duplicate,
    and refusals (another student's attempt, a bad seq, a conflicting seq) that write nothing
    and leave the others written."""
    world, sitting, attempt_id, kinds = started
    first, second = world.students[0].id, world.students[1].id
    with database.session() as session:
        other_id = attempts.start_or_resume(session, sitting.id, second, utcnow()).id
    now = utcnow()
    answer = right_answer(kinds[0])
    requests = [
        answer_log.SaveRequest(attempt_id, first, 0, 1, answer, now),
        answer_log.SaveRequest(other_id, second, 0, 1, None, now),
        answer_log.SaveRequest(attempt_id, first, 1, 2, right_answer(kinds[1]), now),
        answer_log.SaveRequest(attempt_id, second, 0, 3, answer, now),  # not theirs
        answer_log.SaveRequest(attempt_id, first, 0, 1, answer, now),  # a repeat: duplicate
        answer_log.SaveRequest(attempt_id, first, 2, 1, answer, now),  # seq 1 taken: conflict
        answer_log.SaveRequest(other_id, second, 0, True, None, now),  # not a seq
        answer_log.SaveRequest("no-such-attempt", first, 0, 1, None, now),
    ]
    with database.session() as session:
        outcomes = answer_log.save_many(session, requests, grace_seconds=GRACE)
    refusals = [o.code if isinstance(o, AttemptRefused) else None for o in outcomes]
    assert refusals == [None, None, None, "forbidden", None, "seq_conflict", "invalid_response",
                        "not_found"]
    one, other, two, _, repeat = outcomes[:5]
    assert isinstance(repeat, answer_log.SaveAck) and repeat.duplicate
    assert isinstance(one, answer_log.SaveAck) and repeat.hash == one.hash
    assert log_count(database, attempt_id) == 2 and log_count(database, other_id) == 1
    with database.session() as session:
        mine = answer_log.log_entries(session, attempts.get_attempt(session, attempt_id))
        theirs = answer_log.log_entries(session, attempts.get_attempt(session, other_id))
        # Each chain is what one save after the other would have made.
        assert isinstance(two, answer_log.SaveAck) and isinstance(other, answer_log.SaveAck)
        assert chain.verify(attempt_id, [e.__dict__ for e in mine]) == two.hash
        assert chain.verify(other_id, [e.__dict__ for e in theirs]) == other.hash
        assert attempts.get_attempt(session, attempt_id).last_hash == two.hash


def test_a_check_refusing_one_save_of_a_batch_writes_only_the_others(
        database: Database, started) -> None:  # type: ignore[no-untyped-def]
    world, _sitting, attempt_id, kinds = started
    student, now = world.students[0].id, utcnow()
    requests = [answer_log.SaveRequest(attempt_id, student, slot, slot + 1,
                                       right_answer(kinds[slot]), now) for slot in range(3)]

    def check(request: answer_log.SaveRequest) -> None:
        if request.slot == 1:
            raise AttemptRefused("invalid_response")

    with database.session() as session:
        outcomes = answer_log.save_many(session, requests, grace_seconds=GRACE, check=check)
    assert [isinstance(o, answer_log.SaveAck) for o in outcomes] == [True, False, True]
    with database.session() as session:
        saved = {s.slot: s.seq for s in attempts.slots_of(session, attempt_id)}
    assert saved[0] == 1 and saved[1] == 0 and saved[2] == 3
    assert log_count(database, attempt_id) == 2
