// The static frame of the exam page: sticky bar (title, timer, connection),
// banners, navigation panel, submit dialog and the submitted view.
// It only builds elements; exam.js gives them behaviour.

import { el } from "./dom.js";

export function buildLayout(root, { t, title, displayMode }) {
  const ui = {};

  ui.timer = el("span", { id: "timer", role: "timer", "aria-labelledby": "timer-label", className: "timer-value",
    "data-deadline": "", "data-remaining": "", "data-paused": "false", text: "—" });
  ui.connection = el("span", { id: "connection-status", className: "connection-status",
    "data-state": "offline", "data-detail": "connecting", text: t("reconnecting") });
  ui.pending = el("span", { id: "pending-count", className: "pending-count", "data-count": "0",
    text: t("all_saved") });
  ui.bar = el("div", { className: "exam-bar", id: "exam-bar" },
    el("h1", { className: "exam-title", id: "exam-title", text: title }),
    el("div", { className: "timer-box" },
      el("span", { className: "timer-label", id: "timer-label", text: t("time_left") }),
      ui.timer),
    // Polite: the student hears "offline" / "all answers saved" without being interrupted.
    el("div", { className: "sync-status", id: "sync-status", "aria-live": "polite" },
      ui.connection, ui.pending));

  ui.timeWarning = el("p", { id: "time-warning", className: "banner banner-warning", hidden: true });
  ui.pausedBanner = el("p", { id: "paused-banner", className: "banner banner-paused", hidden: true,
    text: t("paused_banner") });
  ui.lockedBanner = el("p", { id: "locked-banner", className: "banner banner-paused", hidden: true,
    text: t("locked_banner") });
  ui.closedBanner = el("p", { id: "closed-banner", className: "banner banner-closed", hidden: true,
    text: t("closed_banner") });
  ui.message = el("p", { id: "exam-message", className: "banner banner-error", role: "alert", hidden: true });
  ui.announcements = el("div", { id: "announcements", className: "announcements", "aria-live": "polite" });
  ui.banners = el("div", { className: "exam-banners" },
    ui.timeWarning, ui.pausedBanner, ui.lockedBanner, ui.closedBanner, ui.message, ui.announcements);
  // Assertive, visually hidden: time warnings and pauses must interrupt a screen reader.
  ui.announcer = el("div", { id: "announcer", className: "visually-hidden", "aria-live": "assertive",
    "aria-atomic": "true" });

  ui.questions = el("div", { id: "questions", className: `questions mode-${displayMode}` });
  ui.prev = el("button", { type: "button", id: "prev-button", className: "pager-button",
    "aria-keyshortcuts": "Alt+P", text: `← ${t("previous")}` });
  ui.next = el("button", { type: "button", id: "next-button", className: "pager-button primary",
    "aria-keyshortcuts": "Alt+N", text: `${t("next")} →` });
  ui.pager = el("div", { className: "pager", id: "pager", hidden: displayMode !== "one" }, ui.prev, ui.next);

  ui.navList = el("ol", { className: "nav-list", id: "nav-list" });
  ui.submit = el("button", { type: "button", id: "submit-button", className: "submit-button primary",
    "aria-haspopup": "dialog", text: t("submit") });
  ui.nav = el("nav", { id: "question-nav", className: "question-nav", "aria-labelledby": "nav-title" },
    el("h2", { id: "nav-title", className: "nav-title", text: t("navigation") }),
    el("p", { className: "nav-legend", id: "nav-legend",
      text: `✓ ${t("answered")} · ○ ${t("unanswered")} · ⚑ ${t("flagged")}` }),
    ui.navList);

  // Questions come first in the document (Tab reaches the answer before 40 nav
  // buttons); the grid puts the navigation panel on the left for the eye.
  ui.main = el("div", { className: "exam-layout", id: "exam-main" },
    el("div", { className: "exam-questions" }, ui.questions, ui.pager),
    el("aside", { className: "exam-side" }, ui.nav, ui.submit));

  ui.dialog = buildSubmitDialog(t, ui);
  ui.submittedView = buildSubmittedView(t, ui);

  root.replaceChildren(ui.bar, ui.banners, ui.announcer, ui.main, ui.dialog, ui.submittedView);
  return ui;
}

function buildSubmitDialog(t, ui) {
  ui.unansweredList = el("p", { id: "submit-unanswered", className: "submit-list", hidden: true });
  ui.flaggedList = el("p", { id: "submit-flagged", className: "submit-list", hidden: true });
  ui.submitError = el("p", { id: "submit-error", className: "submit-error", role: "alert", hidden: true });
  ui.cancelSubmit = el("button", { type: "button", id: "cancel-submit", text: t("cancel"), autofocus: true });
  ui.confirmSubmit = el("button", { type: "button", id: "confirm-submit", className: "primary",
    text: t("confirm_submit") });
  return el("dialog", { id: "submit-dialog", className: "submit-dialog",
    "aria-labelledby": "submit-dialog-title", "aria-describedby": "submit-dialog-body" },
    el("h2", { id: "submit-dialog-title", text: t("submit_confirm_title") }),
    el("p", { id: "submit-dialog-body", text: t("submit_confirm_body") }),
    ui.unansweredList, ui.flaggedList, ui.submitError,
    el("div", { className: "dialog-actions" }, ui.cancelSubmit, ui.confirmSubmit));
}

function buildSubmittedView(t, ui) {
  ui.submittedTitle = el("h2", { id: "submitted-title", tabindex: "-1", text: t("submitted_title") });
  ui.closedNote = el("p", { id: "closed-note", className: "closed-note", hidden: true, text: t("closed_banner") });
  ui.receipt = el("code", { id: "receipt", className: "receipt" });
  ui.receiptBlock = el("div", { className: "receipt-block", id: "receipt-block", hidden: true },
    el("p", { id: "receipt-label", text: t("receipt") }), ui.receipt);
  ui.homeLink = el("a", { id: "home-link", className: "button primary", href: "#", text: t("back_home") });
  return el("section", { id: "submitted-view", className: "submitted-view", hidden: true,
    "aria-labelledby": "submitted-title" },
    ui.submittedTitle, ui.closedNote, ui.receiptBlock, el("p", {}, ui.homeLink));
}

/** One button of the navigation panel; its state is text, not only colour. */
export function buildNavButton(index, onClick) {
  const number = el("span", { className: "nav-number", text: String(index + 1) });
  const mark = el("span", { className: "nav-mark", "aria-hidden": "true" });
  const stateText = el("span", { className: "visually-hidden" });
  const button = el("button", { type: "button", className: "nav-button", id: `nav-${index}`,
    "data-answered": "false", "data-flagged": "false", on: { click: onClick } }, number, mark, stateText);
  return { item: el("li", {}, button), button, mark, stateText };
}
