"""A school built in the test app's own database."""

from __future__ import annotations

import pytest

from ardoise.db import Database
from exam_engine.models import Sitting
from tests.factories import School, make_school, open_sitting


@pytest.fixture
def world(app_db: Database) -> School:
    with app_db.session() as session:
        return make_school(session, students=2)


@pytest.fixture
def other_world(app_db: Database) -> School:
    with app_db.session() as session:
        return make_school(session, prefix="other-", students=1)


@pytest.fixture
def sitting(app_db: Database, world: School) -> Sitting:
    with app_db.session() as session:
        return open_sitting(session, world, time_limit=1800)
