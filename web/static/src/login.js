// The login page after a logout (or a session that ended): when the server
// names the user whose outbox must go, delete it and every review flag, so the
// next student at this shared computer finds nothing of the previous one.

import { deleteOutboxDb } from "./outbox.js";
import { wipeAllFlags } from "./flags.js";

function main() {
  const marker = document.getElementById("outbox-wipe");
  if (!marker) return;
  const userId = marker.dataset.userId;
  wipeAllFlags();
  deleteOutboxDb(userId).then(() => { marker.dataset.done = "true"; });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
else main();
