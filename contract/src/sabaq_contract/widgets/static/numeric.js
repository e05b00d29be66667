// NumericAnswer front end: a labelled text box read as a number (Urdu digits accepted).
// Follows _common.js in one module (sabaq_contract.widgets.assets.widget_module).

const DIGITS = { "٫": ".", "٬": "", "−": "-", "\u00a0": "", "\u2009": "", "\u202f": "", " ": "" };
"٠١٢٣٤٥٦٧٨٩".split("").forEach((c, i) => { DIGITS[c] = String(i); });
"۰۱۲۳۴۵۶۷۸۹".split("").forEach((c, i) => { DIGITS[c] = String(i); });
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

// Same rules as sabaq_contract.widgets.scoring.parse_number and _score_numeric.
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
  return { correct, fraction: correct ? 1 : 0, feedback, explanation: key.explanation || "", hint: key.hint || "" };
}

function render({ model, el }) {
  return mountTextQuiz(model, el, {
    name: "numeric",
    field: "value",
    input: (id) => ({ inputmode: "decimal", "aria-describedby": `${id}-unit` }),
    addons: (row, id) => {
      const unit = h("span", { id: `${id}-unit`, class: "sabaq-unit", dir: "auto" }, model.get("unit") || "");
      if (!model.get("unit")) unit.hidden = true;
      row.append(unit);
    },
    accepts: (raw) => parseNumber(raw) !== null,
    invalid: "invalid_number",
    score: scoreNumeric,
    redraw: ["unit"],
  });
}

export default { render };
