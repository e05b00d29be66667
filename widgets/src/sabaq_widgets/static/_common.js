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
