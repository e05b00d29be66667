/* Staff panels of the sabaq_notebook XBlock: grading written answers one submission at a
 * time, and the cohort dashboard with grade export and import. Started by notebook.js for
 * staff with its request helpers. Learners' names and tutors' comments are set as text; the
 * HTML the server sanitized (answers, model answers, the chart) is parsed inert and passed
 * through a second allowlist here before it joins the page. */
(function () {
  "use strict";
  // The server's sanitizer (render.py) allows these; anything else is unwrapped (its text kept).
  var TAGS = ["a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark",
    "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul"];
  var SVG = ["svg", "title", "desc", "rect", "line", "text", "g"];  // the dashboard's chart
  var DROP = ["script", "style", "template", "iframe", "object", "embed", "noscript", "foreignobject"];
  var ATTRS = ["class", "href", "src", "alt", "title", "lang", "dir", "role", "width", "height", "colspan",
    "rowspan", "scope", "aria-label"];
  var SVG_ATTRS = ["id", "viewBox", "x", "y", "x1", "x2", "y1", "y2", "text-anchor", "aria-labelledby"];

  function safeUrl(value, tag) {
    var url;
    try { url = new URL(value, window.location.href); } catch (e) { return false; }
    if (tag === "img") return url.protocol === "data:" && /^data:image\//i.test(value.trim());  // no tracking pixels
    return ["http:", "https:", "mailto:"].indexOf(url.protocol) >= 0;
  }
  function clean(node, inSvg) {
    Array.prototype.slice.call(node.children).forEach(function (child) {
      var tag = child.tagName.toLowerCase();
      var svg = inSvg || tag === "svg";
      if (DROP.indexOf(tag) >= 0) { child.remove(); return; }
      if ((svg ? SVG : TAGS).indexOf(tag) < 0) {
        clean(child, svg);
        while (child.firstChild) node.insertBefore(child.firstChild, child);
        child.remove();
        return;
      }
      Array.prototype.slice.call(child.attributes).forEach(function (attr) {
        var allowed = ATTRS.indexOf(attr.name) >= 0 || (svg && SVG_ATTRS.indexOf(attr.name) >= 0);
        if (!allowed || ((attr.name === "href" || attr.name === "src") && !safeUrl(attr.value, tag))) {
          child.removeAttribute(attr.name);
        }
      });
      clean(child, svg);
    });
    return node;
  }
  function sanitized(html, svg) {
    var doc = new DOMParser().parseFromString(svg ? html : "<body>" + html + "</body>",
      svg ? "image/svg+xml" : "text/html");
    var holder = document.createElement("div");
    var source = svg ? doc.documentElement : doc.body;
    if (svg) holder.appendChild(document.importNode(source, true));
    else Array.prototype.forEach.call(source.childNodes, function (n) { holder.appendChild(document.importNode(n, true)); });
    return clean(holder);
  }

  function SabaqStaffGrading(kit) {
    var root = kit.root, strings = kit.strings, el = kit.el, fmt = kit.fmt, post = kit.post;
    var panel = root.querySelector(".sabaq-grading");
    var board = root.querySelector(".sabaq-dashboard");
    var items = [], index = 0;

    // ---- grading written answers ---------------------------------------------------
    function say(node, text) { if (node) node.textContent = text; }
    function loadQueue(keep) {
      return post("manual_queue", {}).then(function (data) {
        items = data.items || [];
        var waiting = data.waiting || 0;
        say(panel.querySelector(".sabaq-grading-summary"), (waiting ? fmt(strings.grading_waiting, { count: waiting })
          : strings.grading_none) + (data.anonymous ? " " + strings.grading_anonymous : ""));
        if (!keep) index = 0;
        index = Math.max(0, Math.min(index, items.length - 1));
        return showSheet();
      });
    }
    function showSheet() {
      var sheet = panel.querySelector(".sabaq-grading-sheet");
      sheet.replaceChildren();
      panel.querySelector(".sabaq-grading-previous").disabled = index <= 0;
      panel.querySelector(".sabaq-grading-next").disabled = index >= items.length - 1;
      if (!items.length) return Promise.resolve();
      return post("marking_sheet", { submission_id: items[index].submission_id }).then(function (data) {
        sheet.replaceChildren(el("h3", "sabaq-grading-label", fmt(strings.grading_of, { label: data.label })));
        sheet.appendChild(el("p", "", fmt(strings.grading_automatic, { score: data.automatic })));
        data.cells.forEach(function (cell) { sheet.appendChild(cellForm(data, cell)); });
        panel.setAttribute("data-sheet", data.submission_id);
      });
    }
    function cellForm(data, cell) {
      var form = el("form", "sabaq-grading-cell");
      form.setAttribute("data-grade-id", cell.grade_id);
      form.appendChild(el("h4", "", cell.grade_id));
      var columns = el("div", "sabaq-grading-columns");
      [[strings.grading_answer, cell.answer_html, "sabaq-grading-answer"],
       [strings.grading_model, cell.model_html, "sabaq-grading-model"]].forEach(function (part) {
        var box = el("section", part[2]);
        var heading = el("h5", "", part[0]);
        heading.id = kit.uid("grading-part");
        box.setAttribute("aria-labelledby", heading.id);
        box.appendChild(heading);
        var body = sanitized(part[1] || "", false);
        body.className = "sabaq-grading-text";
        body.setAttribute("dir", "auto");
        box.appendChild(body);
        columns.appendChild(box);
      });
      form.appendChild(columns);
      var grade = cell.grade || { points: "", comment: "", rubric: [], revision: 0 };
      var points = el("input", "sabaq-grading-points");
      points.type = "number"; points.min = "0"; points.max = String(cell.max_points); points.step = "any";
      points.value = grade.points === "" ? "" : String(grade.points);
      points.id = kit.uid("points");
      if (cell.rubric.length) {
        var fieldset = el("fieldset", "sabaq-grading-rubric");
        fieldset.appendChild(el("legend", "", strings.grading_rubric));
        cell.rubric.forEach(function (item, n) {
          var label = el("label", "");
          var box = el("input", "");
          box.type = "checkbox"; box.value = String(n); box.checked = grade.rubric.indexOf(n) >= 0;
          box.addEventListener("change", function () {
            var total = 0;
            Array.prototype.forEach.call(fieldset.querySelectorAll("input:checked"), function (c) {
              total += cell.rubric[Number(c.value)].points;
            });
            points.value = String(Math.max(0, Math.min(cell.max_points, total)));
          });
          label.appendChild(box);
          label.appendChild(document.createTextNode(" " + item.description + " (" + item.points + ")"));
          fieldset.appendChild(label);
        });
        form.appendChild(fieldset);
      }
      var pointsLabel = el("label", "", fmt(strings.grading_points, { max_points: cell.max_points }));
      pointsLabel.htmlFor = points.id;
      form.appendChild(pointsLabel);
      form.appendChild(points);
      var comment = el("textarea", "sabaq-grading-comment");
      comment.id = kit.uid("comment");
      comment.value = grade.comment || "";
      comment.setAttribute("dir", "auto");
      var commentLabel = el("label", "", strings.grading_comment);
      commentLabel.htmlFor = comment.id;
      form.appendChild(commentLabel);
      form.appendChild(comment);
      if (cell.grade) form.appendChild(el("p", "sabaq-grading-by", fmt(strings.grading_by, { grader: cell.grade.grader })));
      var save = el("button", "sabaq-grading-save", strings.grading_save);
      save.type = "submit";
      form.appendChild(save);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var chosen = Array.prototype.map.call(form.querySelectorAll(".sabaq-grading-rubric input:checked"),
          function (c) { return Number(c.value); });
        post("save_manual_grade", {
          submission_id: data.submission_id, grade_id: cell.grade_id,
          points: points.value === "" ? null : Number(points.value), comment: comment.value,
          rubric: chosen, revision: grade.revision,
        }).then(function (saved) {
          grade = saved.grade;
          var result = saved.manual === "graded"
            ? fmt(strings.grading_complete, { score: saved.score, max_score: saved.max_score }) : strings.grading_saved;
          say(panel.querySelector(".sabaq-grading-result"), result);
          panel.setAttribute("data-saved", cell.grade_id + ":" + saved.grade.revision);
        }).catch(function (err) {
          say(panel.querySelector(".sabaq-grading-result"), err.message);
          if (err.status === 409) showSheet();  // someone else saved: show their grade
        });
      });
      form.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          form.requestSubmit();
        }
      });
      return form;
    }
    function go(step) {
      var next = index + step;
      if (next < 0 || next >= items.length) return;
      index = next;
      showSheet().then(function () { panel.querySelector(".sabaq-grading-sheet").focus(); });
    }
    if (panel) {
      panel.querySelector(".sabaq-grading-next").addEventListener("click", function () { go(1); });
      panel.querySelector(".sabaq-grading-previous").addEventListener("click", function () { go(-1); });
      panel.addEventListener("keydown", function (event) {
        if (!event.altKey) return;
        if (event.key === "n" || event.key === "N") { event.preventDefault(); go(1); }
        if (event.key === "p" || event.key === "P") { event.preventDefault(); go(-1); }
      });
      panel.addEventListener("toggle", function () {
        if (panel.open) loadQueue(false).catch(function (err) { say(panel.querySelector(".sabaq-grading-result"), err.message); });
      });
    }

    // ---- the cohort dashboard --------------------------------------------------------
    var selected = {};
    function showSelected() {
      var ids = Object.keys(selected);
      var button = board.querySelector(".sabaq-dashboard-regrade");
      button.disabled = !ids.length;
      button.textContent = strings.dashboard_regrade_selected + (ids.length ? " (" + ids.length + ")" : "");
    }
    function loadBoard() {
      return post("cohort_dashboard", {}).then(function (data) {
        var figures = board.querySelector(".sabaq-dashboard-figures");
        figures.replaceChildren();
        var grading = data.grading_ms || {};
        [[strings.dashboard_learners, String(data.learners)],
         [strings.queue_states, Object.keys(data.states).map(function (k) {
           return (strings["state_" + k] || k) + ": " + data.states[k]; }).join(", ")],
         [strings.dashboard_waiting_tutor, String(data.waiting_for_tutor)],
         [strings.dashboard_median, data.scores.median === null ? "–" : data.scores.median + " / " + data.scores.max_score],
         [strings.dashboard_grading_time, grading.median === null ? "–" : grading.median + " ms, " + grading.p95 + " ms"],
        ].forEach(function (row) { figures.appendChild(el("dt", "", row[0])); figures.appendChild(el("dd", "", row[1])); });
        if (data.not_submitted) {
          figures.appendChild(el("dt", "", strings.dashboard_not_submitted));
          figures.appendChild(el("dd", "", String(data.not_submitted.length)));
        }
        board.querySelector(".sabaq-dashboard-chart").replaceChildren(sanitized(data.chart, true));
        var body = board.querySelector(".sabaq-dashboard-tests tbody");
        body.replaceChildren();
        data.tests.forEach(function (test) {
          var row = el("tr", "");
          row.appendChild(el("th", "", test.grade_id + (test.hidden ? " (" + strings.hidden_test + ")" : "")));
          row.firstChild.setAttribute("scope", "row");
          row.appendChild(el("td", "", test.passed + " / " + test.total));
          var cell = el("td", "");
          if (test.failed.length) {
            var pick = el("button", "sabaq-dashboard-select", strings.dashboard_regrade_failed);
            pick.type = "button";
            pick.setAttribute("aria-label", strings.dashboard_regrade_failed + ": " + test.grade_id);
            pick.addEventListener("click", function () {
              test.failed.forEach(function (id) { selected[id] = true; });
              showSelected();
            });
            cell.appendChild(pick);
          }
          row.appendChild(cell);
          body.appendChild(row);
        });
        var errors = board.querySelector(".sabaq-dashboard-errors");
        errors.replaceChildren();
        data.errors.forEach(function (e) { errors.appendChild(el("li", "", e.count + " × " + e.where + ": " + e.message)); });
        var stuck = board.querySelector(".sabaq-dashboard-stuck");
        stuck.replaceChildren();
        data.stuck.forEach(function (s) { stuck.appendChild(el("li", "", s.learner_id + " (" + (s.kind || s.state) + ")")); });
        board.setAttribute("data-loaded", "true");
      });
    }
    if (board) {
      board.querySelector(".sabaq-grades-export").href = kit.url("grades_csv");
      board.querySelector(".sabaq-dashboard-regrade").addEventListener("click", function () {
        post("regrade_many", { submission_ids: Object.keys(selected) }).then(function (done) {
          say(board.querySelector(".sabaq-dashboard-result"), fmt(strings.dashboard_regraded, { count: done.queued.length }));
          selected = {};
          showSelected();
        }).catch(function (err) { say(board.querySelector(".sabaq-dashboard-result"), err.message); });
      });
      board.querySelector(".sabaq-grades-import").addEventListener("change", function (event) {
        var file = event.target.files[0];
        var problems = board.querySelector(".sabaq-grades-problems");
        if (!file) return;
        file.text().then(function (text) {
          return fetch(kit.url("grades_import"), {
            method: "POST", credentials: "same-origin", body: text,
            headers: { "Content-Type": "text/csv", "X-CSRFToken": kit.csrf() },
          });
        }).then(function (response) {
          return response.json().then(function (data) { return [response.ok, data]; });
        }).then(function (pair) {
          problems.replaceChildren();
          if (pair[0]) say(board.querySelector(".sabaq-dashboard-result"), fmt(strings.imported, { count: pair[1].imported }));
          else {
            say(board.querySelector(".sabaq-dashboard-result"), pair[1].error);
            (pair[1].problems || []).forEach(function (p) { problems.appendChild(el("li", "", p)); });
          }
          event.target.value = "";
        }).catch(function (err) { say(board.querySelector(".sabaq-dashboard-result"), err.message); });
      });
      board.addEventListener("toggle", function () {
        if (board.open) loadBoard().catch(function (err) { say(board.querySelector(".sabaq-dashboard-result"), err.message); });
      });
    }
  }
  window.SabaqStaffGrading = SabaqStaffGrading;
})();
