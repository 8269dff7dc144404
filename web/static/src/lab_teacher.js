// A coding-lab assignment's bulk regrade: poll the progress endpoint while some of the
// students' latest submissions still wait, and fill the <progress> bar and its count.
// Without JavaScript the page shows the progress as it was when loaded.

const POLL_MS = 1500;
const MAX_POLL_MS = 15000;

function start(section) {
  const bar = section.querySelector("#regrade-progress");
  const count = section.querySelector("#regrade-count");
  const url = section.dataset.progressUrl;
  let delay = POLL_MS;

  const show = (done, total) => {
    bar.max = total || 1;
    bar.value = done;
    count.textContent = `${done}/${total}`;
  };

  const poll = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      show(data.done, data.total);
      delay = POLL_MS;
      if (data.done < data.total) setTimeout(poll, delay);
    } catch {
      delay = Math.min(delay * 2, MAX_POLL_MS);
      setTimeout(poll, delay);
    }
  };

  if (Number(bar.value) < Number(count.textContent.split("/")[1] || 0)) setTimeout(poll, delay);
}

const section = document.getElementById("regrade");
if (section) start(section);
