// Shared start of every Sabaq widget's front end. anywidget runs each widget's module from
// one blob, so this file cannot be imported: sabaq_contract.widgets.assets.widget_module puts it
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

const AFTER = "after_correct_or_exhausted";

// True when the widget's checks are used up (max_attempts 0 means no limit).
function exhausted(model) {
  const max = model.get("max_attempts") || 0;
  return max > 0 && (model.get("attempts") || 0) >= max;
}

// Same rule as sabaq_contract.widgets.attempts.verdict: the `result` after the `attempts`-th check.
// The explanation comes with it only once earned; the hint only after a wrong answer.
export function verdict(score, attempts, rules, previous) {
  const max = rules.max_attempts || 0;
  const reveal = rules.reveal || AFTER;
  const solved = Boolean(score.correct) || previous.solved === true;
  const shown = reveal === "always" || (reveal === AFTER && (solved || (max > 0 && attempts >= max)));
  return {
    correct: score.correct, fraction: score.fraction, feedback: score.feedback,
    explanation: shown ? score.explanation || "" : "", hint: score.correct ? "" : score.hint || "", solved,
  };
}

// `final`: no check is left, so a wrong answer is not "try again".
function showResult(box, result, t, pending, final) {
  box.replaceChildren();
  box.className = "sabaq-feedback";
  if (pending) {
    box.classList.add("is-pending");
    box.append(h("p", { dir: "auto" }, t("submitted")));
    return;
  }
  if (!result || result.correct === undefined) return;
  const word = result.correct ? "correct" : result.fraction > 0 ? "partly_correct" : "incorrect";
  box.classList.add(`is-${word.replace("_", "-")}`);
  const shown = word === "incorrect" && final ? "not_correct" : word;
  const head = h("p", { class: "sabaq-verdict" });
  head.append(h("span", { "aria-hidden": "true" }, result.correct ? "✓ " : "✗ "), h("strong", {}, t(shown)));
  box.append(head);
  for (const line of String(result.feedback || "").split("\n").filter(Boolean)) {
    box.append(h("p", { dir: "auto" }, line));
  }
  for (const [name, cls] of [["hint", "sabaq-quiz-hint"], ["explanation", "sabaq-explanation"]]) {
    if (!result[name]) continue;
    const p = h("p", { class: cls, dir: "auto" });
    p.append(h("strong", {}, `${t(name)}: `), document.createTextNode(result[name]));
    box.append(p);
  }
}

// Shows the attempt count and the model's verdict, and turns Check off once the attempts
// are used up; returns the verdict.
function showProgress(model, box, attempts, t, pending, button) {
  const n = model.get("attempts") || 0;
  const max = model.get("max_attempts") || 0;
  attempts.textContent = max ? t("attempts_of", { n, max }) : t("attempts", { n });
  const result = model.get("result") || {};
  const keyless = !Object.keys(model.get("key") || {}).length;
  // Without a key the host scores: show "saved" until it sets `result`.
  const waiting = keyless && (pending || (result.correct === undefined && n > 0));
  const done = exhausted(model);
  showResult(box, waiting ? {} : result, t, waiting, done);
  button.disabled = done;
  if (done && !waiting) box.append(h("p", { class: "sabaq-no-attempts", dir: "auto" }, t("no_attempts_left")));
  return result;
}

// The `settle` and `refuse` of a quiz view: both end the wait for the scorer.
function settlers(settle, box, t) {
  const refuse = (msg) => {
    settle();
    showWarning(box, msg.message || t(msg.reason === "no_attempts" ? "no_attempts_left" : "invalid_answer"));
  };
  return { settle, refuse };
}

function showWarning(box, text) {
  box.replaceChildren(h("p", { dir: "auto" }, text));
  box.className = "sabaq-feedback is-warning";
}

// False (with a warning) when no check is left; the scorer refuses one anyway.
function canCheck(model, box, t) {
  if (!exhausted(model)) return true;
  showWarning(box, t("no_attempts_left"));
  return false;
}

// Records a checked response (the caller saves it) and, when the key is present, scores
// and counts it here by the rule the kernel and the server apply. Returns true when the
// host has to score it: the page then waits for its `result` (and never writes `attempts`).
function recordResponse(model, response, score) {
  const key = model.get("key") || {};
  model.set("response", response);
  if (!Object.keys(key).length) return true;
  const used = (model.get("attempts") || 0) + 1;
  const rules = { max_attempts: model.get("max_attempts") || 0, reveal: model.get("reveal") || AFTER };
  model.set("attempts", used);
  model.set("result", verdict(score(key), used, rules, model.get("result") || {}));
  return false;
}

// Renders a quiz with `build()` (which returns { lang, sync, settle, refuse }) and keeps it
// current; a change of a trait in `redraw` builds it again. A scorer that refuses a check
// says so in a custom message { event: "refused", reason, message? }. Returns the clean-up.
function mountQuiz(model, el, build, redraw = []) {
  let view = build();
  const onChange = () => view.sync();
  const rebuild = () => { view = build(); };
  const onMessage = (msg) => { if (msg && msg.event === "refused") view.refuse(msg); };
  const events = { "change:result": () => view.settle(), "change:response": onChange, "change:attempts": onChange,
    "change:labels": rebuild, "change:language": rebuild, "change:max_attempts": onChange, "msg:custom": onMessage };
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
      const result = showProgress(model, box, attempts, t, pending, button);
      input.setAttribute("aria-invalid", result.correct === false ? "true" : "false");
    };
    const check = () => {
      if (!canCheck(model, box, t)) return;
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
    return { lang, sync, ...settlers(() => { pending = false; sync(); }, box, t) };
  };
  return mountQuiz(model, el, build, spec.redraw);
}
