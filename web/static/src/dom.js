// Tiny DOM helpers. Texts given here go through textContent and are never parsed as
// HTML. Item texts are the one exception, and not through these helpers: the server
// sends them as sanitised HTML, and math.js (setRichHtml) puts them in the page.

/**
 * Create an element. `attrs` values: strings/numbers become attributes,
 * `true` adds a boolean attribute, `false`/null/undefined are skipped;
 * the key `text` sets textContent and `on` maps event names to handlers.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "on") {
      for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
    } else if (key === "className") node.className = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Show or hide with the `hidden` attribute (no inline styles: the CSP forbids them). */
export function setShown(node, shown) {
  node.hidden = !shown;
}

/** Put a message in a live region so that screen readers announce it, even when repeated. */
export function announce(region, message) {
  region.textContent = "";
  // A fresh text node after a tick is what makes repeated identical messages be read again.
  window.setTimeout(() => { region.textContent = message; }, 50);
}
