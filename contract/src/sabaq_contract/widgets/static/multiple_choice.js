// MultipleChoice front end: radio buttons or checkboxes in a labelled fieldset.
// Follows _common.js in one module (sabaq_contract.widgets.assets.widget_module).

// Same rule as sabaq_contract.widgets.scoring._score_multiple_choice.
export function scoreMultipleChoice(selected, key) {
  const right = new Set(key.answer || []);
  const chosen = new Set(selected);
  let hits = 0;
  let misses = 0;
  for (const i of chosen) (right.has(i) ? hits++ : misses++);
  const correct = hits === right.size && misses === 0;
  const fraction = correct ? 1 : Math.max(0, (hits - misses) / right.size);
  const notes = (key.feedback || []);
  const feedback = [...chosen].sort((a, b) => a - b).filter((i) => notes[i]).map((i) => notes[i]).join("\n");
  return { correct, fraction, feedback, explanation: key.explanation || "", hint: key.hint || "" };
}

function render({ model, el }) {
  const build = () => {
    const lang = pickLanguage(model, el);
    const t = labeller(model, lang);
    const multiple = model.get("multiple");
    const options = model.get("options") || [];
    const order = model.get("order")?.length ? model.get("order") : options.map((_, i) => i);
    const name = uid("mc");
    const hintId = uid("hint");
    const root = h("div", { class: "sabaq-widget sabaq-mc", lang, dir: RTL.has(lang) ? "rtl" : "ltr" });
    const fieldset = h("fieldset", { "aria-describedby": hintId });
    fieldset.append(h("legend", { dir: "auto", class: "sabaq-question" }, model.get("question")));
    fieldset.append(h("p", { id: hintId, class: "sabaq-hint" }, t(multiple ? "choose_many" : "choose_one")));
    const inputs = [];
    for (const index of order) {
      const id = uid("opt");
      const row = h("div", { class: "sabaq-option" });
      const input = h("input", { type: multiple ? "checkbox" : "radio", name, id, value: index });
      const label = h("label", { for: id, dir: "auto" }, options[index]);
      row.append(input, label);
      fieldset.append(row);
      inputs.push(input);
    }
    const actions = h("div", { class: "sabaq-actions" });
    const button = h("button", { type: "button", class: "sabaq-check" }, t("check"));
    const attempts = h("span", { class: "sabaq-attempts", "aria-live": "polite" });
    actions.append(button, attempts);
    const box = h("div", { class: "sabaq-feedback", role: "status", "aria-live": "polite" });
    root.append(fieldset, actions, box);

    let pending = false;
    const sync = () => {
      const selected = new Set(model.get("response")?.selected || []);
      for (const input of inputs) input.checked = selected.has(Number(input.value));
      showProgress(model, box, attempts, t, pending, button);
    };
    button.addEventListener("click", () => {
      if (!canCheck(model, box, t)) return;
      const selected = inputs.filter((i) => i.checked).map((i) => Number(i.value)).sort((a, b) => a - b);
      if (!selected.length) {
        showWarning(box, t("nothing_chosen"));
        return;
      }
      if (recordResponse(model, { selected }, (key) => scoreMultipleChoice(selected, key))) pending = true;
      model.save_changes();
      sync();
    });
    sync();
    el.replaceChildren(root);
    return { lang, sync, ...settlers(() => { pending = false; sync(); }, box, t) };
  };
  return mountQuiz(model, el, build);
}

export default { render };
