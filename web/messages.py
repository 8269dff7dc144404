"""The translated message for every stable error code the product answers with."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext, lazy_gettext

from web.import_messages import IMPORT_CODES, IMPORT_REASONS, import_message, reason_text

MESSAGES = {
    # Answer path refusals (Socket.IO and REST).
    "late": lazy_gettext("The time for this exam is over: this answer arrived after the deadline "
                         "and was not recorded."),
    "paused": lazy_gettext("Your exam is paused by the proctor; answers cannot be saved until "
                           "it resumes."),
    "locked": lazy_gettext("Your exam is locked; ask your proctor."),
    "other_device": lazy_gettext("This exam is open on another device. Close it there and try "
                                 "again in a minute; if that device is gone, ask your proctor "
                                 "to unlock your exam."),
    # The sitting's access rules (proctoring.access).
    "outside_range": lazy_gettext("This exam can only be taken from the exam room's network. "
                                  "Ask your proctor."),
    "seb_required": lazy_gettext("This exam must be taken in Safe Exam Browser. Open it with "
                                 "the start file your school gave you."),
    "seb_mismatch": lazy_gettext("Safe Exam Browser is not set up for this exam (its keys do "
                                 "not match). Ask your proctor."),
    "integrity_event_invalid": lazy_gettext("Unknown integrity event."),
    "review_invalid": lazy_gettext("Choose a review and, for suspicious or violation, say what "
                                   "you saw (field: %(field)s)."),
    "review_first_missing": lazy_gettext("A second review comes after a first one."),
    "review_same_person": lazy_gettext("The second review is by another person than the "
                                       "first."),
    "note_invalid": lazy_gettext("A note holds 1 to 2,000 characters."),
    "seb_settings_invalid": lazy_gettext("This is not a Safe Exam Browser settings file, or it "
                                         "is damaged."),
    "seb_settings_encrypted": lazy_gettext("This settings file is encrypted: save it again in "
                                           "Safe Exam Browser without a password or "
                                           "certificate, then upload it."),
    "integrity_policy_invalid": lazy_gettext("The integrity policy is incomplete or wrong "
                                             "(field: %(field)s)."),
    "access_rules_invalid": lazy_gettext("The access rules are incomplete or wrong (field: "
                                         "%(field)s)."),
    "forbidden": lazy_gettext("You are not allowed to do this."),
    "not_found": lazy_gettext("Not found."),
    "seq_conflict": lazy_gettext("This save conflicts with one already recorded; reload the page."),
    "invalid_response": lazy_gettext("This answer does not fit the question."),
    "submitted": lazy_gettext("This exam has already been submitted."),
    # Starting attempts.
    "sitting_not_open": lazy_gettext("This sitting is not open yet."),
    "sitting_closed": lazy_gettext("This sitting is closed."),
    "bad_access_code": lazy_gettext("The access code is not right."),
    "attempt_not_found": lazy_gettext("Attempt not found."),
    "sitting_not_found": lazy_gettext("Sitting not found."),
    "exam_not_found": lazy_gettext("Exam not found."),
    "item_not_found": lazy_gettext("Item not found."),
    "class_not_found": lazy_gettext("Class not found."),
    "person_not_found": lazy_gettext("No such user."),
    "already_released": lazy_gettext("The results of this sitting are already released."),
    "extension_invalid": lazy_gettext("An extension is a number of minutes between -360 and 360, "
                                      "not zero."),
    "announcement_invalid": lazy_gettext("An announcement is a text of 1 to 500 characters."),
    # Marking.
    "answer_not_found": lazy_gettext("This answer is not one to mark."),
    "mark_invalid": lazy_gettext("The points must be a number such as 3 or 2,5, with at most "
                                 "two decimals."),
    "mark_points_range": lazy_gettext("The points must be between 0 and %(max)s."),
    "mark_comment_too_long": lazy_gettext("A comment has at most %(max)s characters."),
    # File-upload questions.
    "upload_wrong_slot": lazy_gettext("This question does not take a file."),
    "upload_empty": lazy_gettext("Choose a file that is not empty."),
    "upload_too_big": lazy_gettext("This file is too large: at most %(max)s MB."),
    "upload_wrong_kind": lazy_gettext("This kind of file is not accepted here. Accepted: "
                                      "%(kinds)s."),
    "upload_limit_invalid": lazy_gettext("The largest file accepted is a size of at most "
                                         "%(max)s MB (field: %(field)s)."),
    # Authoring and records.
    "item_invalid": lazy_gettext("The question is incomplete or wrong (field: %(field)s)."),
    "unknown_item_type": lazy_gettext("Unknown question type."),
    "item_status_invalid": lazy_gettext("A question cannot go from this status to that one."),
    "item_review_forbidden": lazy_gettext("Only a reviewer of the question's bank may review "
                                          "or publish it."),
    "item_review_own": lazy_gettext("Nobody reviews their own question."),
    "image_alt_missing": lazy_gettext("Every image needs a text alternative (field: "
                                      "%(field)s)."),
    "media_empty": lazy_gettext("Choose an image file to add."),
    "media_too_large": lazy_gettext("An image has at most %(max)s MB."),
    "media_kind": lazy_gettext("Only PNG, JPEG, GIF and WebP images can be added."),
    "pattern_invalid": lazy_gettext("The regular expression “%(pattern)s” is not valid (near "
                                    "character %(position)s)."),
    "pattern_too_long": lazy_gettext("A regular expression has at most %(max)s characters "
                                     "(“%(pattern)s…”)."),
    # Banks and bulk imports.
    "bank_invalid": lazy_gettext("The bank is incomplete or wrong (field: %(field)s)."),
    "bank_exists": lazy_gettext("A bank named %(name)s already exists in this organisation."),
    "bank_forbidden": lazy_gettext("Only an author of the bank or an admin of its organisation "
                                   "may do this."),
    "bank_not_found": lazy_gettext("Bank not found."),
    "bank_member_invalid": lazy_gettext("Choose the member's role: author or reviewer."),
    "bank_member_not_staff": lazy_gettext("“%(username)s” is not a staff member of this "
                                          "bank's organisation."),
    "bank_last_author": lazy_gettext("A bank keeps at least one author: add another author "
                                     "first."),
    # Said in full by web.import_messages (file, question, reason); these are the fallbacks.
    "import_invalid": lazy_gettext("This file cannot be imported as it is."),
    "import_item_invalid": lazy_gettext("This file cannot be imported as it is."),
    "export_unsupported": lazy_gettext("This question cannot be exported to QTI."),
    "import_type_changed": lazy_gettext("it was imported before as another type of question, "
                                        "so it cannot become a new version of it."),
    "import_file_missing": lazy_gettext("Choose a file to import."),
    "search_invalid": lazy_gettext("This search filter is not valid (field: %(field)s)."),
    "import_invalid_form": lazy_gettext("The import is incomplete or wrong (field: "
                                        "%(field)s)."),
    "exam_invalid": lazy_gettext("The exam is incomplete or wrong (field: %(field)s)."),
    "exam_item_retired": lazy_gettext("The question “%(title)s” is retired: it cannot be "
                                      "added to an exam."),
    "exam_item_unpublished": lazy_gettext("The question “%(title)s” belongs to a confidential "
                                          "bank and is not published yet: it cannot be added "
                                          "to an exam."),
    "pool_too_small": lazy_gettext("The pool “%(pool)s” has %(available)s published questions "
                                   "in this difficulty band; the section draws %(count)s."),
    "pool_invalid": lazy_gettext("The pool is incomplete or wrong (field: %(field)s)."),
    "pool_exists": lazy_gettext("A pool named “%(name)s” already exists."),
    "pool_not_found": lazy_gettext("Pool not found."),
    "item_variant_failed": lazy_gettext("A question of this exam could not be prepared for "
                                        "you. Tell your teacher or proctor."),
    "sitting_invalid": lazy_gettext("The sitting is incomplete or wrong (field: %(field)s)."),
    "invalid_username": lazy_gettext("A username is one word of at most 100 characters."),
    "username_taken": lazy_gettext("The username %(username)s is already taken."),
    "password_too_short": lazy_gettext("A password has at least 8 characters."),
    "extra_time_out_of_range": lazy_gettext("Extra time is a percentage from 0 to 300."),
    "class_needs_school": lazy_gettext("A class belongs to a school."),
    # The coding lab.
    "submit_too_soon": lazy_gettext("Wait %(seconds)s seconds before submitting again."),
    "attempt_limit_reached": lazy_gettext("You have used all %(limit)s submissions allowed "
                                          "for this assignment."),
    "assignment_closed": lazy_gettext("This assignment is closed: submissions are no longer "
                                      "accepted."),
    "assignment_not_open": lazy_gettext("This assignment is not open yet."),
    "submission_too_large": lazy_gettext("Your code is too long: at most %(max_kb)s KB."),
    "no_visible_tests": lazy_gettext("This exercise has no visible tests to run: submit your "
                                     "code to have it graded."),
    "exercise_unverified": lazy_gettext("The reference solution does not pass every test yet: "
                                        "the exercise cannot be published."),
    "exercise_unpublished": lazy_gettext("Only a published exercise can be given to a class."),
    # Notebook exercises (coding_lab.notebooks, coding_lab.notebook_exercises).
    "notebook_expected": lazy_gettext("This assignment is a notebook: hand in your completed "
                                      ".ipynb file."),
    "code_expected": lazy_gettext("This assignment is a program, not a notebook: write your "
                                  "code in the editor."),
    "exercise_not_notebook": lazy_gettext("This exercise is not a notebook exercise."),
    "notebook_missing": lazy_gettext("Choose your notebook file (.ipynb) first."),
    "notebook_not_this_assignment": lazy_gettext(
        "This notebook is not the one of this assignment: none of its graded cells are in it. "
        "Download the assignment's notebook, answer in it, and hand it in."),
    "notebook_too_large": lazy_gettext("The notebook is too large. Clear its outputs in "
                                       "Jupyter (restart the kernel and clear all outputs), "
                                       "save it and try again."),
    "notebook_malformed": lazy_gettext("The file is not a valid Jupyter notebook (.ipynb). "
                                       "Save it again from Jupyter and retry."),
    "notebook_too_many_cells": lazy_gettext("The notebook has too many cells: at most "
                                            "%(limit)s."),
    "notebook_markers": lazy_gettext("Cell %(cell)s: a BEGIN/END SOLUTION or HIDDEN TESTS "
                                     "marker is missing, unbalanced or in the wrong kind of "
                                     "cell."),
    "notebook_metadata": lazy_gettext("Cell %(cell)s: its nbgrader metadata is wrong "
                                      "(solution, grade, locked and task are true or false)."),
    "notebook_grade_id": lazy_gettext("Cell %(cell)s: its grade_id is missing or not 1 to 100 "
                                      "letters, digits, “_”, “.” or “-”."),
    "notebook_points": lazy_gettext("Cell %(cell)s (%(grade_id)s): a graded cell needs its "
                                    "points, a number of 0 or more."),
    "notebook_cell_type": lazy_gettext("Cell %(cell)s (%(grade_id)s): this kind of cell cannot "
                                       "have this role (tests are code cells, tasks are "
                                       "Markdown cells)."),
    "notebook_empty_test": lazy_gettext("Cell %(cell)s (%(grade_id)s): the test cell is "
                                        "empty."),
    "notebook_duplicate_grade_id": lazy_gettext("Cell %(cell)s: the grade_id %(grade_id)s is "
                                                "used by another cell."),
    "notebook_nothing_graded": lazy_gettext("The notebook has no graded code cell (nbgrader "
                                            "grade true with points)."),
    "notebook_cell_timeout": lazy_gettext("The time limit per cell is from %(low)s to "
                                          "%(high)s seconds."),
    "exercise_invalid": lazy_gettext("The exercise is incomplete or wrong (field: "
                                     "%(field)s)."),
    "exercise_test_invalid": lazy_gettext("The test “%(test)s” is incomplete or wrong (field: "
                                          "%(field)s)."),
    "assignment_invalid": lazy_gettext("The assignment is incomplete or wrong (field: "
                                       "%(field)s)."),
    "exercise_not_found": lazy_gettext("Exercise not found."),
    "assignment_not_found": lazy_gettext("Assignment not found."),
    "submission_not_found": lazy_gettext("Submission not found."),
    "lab_run_timeout": lazy_gettext("Your code could not be run right now: the servers are "
                                    "busy. Try again in a moment."),
    # HTTP-level.
    "unauthenticated": lazy_gettext("Please log in."),
    "rate_limited": lazy_gettext("Too many attempts. Wait a few minutes, then try again."),
    "csrf": lazy_gettext("The form expired. Reload the page and try again."),
    "bad_request": lazy_gettext("The request is not valid."),
    "invalid": lazy_gettext("The request is not valid."),
    "conflict": lazy_gettext("This conflicts with the current state."),
    "server_error": lazy_gettext("Something went wrong on the server. Your saved answers are "
                                 "safe."),
}

FIELD_NAMES = {
    "title": lazy_gettext("title"),
    "notebook": lazy_gettext("notebook"),
    "ip_ranges": lazy_gettext("exam room networks"),
    "config_keys": lazy_gettext("Config Keys"),
    "browser_exam_keys": lazy_gettext("Browser Exam Keys"),
    "counted": lazy_gettext("events kept"),
    "status": lazy_gettext("review"),
    "thresholds": lazy_gettext("flags"),
    "retention_days": lazy_gettext("days kept"),
    "cell_timeout": lazy_gettext("time limit per cell"),
    "stem": lazy_gettext("question text"),
    "options": lazy_gettext("choices"),
    "correct": lazy_gettext("correct answer"),
    "answer": lazy_gettext("answer"),
    "answers": lazy_gettext("accepted answers"),
    "tolerance": lazy_gettext("tolerance"),
    "points": lazy_gettext("points"),
    "items": lazy_gettext("questions"),
    "closes_at": lazy_gettext("closing time"),
    "time_limit": lazy_gettext("time limit"),
    "class_id": lazy_gettext("class"),
    "candidates": lazy_gettext("students"),
    "exam_empty": lazy_gettext("the exam has no questions"),
    "organisation": lazy_gettext("organisation"),
    "role": lazy_gettext("role"),
    "difficulty": lazy_gettext("difficulty"),
    "language": lazy_gettext("language"),
    "text": lazy_gettext("text with blanks"),
    "passage": lazy_gettext("passage"),
    "premises": lazy_gettext("items to match"),
    "responses": lazy_gettext("matches"),
    "gaps": lazy_gettext("blanks"),
    "rubric": lazy_gettext("rubric"),
    "file": lazy_gettext("file"),
    "generator": lazy_gettext("generator"),
    "draw_count": lazy_gettext("number of questions drawn"),
    "pool": lazy_gettext("pool"),
    "tags": lazy_gettext("tags"),
    "name": lazy_gettext("name"),
    "bank": lazy_gettext("bank"),
    "statement": lazy_gettext("statement"),
    "solution": lazy_gettext("reference solution"),
    "limits": lazy_gettext("limits"),
    "comparison": lazy_gettext("comparison"),
    "tests": lazy_gettext("tests"),
    "code": lazy_gettext("test code"),
    "size": lazy_gettext("size"),
    "weight": lazy_gettext("weight"),
    "expected": lazy_gettext("expected output"),
    "due_at": lazy_gettext("due date"),
    "late_penalty": lazy_gettext("late penalty"),
    "attempt_limit": lazy_gettext("attempt limit"),
    "min_delay": lazy_gettext("delay between submits"),
    "student": lazy_gettext("student"),
    "opens_at": lazy_gettext("opening time"),
    # The code item (coding_lab.item_type).
    "starter": lazy_gettext("starter code"),
    "all_or_nothing": lazy_gettext("all or nothing"),
}


def field_label(field: str) -> str:
    return str(FIELD_NAMES.get(field, field))


#: What a student is told when a rule of the sitting's integrity policy is reached: calm,
#: never an accusation (a person decides what it means).
INTEGRITY_WARNINGS = {
    "focus_losses": lazy_gettext("You have left the exam page several times. Please stay on "
                                 "this page until you submit."),
    "away_seconds": lazy_gettext("You were away from the exam page for a while. Please stay on "
                                 "this page until you submit."),
    "copy_paste": lazy_gettext("Copying and pasting are noted during this exam."),
    "fullscreen_exits": lazy_gettext("Please stay in full screen until you submit."),
    "print_attempts": lazy_gettext("Printing is not allowed during this exam."),
}


INTEGRITY_OTHER = lazy_gettext("Your proctor has been told about activity on this exam page.")
KEEP_WORKING = lazy_gettext("Keep working: your answers are saved.")


def integrity_warning(rules: list[str]) -> str:
    """The student's warning for the rules just reached, in the current locale."""
    first = next((INTEGRITY_WARNINGS[r] for r in rules if r in INTEGRITY_WARNINGS),
                 INTEGRITY_OTHER)
    return f"{first} {KEEP_WORKING}"


def message_for(code: str, params: dict[str, Any] | None = None) -> str:
    """The message for ``code`` in the current locale, with its parameters filled in."""
    if code in IMPORT_CODES:
        return import_message(code, dict(params or {}), field_label, message_for)
    if code in IMPORT_REASONS:  # the reason a question of a file was skipped
        return reason_text(code)
    template = MESSAGES.get(code)
    if template is None:
        return gettext("The request is not valid.")
    params = dict(params or {})
    if "field" in params:
        params["field"] = str(FIELD_NAMES.get(str(params["field"]), params["field"]))
    text = str(template)
    try:
        return text % params if "%(" in text else text
    except (KeyError, TypeError, ValueError):
        return text
