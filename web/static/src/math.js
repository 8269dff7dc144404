// Rich item texts on a page: HTML the server sanitised (item_bank.rich_text), and the
// TeX it carries in span.math.inline / span.math.display / div.math.block typeset by
// KaTeX. KaTeX builds DOM nodes and sets their styles through the CSSOM (not style
// attributes), which the page's CSP (style-src 'self') allows.

import katex from "katex";

const MATH = "span.math.inline, span.math.display, div.math.block";

// Bounds for teacher-written TeX: no macro loops, no giant sizes, no links.
const OPTIONS = {
  throwOnError: false,
  trust: false,
  strict: "ignore",
  maxSize: 20,
  maxExpand: 500,
  output: "htmlAndMathml",
};

/** Typeset every formula under `root` that is not typeset yet. */
export function typeset(root) {
  for (const node of root.querySelectorAll(MATH)) {
    if (node.dataset.typeset) continue;
    const tex = node.textContent;
    node.dataset.tex = tex;
    try {
      katex.render(tex, node, { ...OPTIONS, displayMode: !node.classList.contains("inline") });
      node.dataset.typeset = "katex";
    } catch {
      // throwOnError is off; anything else leaves the TeX as written, still readable.
      node.textContent = tex;
      node.dataset.typeset = "failed";
    }
  }
}

/**
 * Put item HTML into `node` and typeset its math. `html` comes from the server's render
 * payload, where it was sanitised on the way out: it is never text the student typed.
 */
export function setRichHtml(node, html) {
  node.innerHTML = typeof html === "string" ? html : "";
  node.classList.add("rich");
  typeset(node);
  return node;
}

/** The words of item HTML without its markup (for a list's options and labels). */
export function plainText(html) {
  const template = document.createElement("template");
  template.innerHTML = typeof html === "string" ? html : "";
  return (template.content.textContent ?? "").replace(/\s+/g, " ").trim();
}

/** Item HTML as a fragment to append (parsed inert, in a template). */
export function richFragment(html) {
  const template = document.createElement("template");
  template.innerHTML = typeof html === "string" ? html : "";
  return template.content;
}
