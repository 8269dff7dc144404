// The answer widget of a file-upload question. The file goes to the attempt's upload
// route (POST /api/v1/attempts/{id}/answers/{slot}/file), which checks and keeps it; the
// reference it answers ({file, name, size, kind}) is then the slot's response and takes
// the normal save path (outbox, Socket.IO, answer log) like any other answer.
// Exposes { node, inputs, read(), write(response), setDisabled(disabled) }.

import { el } from "./dom.js";
import { pickText } from "./strings.js";

const SHA256 = /^[0-9a-f]{64}$/;

function locale(lang) {
  return lang === "fr" ? "fr-CA" : "en-CA";
}

/** "820 kB" or "2.5 MB" in the page's language. */
export function formatSize(bytes, t, lang) {
  const format = (n) => n.toLocaleString(locale(lang), { maximumFractionDigits: 1 });
  if (bytes < 1024 * 1024) return t("size_kb", { n: format(Math.max(0.1, bytes / 1024)) });
  return t("size_mb", { n: format(bytes / (1024 * 1024)) });
}

function isReference(response) {
  return Boolean(response && typeof response === "object" && typeof response.file === "string"
    && SHA256.test(response.file) && typeof response.name === "string"
    && Number.isInteger(response.size) && typeof response.kind === "string");
}

/** The slot of a question from its prefix (`q3` is slot 3). */
function slotOf(prefix) {
  return Number(String(prefix).replace(/^q/, ""));
}

/** The stem as plain text, where the page has no rich-text renderer to hand over. */
function plainStem(node, text) {
  node.textContent = text;
  return node;
}

/**
 * @param fillStem (node, text) => node: puts the stem's text (or sanitised HTML) into the label
 */
export function fileUpload(prefix, render, ctx, changed, _onFlush, fillStem = plainStem) {
  const { t, lang } = ctx;
  const id = `${prefix}-input`;
  const maxBytes = Number.isInteger(render.max_bytes) && render.max_bytes > 0 ? render.max_bytes : Infinity;
  const accept = typeof render.accept === "string" ? render.accept : "";
  let current = null;
  let busy = false;

  const hint = el("p", { className: "hint", id: `${prefix}-hint`,
    text: t("upload_hint", { kinds: accept.split(",").join(", "),
      max: Number.isFinite(maxBytes) ? formatSize(maxBytes, t, lang) : "—" }) });
  const status = el("p", { className: "upload-status", id: `${prefix}-file`, "aria-live": "polite" });
  const input = el("input", { type: "file", id, name: prefix, className: "upload-input",
    accept: accept || null, "aria-describedby": `${prefix}-title ${prefix}-hint ${prefix}-file`,
    on: { change: () => send() } });
  const remove = el("button", { type: "button", className: "upload-remove", text: t("remove_file"),
    "aria-describedby": `${prefix}-file`, hidden: true,
    on: { click: () => { current = null; input.value = ""; show(); changed(false); input.focus(); } } });

  function show(message) {
    if (message) {
      status.textContent = message;
      status.dataset.state = "error";
    } else if (busy) {
      status.textContent = t("uploading");
      status.dataset.state = "busy";
    } else if (current) {
      status.textContent = t("uploaded", { name: current.name, size: formatSize(current.size, t, lang) });
      status.dataset.state = "done";
    } else {
      status.textContent = t("no_file");
      status.dataset.state = "none";
    }
    remove.hidden = !current || busy;
  }

  async function send() {
    const file = input.files && input.files[0];
    if (!file) return;
    if (file.size > maxBytes) {
      input.value = "";
      show(t("upload_too_big", { max: formatSize(maxBytes, t, lang) }));
      return;
    }
    const body = new FormData();
    body.append("file", file, file.name);
    busy = true;
    show();
    let message = null;
    try {
      const answer = await fetch(`/api/v1/attempts/${encodeURIComponent(ctx.attemptId)}/answers/${slotOf(prefix)}/file`, {
        method: "POST", body, credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": ctx.csrfToken || "" },
      });
      const data = await answer.json().catch(() => ({}));
      if (answer.ok && isReference(data.response)) {
        current = data.response;
      } else {
        message = data.message || t("upload_failed");
      }
    } catch {
      message = t("upload_failed");
    }
    busy = false;
    input.value = "";
    show(message);
    if (!message) changed(false);
  }

  show();
  const node = el("div", { className: "answer answer-file-upload" },
    fillStem(el("label", { for: id, className: "stem", id: `${prefix}-stem` }), pickText(render.stem, lang)),
    hint, el("div", { className: "upload-row" }, input, remove), status);
  return {
    node,
    inputs: [input, remove],
    read() {
      return current ? { ...current } : null;
    },
    write(response) {
      current = isReference(response) ? { file: response.file, name: response.name,
        size: response.size, kind: response.kind } : null;
      show();
    },
  };
}
