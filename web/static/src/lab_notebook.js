// A notebook assignment's page: while a submission is queued or running, follow its status
// (`submission:status` on the /lab Socket.IO namespace, which a student joins for their own
// submissions only) and reload the page when grading ends, so the verdicts drawn by the
// server appear. A push can be missed: the submission is also polled over REST.

import { io } from "socket.io-client";

const POLL_MS = 3000;
const MAX_POLL_MS = 20000;

function start(section) {
  const pending = new Set(JSON.parse(section.dataset.pending || "[]"));
  if (pending.size === 0) return;
  const finished = (status) => status === "graded" || status === "error";
  let reloading = false;

  const show = (id, status) => {
    const article = section.querySelector(`[data-submission-id="${CSS.escape(id)}"]`);
    if (!article) return;
    article.dataset.status = status;
    const badge = article.querySelector(".lab-submission-status");
    const label = section.dataset[`label${status.charAt(0).toUpperCase()}${status.slice(1)}`];
    if (badge && label) badge.textContent = label;
    if (finished(status)) {
      pending.delete(id);
      if (!reloading) {
        reloading = true;
        window.location.reload();
      }
    }
  };

  const socket = io("/lab", { transports: ["websocket", "polling"], reconnectionDelayMax: 10000 });
  socket.on("submission:status", (event) => {
    if (pending.has(event.submission_id)) show(event.submission_id, event.status);
  });

  let delay = POLL_MS;
  async function poll() {
    try {
      for (const id of [...pending]) {
        const response = await fetch(section.dataset.submissionUrl + encodeURIComponent(id), {
          headers: { Accept: "application/json" }, credentials: "same-origin",
        });
        if (!response.ok) throw new Error(String(response.status));
        const data = await response.json();
        show(id, data.status);
      }
      delay = POLL_MS;
    } catch {
      delay = Math.min(delay * 2, MAX_POLL_MS);
    }
    if (pending.size && !reloading) setTimeout(poll, delay);
  }
  setTimeout(poll, delay);
}

const section = document.getElementById("notebook-submissions");
if (section) start(section);
