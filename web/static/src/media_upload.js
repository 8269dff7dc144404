// The item form's image upload: the file goes to /media/upload (which checks its kind
// and size), then ![description](url) is written where the cursor was in the last text
// field the teacher wrote in. Messages come translated from the page or the server.

const TEXT_FIELDS = "textarea, input[type=text], input:not([type])";

function main() {
  const box = document.getElementById("media-upload");
  const form = document.getElementById("item-form");
  if (!box || !form) return;
  const file = document.getElementById("media-file");
  const alt = document.getElementById("media-alt");
  const status = document.getElementById("media-status");
  const button = document.getElementById("media-add");
  let target = document.getElementById("stem_fr");
  let caret = null;

  form.addEventListener("focusout", (event) => {
    const field = event.target;
    if (field instanceof HTMLElement && field.matches(TEXT_FIELDS) && !box.contains(field) && field.name) {
      target = field;
      caret = [field.selectionStart, field.selectionEnd];
    }
  });

  function say(message, failed) {
    status.textContent = message;
    status.dataset.state = failed ? "error" : "ok";
  }

  button.addEventListener("click", async () => {
    const chosen = file.files?.[0];
    const description = alt.value.replace(/[\[\]\n\r]+/g, " ").trim();
    if (!chosen) { say(box.dataset.needFile, true); file.focus(); return; }
    if (!description) { say(box.dataset.needAlt, true); alt.focus(); return; }
    const body = new FormData();
    body.append("file", chosen);
    const school = document.getElementById("school_id");
    body.append("school_id", school ? school.value : box.dataset.school);
    const token = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
    button.disabled = true;
    try {
      const response = await fetch(box.dataset.uploadUrl, {
        method: "POST", body, credentials: "same-origin", headers: { "X-CSRFToken": token },
      });
      const answer = await response.json().catch(() => null);
      if (!response.ok || !answer?.url) {
        say(answer?.message || box.dataset.failed, true);
        return;
      }
      const markdown = `![${description}](${answer.url})`;
      if (target) {
        const [start, end] = caret ?? [target.value.length, target.value.length];
        target.value = `${target.value.slice(0, start)}${markdown}${target.value.slice(end)}`;
        caret = [start + markdown.length, start + markdown.length];
      }
      file.value = "";
      alt.value = "";
      say(`${box.dataset.done} ${markdown}`, false);
    } catch {
      say(box.dataset.failed, true);
    } finally {
      button.disabled = false;
    }
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
else main();
