// NumericAnswer front end: a labelled text box read as a number (Urdu digits accepted).
// Follows _common.js in one module (sabaq_widgets.assets.widget_module).

const DIGITS = { "٫": ".", "٬": "", "−": "-", "\u00a0": "", "\u2009": "", "\u202f": "", " ": "" };
"٠١٢٣٤٥٦٧٨٩".split("").forEach((c, i) => { DIGITS[c] = String(i); });
"۰۱۲۳۴۵۶۷۸۹".split("").forEach((c, i) => { DIGITS[c] = String(i); });
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

// Same rules as sabaq_widgets.scoring.parse_number and _score_numeric.
export function parseNumber(text) {
  const cleaned = Array.from(String(text), (c) => DIGITS[c] ?? c).join("");
  if (!NUMBER.test(cleaned)) return null;
  const value = Number(cleaned);
  return Number.isFinite(value) ? value : null;
}

export function scoreNumeric(raw, key) {
  const value = parseNumber(raw);
  const answer = Number(key.answer);
  const tol = Math.max((key.rel_tol ?? 1e-6) * Math.max(Math.abs(value), Math.abs(answer)), key.abs_tol ?? 0);
  const correct = value !== null && Math.abs(value - answer) <= tol;
  const feedback = correct ? key.feedback_correct || "" : key.feedback_incorrect || "";
  return { correct, fraction: correct ? 1 : 0, feedback, explanation: "" };
}

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

function render({ model, el }) {
  const build = () => {
    const lang = pickLanguage(model, el);
    const t = labeller(model, lang);
    const inputId = uid("numeric");
    const root = h("div", { class: "sabaq-widget sabaq-numeric", lang, dir: RTL.has(lang) ? "rtl" : "ltr" });
    const question = h("label", { for: inputId, dir: "auto", class: "sabaq-question" }, model.get("question"));
    const row = h("div", { class: "sabaq-input-row" });
    const input = h("input", { id: inputId, type: "text", autocomplete: "off", dir: "auto", inputmode: "decimal", "aria-describedby": `${inputId}-unit` });
    row.append(input);
    const unit = h("span", { id: `${inputId}-unit`, class: "sabaq-unit", dir: "auto" }, model.get("unit") || "");
    if (!model.get("unit")) unit.hidden = true;
    row.append(unit);
    const button = h("button", { type: "button", class: "sabaq-check" }, t("check"));
    row.append(button);
    const attempts = h("p", { class: "sabaq-attempts" });
    const box = h("div", { class: "sabaq-feedback", role: "status", "aria-live": "polite" });
    root.append(question, row, attempts, box);

    let pending = false;
    const sync = () => {
      const response = model.get("response") || {};
      if (response.value !== undefined && document.activeElement !== input) input.value = String(response.value);
      attempts.textContent = t("attempts", { n: model.get("attempts") || 0 });
      const result = model.get("result") || {};
      const keyless = !Object.keys(model.get("key") || {}).length;
      // Without a key the host scores: show "saved" until it sets `result`.
      const waiting = keyless && (pending || (result.correct === undefined && (model.get("attempts") || 0) > 0));
      showResult(box, waiting ? {} : result, t, waiting);
      input.setAttribute("aria-invalid", result.correct === false ? "true" : "false");
    };
    const check = () => {
      const raw = input.value;
      if (parseNumber(raw) === null) {
        box.replaceChildren(h("p", { dir: "auto" }, t("invalid_number")));
        box.className = "sabaq-feedback is-warning";
        input.setAttribute("aria-invalid", "true");
        input.focus();
        return;
      }
      const key = model.get("key") || {};
      const response = { value: raw };
      model.set("response", response);
      model.set("attempts", (model.get("attempts") || 0) + 1);
      if (Object.keys(key).length) model.set("result", scoreNumeric(raw, key));
      else pending = true;
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
  let view = build();
  const onChange = () => view.sync();
  const rebuild = () => { view = build(); };
  const events = { "change:result": () => view.settle(), "change:response": onChange, "change:attempts": onChange,
    "change:labels": rebuild, "change:language": rebuild, "change:unit": rebuild };
  for (const [name, fn] of Object.entries(events)) model.on(name, fn);
  // The page's lang is only known once the view is attached to the document.
  requestAnimationFrame(() => { if (pickLanguage(model, el) !== view.lang) rebuild(); });
  return () => { for (const [name, fn] of Object.entries(events)) model.off(name, fn); };
}

export default { render };
