// ShortAnswer front end: a labelled text box checked against accepted answers.
// Follows _common.js in one module (sabaq_widgets.assets.widget_module).

// Same rules as sabaq_widgets.scoring.normalize_text and _score_short_answer.
export function normalizeText(text, caseSensitive) {
  const clean = String(text).normalize("NFC").split(/\s+/).filter(Boolean).join(" ");
  return caseSensitive ? clean : clean.toLowerCase();
}

export function scoreShortAnswer(raw, key) {
  const cs = Boolean(key.case_sensitive);
  const given = normalizeText(raw, cs);
  let correct = (key.accepted || []).some((a) => normalizeText(a, cs) === given);
  if (!correct && key.pattern) {
    try {
      correct = new RegExp(`^(?:${key.pattern})$`, cs ? "u" : "iu").test(given);
    } catch {
      correct = false;
    }
  }
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
    const inputId = uid("short");
    const root = h("div", { class: "sabaq-widget sabaq-short", lang, dir: RTL.has(lang) ? "rtl" : "ltr" });
    const question = h("label", { for: inputId, dir: "auto", class: "sabaq-question" }, model.get("question"));
    const row = h("div", { class: "sabaq-input-row" });
    const input = h("input", { id: inputId, type: "text", autocomplete: "off", dir: "auto", spellcheck: "false" });
    row.append(input);
    const button = h("button", { type: "button", class: "sabaq-check" }, t("check"));
    row.append(button);
    const attempts = h("p", { class: "sabaq-attempts" });
    const box = h("div", { class: "sabaq-feedback", role: "status", "aria-live": "polite" });
    root.append(question, row, attempts, box);

    let pending = false;
    const sync = () => {
      const response = model.get("response") || {};
      if (response.text !== undefined && document.activeElement !== input) input.value = String(response.text);
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
      if (!raw.trim()) {
        box.replaceChildren(h("p", { dir: "auto" }, t("empty_text")));
        box.className = "sabaq-feedback is-warning";
        input.setAttribute("aria-invalid", "true");
        input.focus();
        return;
      }
      const key = model.get("key") || {};
      const response = { text: raw };
      model.set("response", response);
      model.set("attempts", (model.get("attempts") || 0) + 1);
      if (Object.keys(key).length) model.set("result", scoreShortAnswer(raw, key));
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
    "change:labels": rebuild, "change:language": rebuild };
  for (const [name, fn] of Object.entries(events)) model.on(name, fn);
  // The page's lang is only known once the view is attached to the document.
  requestAnimationFrame(() => { if (pickLanguage(model, el) !== view.lang) rebuild(); });
  return () => { for (const [name, fn] of Object.entries(events)) model.off(name, fn); };
}

export default { render };
