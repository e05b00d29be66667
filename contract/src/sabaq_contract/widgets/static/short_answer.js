// ShortAnswer front end: a labelled text box checked against accepted answers.
// Follows _common.js in one module (sabaq_contract.widgets.assets.widget_module).

// Same rules as sabaq_contract.widgets.scoring.normalize_text and _score_short_answer.
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
  return { correct, fraction: correct ? 1 : 0, feedback, explanation: key.explanation || "", hint: key.hint || "" };
}

function render({ model, el }) {
  return mountTextQuiz(model, el, {
    name: "short",
    field: "text",
    input: () => ({ spellcheck: "false" }),
    accepts: (raw) => Boolean(raw.trim()),
    invalid: "empty_text",
    score: scoreShortAnswer,
  });
}

export default { render };
