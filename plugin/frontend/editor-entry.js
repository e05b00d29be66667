// Entry point bundled by build.sh into static/vendor/codemirror/sabaq-editor.js:
// exposes one function on window.SabaqEditor so the block's plain scripts can use it.
import { basicSetup } from "codemirror";
import { EditorView, keymap } from "@codemirror/view";
import { EditorState } from "@codemirror/state";
import { indentWithTab } from "@codemirror/commands";
import { indentUnit } from "@codemirror/language";
import { python } from "@codemirror/lang-python";

// Python's indentation: four spaces, whatever the editor's defaults.
const FOUR_SPACES = [indentUnit.of("    "), EditorState.tabSize.of(4)];
// How long "Tab moves focus" lasts after the editor is entered with Tab: until the first
// key that is not Tab (CodeMirror ends the mode then), or this long.
const UNTIL_TYPED = 24 * 3600 * 1000;

// The editor never traps the keyboard (WCAG 2.1.2). Tab indents, as a coder expects, but:
// - entered with Tab, a second Tab leaves it again until the learner types something;
// - Escape then Tab always leaves it (CodeMirror's own tab-focus mode);
// `options.describedBy` names the element that says so, read out with the editor's label.
function create(parent, doc, onChange, label, options) {
  const opts = options || {};
  // tabindex: a contenteditable is focusable anyway, but checkers (axe's scrollable-region
  // rule) only count it as the focusable content of its scrolling box with one.
  const attributes = { "aria-label": label || "code", tabindex: "0" };
  if (opts.describedBy) attributes["aria-describedby"] = opts.describedBy;
  let tabbedIn = false;
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        basicSetup,
        FOUR_SPACES,
        keymap.of([indentWithTab]),
        python(),
        EditorView.contentAttributes.of(attributes),
        EditorView.domEventHandlers({
          focus: (event, editor) => {
            if (tabbedIn) editor.setTabFocusMode(UNTIL_TYPED);
            tabbedIn = false;
            return false;
          },
        }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
  // Whether focus is arriving by the Tab key (not a click): seen on the document before the
  // editor gets it.
  const owner = parent.ownerDocument || document;
  owner.addEventListener("keydown", (event) => { tabbedIn = event.key === "Tab"; }, true);
  owner.addEventListener("pointerdown", () => { tabbedIn = false; }, true);
  return {
    getValue: () => view.state.doc.toString(),
    setValue: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    focus: () => view.focus(),
    view,
  };
}

window.SabaqEditor = { create };
