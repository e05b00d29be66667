// Shared start of every Sabaq widget's front end. anywidget runs each widget's module from
// one blob, so this file cannot be imported: sabaq_widgets.assets.widget_module puts it
// before the widget's own file. All text is set with textContent (never innerHTML) and
// comes from the model.
const RTL = new Set(["ur", "ar", "fa", "he", "ps", "sd", "ug", "yi"]);
let counter = 0;
const uid = (p) => `sabaq-${p}-${Math.random().toString(36).slice(2, 8)}-${counter++}`;

function h(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function pickLanguage(model, el) {
  const page = el.closest("[lang]")?.getAttribute("lang") || document.documentElement.lang;
  return (model.get("language") || page || "en").toLowerCase().split("-")[0];
}

function labeller(model, lang) {
  const tables = model.get("labels") || {};
  const table = tables[lang] || {};
  const en = tables.en || {};
  return (name, vars = {}) =>
    String(table[name] ?? en[name] ?? name).replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));
}

// ---- quiz widgets: the verdict box, the attempts counter and Check --------------------

function showResult(box, result, t, pending) {
  box.replaceChildren();
  box.className = "sabaq-feedback";
  if (pending) {
    box.classList.add("is-pending");
    box.append(h("p", { dir: "auto" }, t("submitted")));
    return;
  }
  if (!result || result.correct === undefined) return;
  const verdict = result.correct ? "correct" : result.fraction > 0 ? "partly_correct" : "incorrect";
  box.classList.add(`is-${verdict.replace("_", "-")}`);
  const head = h("p", { class: "sabaq-verdict" });
  head.append(h("span", { "aria-hidden": "true" }, result.correct ? "✓ " : "✗ "), h("strong", {}, t(verdict)));
  box.append(head);
  for (const line of String(result.feedback || "").split("\n").filter(Boolean)) {
    box.append(h("p", { dir: "auto" }, line));
  }
  if (result.explanation) {
    const p = h("p", { class: "sabaq-explanation", dir: "auto" });
    p.append(h("strong", {}, `${t("explanation")}: `), document.createTextNode(result.explanation));
    box.append(p);
  }
}

// Shows the attempt count and the model's verdict; returns the verdict.
function showProgress(model, box, attempts, t, pending) {
  attempts.textContent = t("attempts", { n: model.get("attempts") || 0 });
  const result = model.get("result") || {};
  const keyless = !Object.keys(model.get("key") || {}).length;
  // Without a key the host scores: show "saved" until it sets `result`.
  const waiting = keyless && (pending || (result.correct === undefined && (model.get("attempts") || 0) > 0));
  showResult(box, waiting ? {} : result, t, waiting);
  return result;
}

function showWarning(box, text) {
  box.replaceChildren(h("p", { dir: "auto" }, text));
  box.className = "sabaq-feedback is-warning";
}

// Records a checked response (the caller saves it) and scores it here when the key is
// present. Returns true when the host has to score it: the page waits for its `result`.
function recordResponse(model, response, score) {
  const key = model.get("key") || {};
  model.set("response", response);
  model.set("attempts", (model.get("attempts") || 0) + 1);
  if (!Object.keys(key).length) return true;
  model.set("result", score(key));
  return false;
}

// Renders a quiz with `build()` (which returns { lang, sync, settle }) and keeps it current;
// a change of a trait in `redraw` builds it again. Returns the clean-up function.
function mountQuiz(model, el, build, redraw = []) {
  let view = build();
  const onChange = () => view.sync();
  const rebuild = () => { view = build(); };
  const events = { "change:result": () => view.settle(), "change:response": onChange, "change:attempts": onChange,
    "change:labels": rebuild, "change:language": rebuild };
  for (const name of redraw) events[`change:${name}`] = rebuild;
  for (const [name, fn] of Object.entries(events)) model.on(name, fn);
  // The page's lang is only known once the view is attached to the document.
  requestAnimationFrame(() => { if (pickLanguage(model, el) !== view.lang) rebuild(); });
  return () => { for (const [name, fn] of Object.entries(events)) model.off(name, fn); };
}

// Renders a question answered in one text box (NumericAnswer, ShortAnswer). `spec` gives
// the widget's `name` (its class and id prefix), the response `field`, extra `input`
// attributes, `addons(row, inputId)` drawn after the box, `accepts(raw)` with the label of
// the `invalid` warning, `score(raw, key)` and the traits whose change `redraw`s it.
function mountTextQuiz(model, el, spec) {
  const build = () => {
    const lang = pickLanguage(model, el);
    const t = labeller(model, lang);
    const inputId = uid(spec.name);
    const root = h("div", { class: `sabaq-widget sabaq-${spec.name}`, lang, dir: RTL.has(lang) ? "rtl" : "ltr" });
    const question = h("label", { for: inputId, dir: "auto", class: "sabaq-question" }, model.get("question"));
    const row = h("div", { class: "sabaq-input-row" });
    const input = h("input", { id: inputId, type: "text", autocomplete: "off", dir: "auto", ...spec.input(inputId) });
    row.append(input);
    spec.addons?.(row, inputId);
    const button = h("button", { type: "button", class: "sabaq-check" }, t("check"));
    row.append(button);
    const attempts = h("p", { class: "sabaq-attempts" });
    const box = h("div", { class: "sabaq-feedback", role: "status", "aria-live": "polite" });
    root.append(question, row, attempts, box);

    let pending = false;
    const sync = () => {
      const shown = (model.get("response") || {})[spec.field];
      if (shown !== undefined && document.activeElement !== input) input.value = String(shown);
      const result = showProgress(model, box, attempts, t, pending);
      input.setAttribute("aria-invalid", result.correct === false ? "true" : "false");
    };
    const check = () => {
      const raw = input.value;
      if (!spec.accepts(raw)) {
        showWarning(box, t(spec.invalid));
        input.setAttribute("aria-invalid", "true");
        input.focus();
        return;
      }
      if (recordResponse(model, { [spec.field]: raw }, (key) => spec.score(raw, key))) pending = true;
      model.save_changes();
      sync();
    };
    button.addEventListener("click", check);
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); check(); }
    });
    sync();
    el.replaceChildren(root);
    return { lang, sync, settle: () => { pending = false; sync(); } };
  };
  return mountQuiz(model, el, build, spec.redraw);
}
