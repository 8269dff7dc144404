// Pages drawn on the server with item texts (the teacher's preview and item page, the
// marking sheet): typeset their math once the page is parsed.

import { typeset } from "./math.js";

function start() {
  typeset(document.body);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
