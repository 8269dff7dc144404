"""Who may act on what: role and scope checks shared by pages, the API and Socket.IO."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g
from sqlalchemy.orm import Session

from exam_engine.models import Attempt, Sitting
from student_records import service as records
from student_records.models import Person, Role

F = TypeVar("F", bound=Callable[..., Any])

AUTHORING = (Role.TEACHER,)
SUPERVISING = (Role.TEACHER, Role.PROCTOR)
READING_ATTEMPTS = (Role.TEACHER, Role.PROCTOR, Role.GRADER)


def staff_orgs(session: Session, person: Person, roles: Iterable[Role]) -> set[str]:
    """Organisations where ``person`` acts in one of ``roles``; an admin acts in all of them."""
    return records.schools_where(person, roles) | records.admin_scope(session, person)


def may_staff(session: Session, person: Person, organisation_id: str,
              roles: Iterable[Role]) -> bool:
    return organisation_id in staff_orgs(session, person, roles)


def may_read_attempt(session: Session, person: Person, attempt: Attempt, sitting: Sitting) -> bool:
    """The student who owns it, or staff of the sitting's school who read attempts."""
    if attempt.student_id == person.id:
        return True
    return may_staff(session, person, sitting.organisation_id, READING_ATTEMPTS)


def login_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            abort(401)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def role_required(*roles: Role) -> Callable[[F], F]:
    """The caller holds one of ``roles`` somewhere (scope is checked per object)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user: Person | None = g.get("user")
            if user is None:
                abort(401)
            if not any(ra.role in roles or ra.role is Role.ADMIN for ra in user.roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
