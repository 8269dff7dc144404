"""Teacher pages: author items, build exams, schedule sittings, watch them, see results."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import Session

from ardoise.clock import as_utc, utcnow
from ardoise.errors import DomainError, Invalid, NotFound
from ardoise.worker.tasks import prepare_sitting
from exam_engine import exams, grading, preparation, reports, sittings
from exam_engine.models import DisplayMode
from exam_engine.usage import item_usage
from item_bank import banks as item_banks
from item_bank import pools as item_pools
from item_bank import service as items
from item_bank import variants, workflow
from item_bank.models import ItemVersion
from item_bank.registry import default_registry
from item_bank.types.base import Content
from item_bank.workflow import TRANSITIONS, ItemStatus
from student_records import service as records
from student_records.models import Organisation, Role, SchoolClass
from web import supervision
from web.access import AUTHORING, SUPERVISING, role_required, staff_orgs
from web.context import config, unit_of_work
from web.messages import message_for
from web.teacher import charts
from web.teacher.forms import (
    AUTHORED_TYPES,
    ROWS,
    content_from_form,
    form_extras,
    metadata_from_form,
    part_field_name,
)
from web.teacher.preview import StudentView, VariantPreview, student_views, variant_previews

bp = Blueprint("teacher", __name__, url_prefix="/teacher", template_folder="templates")
#: How many variants of a parametrised item its author sees at once.
PREVIEWED_VARIANTS = 3

def type_label(name: str) -> str:
    labels = {
        "single_choice": _("Single choice"), "multiple_response": _("Multiple response"),
        "true_false": _("True or false"), "numeric": _("Numeric"),
        "short_text": _("Short text"), "inline_choice": _("Fill in the blanks"),
        "matching": _("Matching"), "ordering": _("Ordering"), "hot_text": _("Hot text"),
        "extended_text": _("Essay"), "file_upload": _("File upload"), "code": _("Code"),
    }
    return labels.get(name, name)


def authored_types() -> list[str]:
    """The types the item form can author; see :data:`AUTHORED_TYPES` for the others."""
    registry = default_registry()
    return [name for name in AUTHORED_TYPES if name in registry]


def _schools(db: Session, roles: tuple[Role, ...] = AUTHORING) -> list[Organisation]:
    ids = staff_orgs(db, g.user, roles)
    return [o for o in (db.get(Organisation, i) for i in sorted(ids))
            if o is not None and o.kind.value == "school"]


def _school_for_form(db: Session, roles: tuple[Role, ...] = AUTHORING) -> Organisation:
    schools = _schools(db, roles)
    wanted = request.values.get("school_id")
    for school in schools:
        if wanted in (None, "", school.id):
            return school
    abort(403)


def _error(error: DomainError) -> None:
    flash(message_for(error.code, error.params), "error")


@bp.get("/")
@role_required(Role.TEACHER, Role.PROCTOR, Role.GRADER)
def index() -> ResponseReturnValue:
    with unit_of_work() as db:
        scope = staff_orgs(db, g.user, (Role.TEACHER, Role.PROCTOR, Role.GRADER))
        return render_template(
            "teacher/index.html",
            sittings=sittings.sittings_of(db, scope), exams=exams.exams_of(db, scope),
            item_count=len(item_banks.visible_items(db, g.user.id, scope)), now=utcnow(),
            may_author=bool(staff_orgs(db, g.user, AUTHORING)),
        )


def _item_error(item_type: str, error: DomainError) -> str | None:
    """Flash the translated message; return the content field at fault, if one is named."""
    params = dict(error.params)
    field = params.get("field")
    name = part_field_name(item_type, str(field or ""))
    if name is not None:
        params["field"] = name
    flash(message_for(error.code, params), "error")
    if field == "generator" and error.detail:
        # The generator's own error (Python's, with its line): for the teacher who wrote it.
        flash(error.detail, "detail")
    return str(field) if field else None


def _invalid_marker(error_field: str | None) -> Callable[..., Markup]:
    """``invalid("stem")`` in a template: ``aria-invalid`` on the inputs of the field at fault."""
    def invalid(*fields: str) -> Markup:
        return Markup(' aria-invalid="true"') if error_field in fields else Markup("")
    return invalid


@bp.route("/items/new", methods=["GET", "POST"])
@role_required(Role.TEACHER)
def item_new() -> ResponseReturnValue:
    item_type = request.values.get("type", "single_choice")
    if item_type not in authored_types():
        abort(404)
    previews: list[StudentView] = []
    variant_views: list[VariantPreview] = []
    status = 200
    error_field = None
    if request.method == "POST":
        content = content_from_form(item_type, request.form)
        try:
            if request.form.get("action") == "preview" or (
                    "variant_start" in request.form and not request.form.get("action")):
                previews, variant_views = _previews(item_type, content)
            else:
                with unit_of_work() as db:
                    school = _school_for_form(db)
                    version = items.create_item(
                        db, school.id, item_type, request.form.get("title", ""), content,
                        author_id=g.user.id)
                    workflow.set_metadata(db, version.item_id, metadata_from_form(request.form))
                    records.audit(db, g.user, "create_item", "item", version.item_id,
                                  school.id)
                flash(_("Question saved."), "success")
                return redirect(url_for("teacher.item_list"))
        except DomainError as error:
            error_field = _item_error(item_type, error)
            status = 422
    with unit_of_work() as db:
        schools = _schools(db)
    return render_template("teacher/item_form.html", item_type=item_type, form=request.form,
                           type_label=type_label, schools=schools, previews=previews,
                           variant_views=variant_views, next_seed=_next_seed(),
                           error_field=error_field, invalid=_invalid_marker(error_field),
                           **ROWS, **form_extras(item_type, request.form)), status


def _next_seed() -> int:
    """The first seed of the variants previewed next ("other variants" moves it on)."""
    try:
        return max(1, min(int(request.form.get("variant_start", "1")), 2 ** 30))
    except ValueError:
        return 1


def _previews(item_type: str, content: Content) -> tuple[list[StudentView],
                                                          list[VariantPreview]]:
    """The student views of content being authored: of several variants when it has a
    generator (checked as saving would check it), else of the content itself."""
    kind = default_registry().get(item_type)
    if content.get("generator"):
        template = items.validate_content(item_type, content)
        return [], variant_previews(kind, template, count=PREVIEWED_VARIANTS,
                                    first_seed=_next_seed())
    return student_views(kind, kind.validate(content)), []


@bp.get("/items/<item_id>")
@role_required(Role.TEACHER)
def item_show(item_id: str) -> ResponseReturnValue:
    with unit_of_work() as db:
        item = items.get_item(db, item_id)
        try:  # a confidential bank's item is "not found" to non-members
            item_banks.require_visible(db, item, g.user.id, staff_orgs(db, g.user, AUTHORING))
        except NotFound:
            abort(404)
        version = items.latest_version(db, item_id)
        kind = default_registry().get(version.item_type)
        parametrised = variants.is_parametrised(version.content)
        previews = [] if parametrised else student_views(kind, version.content)
        variant_views = variant_previews(kind, version.content, PREVIEWED_VARIANTS) \
            if parametrised else []
        history = items.versions_of(db, item_id)
        return render_template("teacher/item.html", item=item, version=version,
                               previews=previews, variant_views=variant_views,
                               type_label=type_label, history=history,
                               changes=version_diff(history), next_statuses=[
                                   s for s in ItemStatus
                                   if s in TRANSITIONS[ItemStatus(item.status)]],
                               status_label=status_label,
                               usage=item_usage(db, item_id, staff_orgs(db, g.user, AUTHORING)))


@bp.post("/items/<item_id>/status")
@role_required(Role.TEACHER)
def item_status(item_id: str) -> ResponseReturnValue:
    """Move an item along the review workflow (reviewers review and publish)."""
    try:
        with unit_of_work() as db:
            item = items.get_item(db, item_id)
            try:
                item_banks.require_visible(db, item, g.user.id,
                                           staff_orgs(db, g.user, AUTHORING))
            except NotFound:
                abort(404)
            try:
                target = ItemStatus(request.form.get("status", ""))
            except ValueError:
                raise Invalid("item_status_invalid", status="", current=item.status) from None
            workflow.change_status(db, item_id, target, g.user.id)
            records.audit(db, g.user, f"item_{target}", "item", item_id, item.organisation_id)
        flash(_("Status changed: %(status)s.", status=status_label(str(target))), "success")
    except DomainError as error:
        _error(error)
    return redirect(url_for("teacher.item_show", item_id=item_id))


def status_label(status: str) -> str:
    labels = {"draft": _("Draft"), "reviewed": _("Reviewed"), "published": _("Published"),
              "retired": _("Retired")}
    return labels.get(status, status)


def version_diff(history: list[ItemVersion]) -> list[str]:
    """What the latest version changed from the one before, as unified-diff lines."""
    if len(history) < 2:
        return []
    before, after = history[-2], history[-1]

    def lines(version: ItemVersion) -> list[str]:
        return json.dumps(version.content, ensure_ascii=False, indent=2,
                          sort_keys=True).splitlines()

    return list(difflib.unified_diff(lines(before), lines(after), f"v{before.number}",
                                     f"v{after.number}", lineterm="", n=2))


@bp.route("/exams/new", methods=["GET", "POST"])
@role_required(Role.TEACHER)
def exam_new() -> ResponseReturnValue:
    if request.method == "POST":
        try:
            with unit_of_work() as db:
                school = _school_for_form(db)
                chosen = request.form.getlist("item_ids")
                visible = {i.id for i in item_banks.visible_items(
                    db, g.user.id, staff_orgs(db, g.user, AUTHORING))}
                sections = _sections_from_form()
                if not (chosen or sections) or not set(chosen) <= visible:
                    raise Invalid("exam_invalid", field="items")
                exam = exams.create_exam(
                    db, school.id, request.form.get("title", ""), g.user.id, chosen,
                    shuffle_questions=request.form.get("shuffle_questions") == "on",
                    shuffle_options=request.form.get("shuffle_options") == "on")
                for pool_id, count, low, high in sections:
                    exams.add_section(db, exam, pool_id, count, low, high)
                records.audit(db, g.user, "create_exam", "exam", exam.id, school.id)
            flash(_("Exam saved."), "success")
            return redirect(url_for("teacher.sitting_new", exam_id=exam.id))
        except DomainError as error:
            _error(error)
    with unit_of_work() as db:
        scope = staff_orgs(db, g.user, AUTHORING)
        available = [i for i in item_banks.visible_items(db, g.user.id, scope)
                     if i.status != ItemStatus.RETIRED]
        pool_list = item_pools.pools_of(db, scope)
    return render_template("teacher/exam_form.html", items=available, form=request.form,
                           type_label=type_label, status_label=status_label,
                           pools=pool_list, section_rows=SECTION_ROWS,
                           ), 422 if request.method == "POST" else 200


#: Sections an exam form offers (each draws from one pool).
SECTION_ROWS = 3


def _sections_from_form() -> list[tuple[str, int, int | None, int | None]]:
    """(pool id, count, lowest, highest difficulty) of each section row with a pool."""
    sections = []
    for row in range(SECTION_ROWS):
        pool_id = request.form.get(f"section{row}_pool", "")
        if not pool_id:
            continue
        values = []
        for name in ("count", "low", "high"):
            text = request.form.get(f"section{row}_{name}", "").strip()
            if text and not text.isdigit():
                raise Invalid("exam_invalid", field="draw_count" if name == "count"
                              else "difficulty")
            values.append(int(text) if text else None)
        count, low, high = values
        sections.append((pool_id, count or 0, low, high))
    return sections


def _local_datetime(text: str, field: str) -> datetime:
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid("sitting_invalid", field=field) from None
    return as_utc(naive.replace(tzinfo=ZoneInfo(config().timezone)))


def _minutes(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise Invalid("sitting_invalid", field="time_limit")
    return int(text) * 60


@bp.route("/sittings/new", methods=["GET", "POST"])
@role_required(Role.TEACHER)
def sitting_new() -> ResponseReturnValue:
    if request.method == "POST":
        form = request.form
        try:
            with unit_of_work() as db:
                exam = exams.get_exam(db, form.get("exam_id", ""))
                if exam.organisation_id not in staff_orgs(db, g.user, AUTHORING):
                    abort(403)
                sitting = sittings.schedule_sitting(
                    db, exam, title=form.get("title", ""),
                    opens_at=_local_datetime(form.get("opens_at", ""), "opens_at"),
                    closes_at=_local_datetime(form.get("closes_at", ""), "closes_at"),
                    time_limit_seconds=_minutes(form.get("time_limit", "")),
                    class_id=form.get("class_id") or None,
                    candidate_ids=form.getlist("candidate_ids"),
                    access_code=form.get("access_code"),
                    display_mode=DisplayMode(form.get("display_mode", "one")),
                    author_id=g.user.id)
                records.audit(db, g.user, "schedule_sitting", "sitting", sitting.id,
                              exam.organisation_id)
            # Draws and variants of every candidate, computed now rather than at the start.
            prepare_sitting.delay(sitting.id)
            flash(_("Sitting scheduled."), "success")
            return redirect(url_for("teacher.sitting_watch", sitting_id=sitting.id))
        except DomainError as error:
            _error(error)
    with unit_of_work() as db:
        scope = staff_orgs(db, g.user, AUTHORING)
        classes = [c for c in db.query(SchoolClass).order_by(SchoolClass.title)
                   if c.school_id in scope]
        students = [p for school in scope for klass in classes if klass.school_id == school
                    for p in records.class_members(db, klass.id)]
        unique_students = list({p.id: p for p in students}.values())
        return render_template(
            "teacher/sitting_form.html", exams=exams.exams_of(db, scope), classes=classes,
            students=unique_students, form=request.form,
            selected_exam=request.values.get("exam_id", ""),
        ), 422 if request.method == "POST" else 200


def flag_labels() -> dict[str, str]:
    """Short names of the integrity rules, for the proctor's flag badges."""
    from web.teacher.integrity import FLAG_BADGES  # beside the settings page's names

    return {rule: str(label) for rule, label in FLAG_BADGES.items()}


@bp.get("/sittings/<sitting_id>")
@role_required(Role.TEACHER, Role.PROCTOR)
def sitting_watch(sitting_id: str) -> ResponseReturnValue:
    with unit_of_work() as db:
        sitting = sittings.get_sitting(db, sitting_id)
        if sitting.organisation_id not in staff_orgs(db, g.user, SUPERVISING):
            abort(403)
        rows = sittings.progress(db, sitting)
        percentages = reports.score_percentages(db, sitting)
        questions = reports.question_success(db, sitting)
        may_release = sitting.organisation_id in staff_orgs(db, g.user, AUTHORING)
        prepared = preparation.preparation_status(db, sitting.id)
        sandbox_backlog = grading.sandbox_backlog(db, sitting.id)
    return render_template(
        "teacher/watch.html", sitting=sitting, rows=rows, may_release=may_release,
        flag_labels=flag_labels(),
        prepared=prepared, sandbox_backlog=sandbox_backlog,
        histogram=charts.score_histogram(percentages), graded=len(percentages),
        questions=questions,
        success=charts.success_rates([(q.position, q.rate) for q in questions]),
    )


@bp.post("/sittings/<sitting_id>/release")
@role_required(Role.TEACHER)
def sitting_release(sitting_id: str) -> ResponseReturnValue:
    try:
        supervision.release(g.user, sitting_id)
        flash(_("Results released to the students."), "success")
    except DomainError as error:
        _error(error)
    return redirect(url_for("teacher.sitting_watch", sitting_id=sitting_id))


@bp.post("/sittings/<sitting_id>/prepare")
@role_required(Role.TEACHER)
def sitting_prepare(sitting_id: str) -> ResponseReturnValue:
    """Prepare the draws and variants of candidates added since (or of all, once more)."""
    with unit_of_work() as db:
        sitting = sittings.get_sitting(db, sitting_id)
        if sitting.organisation_id not in staff_orgs(db, g.user, AUTHORING):
            abort(403)
    prepare_sitting.delay(sitting_id)
    flash(_("The questions of the students who have not started are being prepared."),
          "success")
    return redirect(url_for("teacher.sitting_watch", sitting_id=sitting_id))


@bp.post("/sittings/<sitting_id>/announce")
@role_required(Role.TEACHER, Role.PROCTOR)
def sitting_announce(sitting_id: str) -> ResponseReturnValue:
    try:
        supervision.announce(g.user, sitting_id, request.form.get("text", ""))
        flash(_("Announcement sent."), "success")
    except DomainError as error:
        _error(error)
    return redirect(url_for("teacher.sitting_watch", sitting_id=sitting_id))
