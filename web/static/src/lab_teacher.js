// A coding-lab assignment's bulk regrade: the <progress> bar follows `regrade:progress`
// on the /lab Socket.IO namespace (after `assignment:join`), and polls the progress
// endpoint while some of the students' latest submissions still wait, since a push can
// be missed. Without JavaScript the page shows the progress as it was when loaded.

import { io } from "socket.io-client";

const POLL_MS = 2000;
const MAX_POLL_MS = 15000;

function start(section) {
  const bar = section.querySelector("#regrade-progress");
  const count = section.querySelector("#regrade-count");
  const url = section.dataset.progressUrl;
  const assignmentId = section.dataset.assignmentId;
  let delay = POLL_MS;
  let timer = null;

  const show = (done, total) => {
    bar.max = total || 1;
    bar.value = Math.min(done, total);
    count.textContent = `${done}/${total}`;
    section.dataset.done = done >= total ? "yes" : "no";
  };

  const schedule = () => {
    if (timer === null && section.dataset.done !== "yes") timer = setTimeout(poll, delay);
  };

  async function poll() {
    timer = null;
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      show(data.done, data.total);
      delay = POLL_MS;
    } catch {
      delay = Math.min(delay * 2, MAX_POLL_MS);
    }
    schedule();
  }

  show(Number(section.dataset.initialDone), Number(section.dataset.initialTotal));
  schedule();

  const socket = io("/lab", { transports: ["websocket", "polling"], reconnectionDelayMax: 10000 });
  socket.on("connect", () => socket.emit("assignment:join", { assignment_id: assignmentId }));
  socket.on("regrade:progress", (event) => {
    if (event.assignment_id !== assignmentId) return;
    show(event.done, event.total);
    schedule();
  });
}

const section = document.getElementById("regrade");
if (section) start(section);
