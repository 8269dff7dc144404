"""Import and export refusals in words: the file, the question and why, in French or English.

The domain (``item_bank.interop``) refuses with stable codes: ``reason`` says what kind of
refusal, ``problem`` what exactly (``item_bank.interop.model.PROBLEMS``, where its English
words for the command line are), with values. Each code is translated here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext, lazy_gettext

IMPORT_CODES = ("import_invalid", "import_item_invalid", "export_unsupported")

IMPORT_REASONS = {
    "not_well_formed": lazy_gettext("the XML is not well-formed"),
    "forbidden_xml": lazy_gettext("the XML declares a DTD or entities, refused for safety"),
    "too_large": lazy_gettext("the file is too large"),
    "too_deep": lazy_gettext("the XML is nested too deeply"),
    "bad_package": lazy_gettext("the package (zip) cannot be used"),
    "unknown_format": lazy_gettext("this is not a format Ardoise imports (QTI, Moodle XML, "
                                   "GIFT)"),
    "no_items": lazy_gettext("the file holds no question"),
    "unsupported_type": lazy_gettext("this kind of question is not supported"),
    "unsupported_feature": lazy_gettext("the question uses something Ardoise cannot express"),
    "invalid_content": lazy_gettext("the question is incomplete or wrong"),
    "malformed": lazy_gettext("the question is badly written"),
    "duplicate_source_id": lazy_gettext("another question of the file has the same "
                                        "identifier"),
    "not_a_question": lazy_gettext("this is not a question (nothing to answer)"),
}

IMPORT_PROBLEMS = {
    "document_too_large": lazy_gettext("at most %(max)s bytes"),
    "package_too_large": lazy_gettext("more than %(max)s bytes once unpacked"),
    "xml_root_unknown": lazy_gettext("an XML document whose root is <%(root)s>"),
    "not_text": lazy_gettext("neither XML, nor a zip, nor UTF-8 text"),
    "no_gift_question": lazy_gettext("no GIFT question found"),
    "qti_namespace_unknown": lazy_gettext("the namespace %(namespace)s is neither QTI 2.x nor "
                                          "QTI 3.0"),
    "qti_root_unknown": lazy_gettext("<%(root)s> is neither a QTI item nor a QTI test"),
    "zip_unreadable": lazy_gettext("the zip cannot be read"),
    "too_many_entries": lazy_gettext("more than %(max)s files in the package"),
    "unsafe_entry_name": lazy_gettext("the file name %(entry)s is unsafe"),
    "no_manifest": lazy_gettext("no imsmanifest.xml at the top of the package"),
    "resource_missing": lazy_gettext("%(href)s is named in the manifest but not in the "
                                     "package"),
    "xml_too_large": lazy_gettext("%(size)s bytes, at most %(max)s"),
    "xml_too_deep": lazy_gettext("more than %(max)s levels"),
    "dtd_refused": lazy_gettext("DTDs and entities are refused"),
    "xml_syntax": lazy_gettext("XML error: %(error)s"),
    "xml_empty": lazy_gettext("the document is empty"),
    "no_items": lazy_gettext("no question to import"),
    "item_type_unknown": lazy_gettext("no question type %(type)s"),
    "invalid_field": lazy_gettext("%(type)s, field: %(field)s"),
    "not_a_number": lazy_gettext("%(what)s is not a number: %(value)s"),
    "not_finite": lazy_gettext("%(what)s is not a finite number: %(value)s"),
    "duplicate_source_id": lazy_gettext("the identifier is already taken in this file"),
    "translation_mismatch": lazy_gettext("its %(language)s version does not match the other "
                                         "one"),
    "translations_differ": lazy_gettext("the translations differ beyond their texts"),
    "no_answer_block": lazy_gettext("no answer block"),
    "unclosed_answer_block": lazy_gettext("an answer block without its closing }"),
    "no_right_answer": lazy_gettext("no answer is marked right"),
    "no_full_marks_number": lazy_gettext("no numeric answer is worth full marks"),
    "moodle_description": lazy_gettext("a Moodle description"),
    "moodle_type_unknown": lazy_gettext("the Moodle question type %(type)s"),
    "no_answer_with_points": lazy_gettext("no answer is worth any points"),
    "true_false_without_points": lazy_gettext("neither true nor false is worth any points"),
    "short_answer_wildcard": lazy_gettext("a short answer with a * wildcard"),
    "cloze_gap_type": lazy_gettext("a cloze gap of type %(gap)s (only MULTICHOICE gaps)"),
    "cloze_without_gaps": lazy_gettext("a cloze question without gaps"),
    "no_identifier": lazy_gettext("the item has no identifier"),
    "no_body": lazy_gettext("the item has no body"),
    "no_interaction": lazy_gettext("the item has no interaction"),
    "several_interactions": lazy_gettext("several interactions: %(interactions)s"),
    "interaction_unknown": lazy_gettext("the interaction %(interaction)s"),
    "no_correct_response": lazy_gettext("no correct response"),
    "match_needs_two_sets": lazy_gettext("a match interaction needs two sets"),
    "premise_several_responses": lazy_gettext("a premise with several right responses"),
    "order_incomplete": lazy_gettext("the correct order does not list every choice"),
    "hot_text_brackets": lazy_gettext("square brackets in a hot-text span"),
    "marker_crosses_elements": lazy_gettext("a gap or span marker that crosses HTML "
                                            "elements"),
    "no_qti_form": lazy_gettext("%(type)s has no QTI form"),
    "coderunner_type_unknown": lazy_gettext("the CodeRunner question type %(type)s"),
    "coderunner_template": lazy_gettext("a CodeRunner question with a template of its own"),
    "coderunner_grader": lazy_gettext("the CodeRunner grader %(grader)s"),
    "coderunner_testcode": lazy_gettext("test code in a CodeRunner %(type)s question (only "
                                        "Python test code runs)"),
}

# The same words as the item type chooser (web.teacher.views.type_label).
TYPE_NAMES = {
    "single_choice": lazy_gettext("Single choice"),
    "multiple_response": lazy_gettext("Multiple response"),
    "true_false": lazy_gettext("True or false"), "numeric": lazy_gettext("Numeric"),
    "short_text": lazy_gettext("Short text"), "inline_choice": lazy_gettext("Fill in the blanks"),
    "matching": lazy_gettext("Matching"), "ordering": lazy_gettext("Ordering"),
    "hot_text": lazy_gettext("Hot text"), "extended_text": lazy_gettext("Essay"),
    "file_upload": lazy_gettext("File upload"), "code": lazy_gettext("Code"),
}


def _fill(template: Any, values: dict[str, Any]) -> str:
    text = str(template)
    try:
        return text % values if "%(" in text else text
    except (KeyError, TypeError, ValueError):
        return text


def problem_text(problem: str, values: dict[str, Any],
                 field_label: Callable[[str], str]) -> str:
    """The problem in the page's language; an unknown code gives nothing."""
    template = IMPORT_PROBLEMS.get(problem)
    if template is None:
        return ""
    shown = dict(values)
    if "type" in shown and str(shown["type"]) in TYPE_NAMES:
        shown["type"] = str(TYPE_NAMES[str(shown["type"])])
    if "field" in shown:
        shown["field"] = field_label(str(shown["field"]))
    return _fill(template, shown)


def reason_text(reason: str) -> str:
    """A reason code in words (for the list of skipped questions), or ``""``."""
    template = IMPORT_REASONS.get(reason)
    return "" if template is None else str(template)


def import_message(code: str, params: dict[str, Any], field_label: Callable[[str], str],
                   domain_message: Callable[[str, dict[str, Any]], str]) -> str:
    """One sentence naming the file, the question and why it was refused.

    :param field_label: a field code in words.
    :param domain_message: the message of another code (why an item could not be stored).
    """
    file, item = str(params.get("file") or ""), str(params.get("item") or "")
    reason = str(params.get("reason") or "")
    if code == "import_item_invalid":
        why = domain_message(reason, {k: v for k, v in params.items()
                                      if k not in ("file", "item", "reason")})
        if file:
            return gettext("File “%(file)s”, question “%(item)s”: %(why)s", file=file,
                           item=item, why=why)
        return gettext("Question “%(item)s”: %(why)s", item=item, why=why)
    why = reason_text(reason) or gettext("it cannot be read")
    detail = problem_text(str(params.get("problem") or ""), params, field_label)
    if detail:
        why = gettext("%(reason)s (%(detail)s)", reason=why, detail=detail)
    if code == "export_unsupported":
        return gettext("The question “%(item)s” cannot be exported to QTI: %(why)s.",
                       item=item, why=why)
    if item:
        return gettext("File “%(file)s”, question “%(item)s”: %(why)s.", file=file, item=item,
                       why=why)
    return gettext("File “%(file)s”: %(why)s.", file=file, why=why)
