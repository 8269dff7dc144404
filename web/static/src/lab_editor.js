// The coding lab's editor: CodeMirror 6 with line numbers, syntax highlighting for the
// exercise's language and keyboard-only use.
//
// Tab indents (indentWithTab), so the editor does not give focus away on Tab by itself;
// CodeMirror's documented way out is kept and said on the page: Escape, then Tab (or
// Shift+Tab) within two seconds moves focus on, and Ctrl+M (Shift+Alt+M on a Mac)
// switches Tab between indenting and moving focus.
//
// CodeMirror puts its styles in one <style> element; the page's CSP allows that element
// through the nonce the server gave this page (EditorView.cspNonce). Everything else it
// styles goes through the CSSOM, which the CSP allows.

import {
  EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter,
  highlightSpecialChars, drawSelection,
} from "@codemirror/view";
import { EditorState } from "@codemirror/state";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import {
  bracketMatching, defaultHighlightStyle, indentOnInput, indentUnit, syntaxHighlighting,
} from "@codemirror/language";
import { python } from "@codemirror/lang-python";
import { cpp } from "@codemirror/lang-cpp";
import { java } from "@codemirror/lang-java";
import { javascript } from "@codemirror/lang-javascript";

const LANGUAGES = {
  python3: () => python(),
  c: () => cpp(),
  cpp: () => cpp(),
  java: () => java(),
  javascript: () => javascript(),
};

const THEME = EditorView.theme({
  "&": { fontSize: "16px", backgroundColor: "#ffffff", border: "1px solid #8a93a0", borderRadius: "6px" },
  "&.cm-focused": { outline: "3px solid #ffbf47", outlineOffset: "2px" },
  ".cm-scroller": {
    fontFamily: "ui-monospace, Menlo, Consolas, \"DejaVu Sans Mono\", monospace",
    minHeight: "18rem", maxHeight: "34rem", lineHeight: "1.5",
  },
  ".cm-content": { padding: "6px 0" },
  ".cm-gutters": { backgroundColor: "#f3f5f8", color: "#4a5260", borderRight: "1px solid #d5dae1" },
  ".cm-activeLine": { backgroundColor: "#eef3fb" },
  ".cm-activeLineGutter": { backgroundColor: "#dde6f4", color: "#1b1f24" },
});

/**
 * Create the editor in `parent`.
 * @param {object} options
 * @param {string} options.language the sandbox language (python3, c, cpp, java, javascript)
 * @param {string} options.doc the code to start from
 * @param {string} options.label the editor's accessible name
 * @param {string} [options.describedBy] id of the keyboard help text
 * @param {string} [options.nonce] the page's style nonce
 * @param {(code: string) => void} options.onChange called after every change of the code
 */
export function createEditor({ language, doc, label, describedBy, nonce, onChange }) {
  const extensions = [
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightSpecialChars(),
    history(),
    drawSelection(),
    indentOnInput(),
    bracketMatching(),
    highlightActiveLine(),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    indentUnit.of("    "),
    EditorState.tabSize.of(4),
    keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
    EditorView.contentAttributes.of({
      "aria-label": label,
      ...(describedBy ? { "aria-describedby": describedBy } : {}),
      spellcheck: "false",
      autocapitalize: "off",
      autocorrect: "off",
    }),
    THEME,
    EditorView.updateListener.of((update) => {
      if (update.docChanged) onChange(update.state.doc.toString());
    }),
  ];
  if (nonce) extensions.push(EditorView.cspNonce.of(nonce));
  const make = LANGUAGES[language];
  if (make) extensions.push(make());
  return new EditorView({ doc, extensions });
}

/** The editor's code. */
export function getCode(view) {
  return view.state.doc.toString();
}

/** Replace the whole code (a restored draft), leaving the undo history able to go back. */
export function setCode(view, code) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: code } });
}

/** Put the cursor at the start of a line (1-based) of the code, scrolled into view, and focus
 * the editor: where an explained error is. */
export function goToLine(view, number) {
  const doc = view.state.doc;
  const line = doc.line(Math.min(Math.max(1, Number(number) || 1), doc.lines));
  view.dispatch({ selection: { anchor: line.from }, scrollIntoView: true });
  view.focus();
}
