"""An integrity report as a PDF for a school's records (reportlab, its standard fonts).

The text comes translated from the page's own labels; what reportlab's standard fonts cannot
draw (arrows, say) is replaced by a plain equivalent rather than lost.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate, Spacer

from proctoring.reviews import IntegrityReport

#: Characters outside the standard fonts' encoding, and what stands for them.
PLAIN = str.maketrans({"→": "->", "–": "-", "\u202f": " "})


def _text(value: Any) -> str:
    return escape(str(value).translate(PLAIN))


def report_pdf(report: IntegrityReport, sitting_title: str, timeline: list[dict[str, Any]],
               label: Callable[[str], str], status_label: Callable[[str], str],
               when: Callable[[Any], str]) -> bytes:
    """The report of one student: facts, timeline, reviews."""
    styles = getSampleStyleSheet()
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=LETTER, leftMargin=2 * cm, rightMargin=2 * cm,
                                 topMargin=2 * cm, bottomMargin=2 * cm,
                                 title=_("Integrity report: %(name)s",
                                         name=report.student.display_name))
    body = styles["BodyText"]
    story: list[Any] = [
        Paragraph(_text(_("Integrity report: %(name)s", name=report.student.display_name)),
                  styles["Title"]),
        Paragraph(_text(f"{sitting_title} — {report.student.username}"), body),
        Spacer(1, 0.4 * cm),
    ]
    facts = [
        (_("Flags"), ", ".join(label(f"flag:{rule}") for rule in report.flags) or "—"),
        (_("Time away from the page"),
         _("%(total)s s in all, %(longest)s s at most at once",
           total=report.away_ms // 1000, longest=report.longest_away_ms // 1000)),
        (_("Addresses"), " → ".join(report.addresses) or "—"),
        (_("Other devices refused"), ", ".join(report.devices) or "—"),
    ]
    if report.purged:
        facts.append((_("Details"), _("Deleted at the end of their retention period.")))
    for name, value in facts:
        story.append(Paragraph(f"<b>{_text(name)}</b> : {_text(value)}", body))
    story += [Spacer(1, 0.4 * cm), Paragraph(_text(_("Timeline")), styles["Heading2"])]
    lines = []
    for entry in timeline:
        text = f"{when(entry['at'])} — "
        if entry["by"]:
            text += f"{entry['by']} : "
        text += label(f"event:{entry['kind']}")
        if entry["duration_ms"] is not None:
            text += f" ({_('away %(n)s s', n=entry['duration_ms'] // 1000)})"
        if entry["detail"].get("text"):
            text += f" « {entry['detail']['text']} »"
        lines.append(ListItem(Paragraph(_text(text), body)))
    story.append(ListFlowable(lines, bulletType="1") if lines else
                 Paragraph(_text(_("Nothing was recorded for this attempt.")), body))
    review = report.review
    story += [Spacer(1, 0.4 * cm), Paragraph(_text(_("Review")), styles["Heading2"]),
              Paragraph(_text(status_label(review.status)), body)]
    if review.note:
        story.append(Paragraph(_text(review.note), body))
    if review.second_status:
        story.append(Paragraph(_text(f"{_('Second review')} : "
                                     f"{status_label(review.second_status)}"), body))
        if review.second_note:
            story.append(Paragraph(_text(review.second_note), body))
    document.build(story)
    return out.getvalue()
