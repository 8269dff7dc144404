// The bulk import page: poll the import's progress endpoint and move the <progress> bar;
// when the import ends, reload the page, which the server renders with the result (the
// imported questions, what was skipped and why, or the error). The words come from the
// page's data attributes, already translated by the server.

const POLL_MS = 700;
const MAX_POLL_MS = 5000;

class ImportProgress {
  constructor(section) {
    this.section = section;
    this.url = section.dataset.progressUrl;
    this.bar = section.querySelector("#import-bar");
    this.status = section.querySelector("#import-status");
    this.count = section.querySelector("#import-count");
    this.delay = POLL_MS;
  }

  start() {
    if (["done", "failed"].includes(this.section.dataset.status)) return;
    this.schedule();
  }

  schedule() {
    window.setTimeout(() => this.poll(), this.delay);
  }

  async poll() {
    try {
      const answer = await fetch(this.url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
      this.show(await answer.json());
      this.delay = POLL_MS;
    } catch (_error) {
      // A dropped connection or a restarting server: keep trying, less often.
      this.delay = Math.min(this.delay * 2, MAX_POLL_MS);
    }
    if (!["done", "failed"].includes(this.section.dataset.status)) this.schedule();
  }

  show(progress) {
    const total = Math.max(0, Number(progress.total) || 0);
    const done = Math.min(total, Math.max(0, Number(progress.done) || 0));
    this.bar.max = total || 1;
    this.bar.value = total ? done : 0;
    const template = this.section.dataset.countTemplate || "{done} / {total}";
    this.count.textContent = template.replace("{done}", String(done)).replace("{total}", String(total));
    const label = this.section.dataset[`label${progress.status.charAt(0).toUpperCase()}${progress.status.slice(1)}`];
    if (label && this.status.textContent !== label) this.status.textContent = label;
    this.section.dataset.status = progress.status;
    if (progress.status === "done" || progress.status === "failed") {
      this.bar.max = total || 1;
      this.bar.value = total || 1;
      window.location.reload();
    }
  }
}

const section = document.getElementById("import-progress");
if (section && section.dataset.progressUrl) new ImportProgress(section).start();
