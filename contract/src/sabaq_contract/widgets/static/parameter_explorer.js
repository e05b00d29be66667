// ParameterExplorer front end: sliders and dropdowns over precomputed data, drawn as SVG.
// Works with no kernel: every combination's data is in the model ("frames").
// Follows _common.js in one module (sabaq_contract.widgets.assets.widget_module).

const SVG = "http://www.w3.org/2000/svg";
const COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#8C6D00"];
const DASHES = ["", "7 4", "2 3", "9 3 2 3"];

function s(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

// Round tick steps to 1, 2 or 5 times a power of ten.
export function ticks(lo, hi, count = 5) {
  if (!(hi > lo)) { const pad = Math.abs(lo) * 0.1 || 1; lo -= pad; hi += pad; }
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((v) => v >= raw) ?? raw;
  const first = Math.floor(lo / step) * step;
  const last = Math.ceil(hi / step) * step;
  const out = [];
  for (let v = first; v <= last + step / 2; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function extent(frames, pick) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const frame of frames) {
    for (const values of pick(frame)) {
      for (const v of values) if (v !== null && v !== undefined) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    }
  }
  return Number.isFinite(lo) ? [lo, hi] : [0, 1];
}

// The chosen settings and what the plot then shows, as text: the plot's accessible
// description, read out as the controls move (WCAG 1.1.1). A label missing from an older
// saved state's tables falls back to the bare "name = value" list.
export function describe(parameters, selection, frame, names, xLabel, fmt, t) {
  const value = (p, k) => (typeof p.values[k] === "number" ? fmt(p.values[k]) : String(p.values[k]));
  const settings = parameters.map((p, i) => `${p.name} = ${value(p, selection[i] || 0)}`).join(", ");
  const lines = [t("plot_settings", { settings }) === "plot_settings" ? settings : t("plot_settings", { settings })];
  if (!frame) return lines.concat(t("no_data")).join(" ");
  frame.series.forEach((values, k) => {
    const points = values.map((v, i) => [frame.x[i], v]).filter(([x, v]) => x !== null && v !== null && v !== undefined);
    if (!points.length) return;
    const top = points.reduce((best, point) => (point[1] > best[1] ? point : best));
    const line = t("series_summary", { name: names[k] ?? "", first: fmt(points[0][1]), last: fmt(points[points.length - 1][1]),
      max: fmt(top[1]), x: xLabel, at: fmt(top[0]) });
    if (line !== "series_summary") lines.push(line);
  });
  return lines.join(" ");
}

export function frameIndex(parameters, selection) {
  let index = 0;
  parameters.forEach((p, i) => { index = index * p.values.length + (selection[i] || 0); });
  return index;
}

function drawPlot(svg, model, frame, bounds, width, fmt, t) {
  const height = Math.round(Math.min(420, Math.max(240, width * 0.6)));
  const m = { left: 64, right: 16, top: 16, bottom: 52 };
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.replaceChildren();
  const xt = ticks(...bounds.x);
  const yt = ticks(...bounds.y);
  const [x0, x1] = [xt[0], xt[xt.length - 1]];
  const [y0, y1] = [yt[0], yt[yt.length - 1]];
  const px = (v) => m.left + ((v - x0) / (x1 - x0)) * (width - m.left - m.right);
  const py = (v) => height - m.bottom - ((v - y0) / (y1 - y0)) * (height - m.top - m.bottom);
  const axes = s("g", { class: "sabaq-axes", "aria-hidden": "true" });
  for (const v of yt) {
    axes.append(s("line", { x1: m.left, x2: width - m.right, y1: py(v), y2: py(v), class: "sabaq-grid" }));
    axes.append(s("text", { x: m.left - 6, y: py(v) + 4, "text-anchor": "end", direction: "ltr" }, fmt(v)));
  }
  for (const v of xt) {
    axes.append(s("line", { x1: px(v), x2: px(v), y1: height - m.bottom, y2: height - m.bottom + 5, class: "sabaq-tick" }));
    axes.append(s("text", { x: px(v), y: height - m.bottom + 18, "text-anchor": "middle", direction: "ltr" }, fmt(v)));
  }
  axes.append(s("line", { x1: m.left, x2: width - m.right, y1: height - m.bottom, y2: height - m.bottom, class: "sabaq-axis" }));
  axes.append(s("line", { x1: m.left, x2: m.left, y1: m.top, y2: height - m.bottom, class: "sabaq-axis" }));
  axes.append(s("text", { x: (m.left + width - m.right) / 2, y: height - 8, "text-anchor": "middle", class: "sabaq-axis-label" }, model.get("x_label")));
  axes.append(s("text", { x: 0, y: 0, "text-anchor": "middle", class: "sabaq-axis-label",
    transform: `translate(16 ${(m.top + height - m.bottom) / 2}) rotate(-90)` }, model.get("y_label")));
  svg.append(axes);
  if (!frame) {
    svg.append(s("text", { x: width / 2, y: height / 2, "text-anchor": "middle" }, t("no_data")));
    return;
  }
  frame.series.forEach((values, k) => {
    let d = "";
    let pen = "M";
    values.forEach((v, i) => {
      const x = frame.x[i];
      if (v === null || x === null) { pen = "M"; return; }
      d += `${pen}${px(x).toFixed(1)},${py(v).toFixed(1)}`;
      pen = "L";
    });
    svg.append(s("path", { d, class: "sabaq-series", "data-series": k, stroke: COLORS[k % COLORS.length],
      "stroke-dasharray": DASHES[Math.floor(k / COLORS.length + k) % DASHES.length] }));
  });
}

function render({ model, el }) {
  let observer = null;
  const build = () => {
    observer?.disconnect();
    const lang = pickLanguage(model, el);
    const t = labeller(model, lang);
    const fmt = (v) => new Intl.NumberFormat(lang, { maximumSignificantDigits: 4 }).format(v);
    const parameters = model.get("parameters") || [];
    const sharedX = model.get("x") || [];
    const frames = (model.get("frames") || []).map((f) => (f.x ? f : { ...f, x: sharedX }));
    const names = model.get("series") || [];
    const bounds = { x: extent(frames, (f) => [f.x]), y: extent(frames, (f) => f.series) };
    const root = h("div", { class: "sabaq-widget sabaq-explorer", lang, dir: RTL.has(lang) ? "rtl" : "ltr" });
    const titleId = uid("title");
    if (model.get("title")) root.append(h("p", { id: titleId, class: "sabaq-title", dir: "auto" }, model.get("title")));
    const controls = h("div", { class: "sabaq-controls", role: "group", "aria-label": t("parameters") });
    const inputs = parameters.map((p, i) => {
      const id = uid("param");
      const wrap = h("div", { class: "sabaq-control" });
      wrap.append(h("label", { for: id, dir: "auto" }, p.name));
      let input;
      if (p.control === "slider") {
        input = h("input", { id, type: "range", min: 0, max: p.values.length - 1, step: 1 });
        const out = h("output", { for: id, dir: "ltr" });
        input.addEventListener("input", () => choose(i, Number(input.value)));
        wrap.append(input, out);
        input.show = (k) => {
          input.value = String(k);
          out.textContent = fmt(p.values[k]);
          input.setAttribute("aria-valuetext", fmt(p.values[k]));
        };
      } else {
        input = h("select", { id });
        p.values.forEach((v, k) => input.append(h("option", { value: k, dir: "auto" }, typeof v === "number" ? fmt(v) : String(v))));
        input.addEventListener("change", () => choose(i, Number(input.value)));
        wrap.append(input);
        input.show = (k) => { input.value = String(k); };
      }
      controls.append(wrap);
      return input;
    });
    const figure = h("figure", { class: "sabaq-figure" });
    const svg = s("svg", { role: "img", class: "sabaq-plot" });
    const desc = s("title", {}, t("plot_summary", { title: model.get("title") || "", x: model.get("x_label"), y: model.get("y_label"), series: names.join(", ") }));
    const legend = h("ul", { class: "sabaq-legend" });
    names.forEach((name, k) => {
      const item = h("li", { dir: "auto" });
      const swatch = s("svg", { width: 28, height: 12, "aria-hidden": "true" });
      swatch.append(s("line", { x1: 0, x2: 28, y1: 6, y2: 6, stroke: COLORS[k % COLORS.length], "stroke-width": 3,
        "stroke-dasharray": DASHES[Math.floor(k / COLORS.length + k) % DASHES.length] }));
      item.append(swatch, h("span", {}, name));
      legend.append(item);
    });
    const summary = h("p", { id: uid("summary"), class: "sabaq-explorer-summary", "aria-live": "polite",
      "aria-atomic": "true", dir: "auto" });
    svg.setAttribute("aria-describedby", summary.id);
    controls.setAttribute("aria-describedby", summary.id);
    figure.append(svg, legend, summary);
    root.append(controls, figure);
    const draw = () => {
      const selection = model.get("selection") || [];
      inputs.forEach((input, i) => input.show(selection[i] || 0));
      const width = Math.max(300, Math.round(figure.clientWidth || 600));
      const frame = frames[frameIndex(parameters, selection)];
      drawPlot(svg, model, frame, bounds, width, fmt, t);
      svg.prepend(desc);
      const text = describe(parameters, selection, frame, names, model.get("x_label"), fmt, t);
      if (summary.textContent !== text) summary.textContent = text;
    };
    function choose(i, k) {
      const selection = [...(model.get("selection") || parameters.map(() => 0))];
      selection[i] = k;
      model.set("selection", selection);
      model.save_changes();
    }
    el.replaceChildren(root);
    draw();
    if (typeof ResizeObserver !== "undefined") {
      let last = 0;
      observer = new ResizeObserver(() => { if (figure.clientWidth && figure.clientWidth !== last) { last = figure.clientWidth; draw(); } });
      observer.observe(figure);
    }
    return { lang, draw };
  };
  let view = build();
  const redraw = () => view.draw();
  const rebuild = () => { view = build(); };
  const events = { "change:selection": redraw, "change:frames": rebuild, "change:x": rebuild, "change:labels": rebuild,
    "change:language": rebuild, "change:parameters": rebuild };
  for (const [name, fn] of Object.entries(events)) model.on(name, fn);
  requestAnimationFrame(() => { if (pickLanguage(model, el) !== view.lang) rebuild(); });
  return () => {
    observer?.disconnect();
    for (const [name, fn] of Object.entries(events)) model.off(name, fn);
  };
}

export default { render };
