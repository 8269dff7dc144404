// Logging out on a shared school computer must leave nothing of the student
// behind: the outbox database and the review flags go before the session does.

import { deleteOutboxDb } from "./outbox.js";
import { wipeAllFlags } from "./flags.js";

/**
 * Intercept the base template's logout form(s).
 * `beforeWipe()` may return false to cancel (the student chose to stay);
 * it is where the exam page asks for confirmation and closes its own connection.
 */
export function guardLogout(userId, beforeWipe = async () => true) {
  document.querySelectorAll("form.logout-form").forEach((form) => {
    let leaving = false;
    form.addEventListener("submit", async (event) => {
      if (leaving) return;
      event.preventDefault();
      if (!(await beforeWipe())) return;
      leaving = true;
      await deleteOutboxDb(userId);
      wipeAllFlags();
      // The prototype's submit, in case a control named "submit" shadows it; it fires no event.
      HTMLFormElement.prototype.submit.call(form);
    });
  });
}
