"""Who may see what of the coding lab: shared by its REST endpoints and its Socket.IO namespace.

- A student reads an assignment of a class they are enrolled in as a student, and only
  their own submissions and draft.
- A teacher reads an assignment, and every submission to it, when they teach its class
  (enrolled as its teacher) or are a teacher of its school (or an admin above it).
- Nobody else: not a student of another class, not a teacher of another school.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ardoise.errors import Forbidden
from coding_lab.assignments import is_student_of
from coding_lab.models import Assignment, Submission
from student_records import service as records
from student_records.models import Enrolment, Person, Role
from web.access import staff_orgs


def teaches(session: Session, person: Person, assignment: Assignment) -> bool:
    """A teacher of the assignment's class, or of its school (an admin above it counts)."""
    enrolled = session.scalar(select(Enrolment.id).where(
        Enrolment.class_id == assignment.class_id, Enrolment.person_id == person.id,
        Enrolment.role == Role.TEACHER))
    if enrolled is not None:
        return True
    klass = records.get_class(session, assignment.class_id)
    return klass.school_id in staff_orgs(session, person, (Role.TEACHER,))


def assignment_reader(session: Session, person: Person, assignment: Assignment) -> str:
    """``student`` or ``teacher``: how ``person`` may read the assignment; else Forbidden."""
    if is_student_of(session, assignment, person.id):
        return "student"
    if teaches(session, person, assignment):
        return "teacher"
    raise Forbidden("forbidden")


def submission_reader(session: Session, person: Person, submission: Submission,
                      assignment: Assignment) -> str:
    """``owner`` (the student who submitted it) or ``teacher``; else Forbidden."""
    if submission.student_id == person.id:
        return "owner"
    if teaches(session, person, assignment):
        return "teacher"
    raise Forbidden("forbidden")
