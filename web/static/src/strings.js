// The page's interface strings come translated from the server (exam_data.strings).
// A missing key falls back to English so that the page never shows a bare key.

const ENGLISH = {
  question_n: "Question %(n)s of %(total)s",
  previous: "Previous",
  next: "Next",
  flag: "Flag for review",
  unflag: "Remove flag",
  flagged: "Flagged",
  answered: "Answered",
  unanswered: "Not answered",
  navigation: "Questions",
  submit: "Submit my exam",
  submit_confirm_title: "Submit your exam?",
  submit_confirm_body: "Once submitted, you can no longer change your answers.",
  unanswered_list: "Not answered:",
  flagged_list: "Flagged for review:",
  confirm_submit: "Yes, submit",
  cancel: "Keep working",
  time_left: "Time left",
  warning_5: "5 minutes left.",
  warning_1: "1 minute left.",
  online: "Connected",
  offline: "Offline: your answers are kept on this computer and will be sent when the connection returns.",
  reconnecting: "Reconnecting…",
  saving: "Saving…",
  saved: "Saved",
  pending_n: "%(n)s answers waiting to be sent",
  all_saved: "All answers saved",
  paused_banner: "The exam is paused by the proctor. The clock is stopped.",
  locked_banner: "Your exam is locked; ask your proctor.",
  closed_banner: "The exam is closed.",
  submitted_title: "Your exam is submitted",
  receipt: "Receipt (keep it: it proves what you submitted)",
  true: "True",
  false: "False",
  number_placeholder: "Your answer (a number)",
  text_placeholder: "Your answer",
  late_refused: "The time for this exam is over: this answer arrived after the deadline and was not recorded.",
  back_home: "Back to my sittings",
  points: "points",
  point: "point", // the same word in French and English
  logout_confirm: "Some answers have not reached the server yet. If you log out now, they will be lost. Log out anyway?",
  offline_submit: "You are offline. Your answers are still waiting to be sent; stay on this page until the connection returns.",
  clear_answer: "Clear my answer",
  dismiss: "Dismiss",
  announcement: "Message from the proctor",
  save_failed: "This answer could not be saved.",
  submit_failed: "The exam could not be submitted. Try again.",
  choose: "— Choose —",
  gap_n: "Blank %(n)s",
  move_up: "Move up: %(item)s",
  move_down: "Move down: %(item)s",
  moved_to: "Moved to position %(n)s of %(total)s.",
  order_hint: "Use the arrow buttons to put the items in order.",
  order_keep: "Keep this order as my answer",
  select_up_to: "Select up to %(n)s passages.",
  max_selections: "You can select at most %(n)s passages. Unselect one first.",
  expected_words: "Expected length: about %(n)s words.",
  characters: "%(n)s / %(max)s characters",
  upload_hint: "Accepted files: %(kinds)s. At most %(max)s.",
  uploading: "Sending the file…",
  uploaded: "File handed in: %(name)s (%(size)s)",
  no_file: "No file handed in yet.",
  upload_failed: "The file could not be sent. Check the connection and choose it again.",
  upload_too_big: "This file is too large: at most %(max)s.",
  remove_file: "Remove my file",
  size_kb: "%(n)s kB",
  size_mb: "%(n)s MB",
  code_hint: "Your program, in %(language)s. It is run against the teacher's tests once you submit your exam.",
};

/** A translator: t(key, {n: 3}) fills `%(n)s` placeholders. */
export function makeTranslator(strings) {
  const table = strings && typeof strings === "object" ? strings : {};
  return function t(key, params) {
    let text = typeof table[key] === "string" && table[key] ? table[key] : (ENGLISH[key] ?? key);
    if (params) {
      for (const [name, value] of Object.entries(params)) {
        text = text.split(`%(${name})s`).join(String(value));
      }
    }
    return text;
  };
}

/** The item text in the page's language, falling back to the other one. */
export function pickText(textMap, lang) {
  if (typeof textMap === "string") return textMap;
  if (!textMap || typeof textMap !== "object") return "";
  const other = lang === "fr" ? "en" : "fr";
  return textMap[lang] ?? textMap[other] ?? Object.values(textMap).find((v) => typeof v === "string") ?? "";
}
