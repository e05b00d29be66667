/* Student view of the sabaq_notebook XBlock: editors with drafts, submission,
 * live status, feedback, maths and widgets. All text comes translated from the
 * server; all notebook content arrives sanitized and is never injected as HTML here.
 * Everything else (drafts, messages, test output, learner names) is set as text only:
 * textContent or a form value, never innerHTML. */
function SabaqNotebookBlock(runtime, element, initArgs) {
  "use strict";
  // The init arguments arrive as base64 JSON (fragment.py): runtimes print them unescaped.
  var args = initArgs && typeof initArgs.encoded === "string"
    ? JSON.parse(window.atob(initArgs.encoded)) : {};
  var wrapper = element.jquery ? element[0] : element;
  var root = wrapper.querySelector(".sabaq-notebook") || wrapper;
  var strings = args.strings || {};
  var editors = {};
  var pollTimer = null;
  var POLL = args.poll || { first: 700, growth: 1.5, most: 5000 };
  var pollDelay = POLL.first, pollState = null;

  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }
  function url(handler, suffix) { return runtime.handlerUrl(wrapper, handler, suffix); }
  function post(handler, body) {
    return fetch(url(handler), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": cookie("csrftoken") },
      body: JSON.stringify(body),
    }).then(answer);
  }
  function answer(response) {
    return response.json().catch(function () { return {}; }).then(function (data) {
      if (!response.ok) {
        var failure = new Error(data.error || strings.network_error);
        failure.status = response.status;
        throw failure;
      }
      return data;
    });
  }
  function fmt(text, vars) {
    return String(text).replace(/\{(\w+)\}/g, function (_, k) { return vars[k] === undefined ? "" : vars[k]; });
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  // Ids unique on a page that shows several blocks (aria-describedby needs them).
  function uid(prefix) {
    SabaqNotebookBlock.ids = (SabaqNotebookBlock.ids || 0) + 1;
    return "sabaq-" + prefix + "-" + SabaqNotebookBlock.ids;
  }
  // Interface text inside the lesson is in the interface's language, not the lesson's.
  function interfaceText(node) {
    node.lang = root.lang || args.language || "";
    node.dir = root.dir || "auto";
    return node;
  }

  // Maths, typeset offline by the vendored KaTeX.
  if (window.katex) {
    Array.prototype.forEach.call(root.querySelectorAll(".sabaq-math"), function (node) {
      try {
        window.katex.render(node.textContent, node, {
          displayMode: node.classList.contains("sabaq-math-display"),
          throwOnError: false, trust: false, strict: "ignore",
        });
      } catch (e) { /* leave the TeX source visible */ }
    });
  }

  // Wide code, outputs and display maths scroll sideways inside the lesson; those that do
  // (and only those) are focusable regions, so the keyboard can scroll them (WCAG 2.1.1).
  var scrollable = [[".sabaq-input pre", strings.scroll_code], [".sabaq-raw", strings.scroll_code],
    [".sabaq-output", strings.scroll_output], [".sabaq-math-display", strings.scroll_math]];
  var scrollPending = false;
  function markScrollable() {
    scrollPending = false;
    scrollable.forEach(function (pair) {
      Array.prototype.forEach.call(root.querySelectorAll(":scope > .sabaq-lesson " + pair[0]), function (node) {
        var wide = node.scrollWidth > node.clientWidth + 1;
        var marked = node.classList.contains("sabaq-scrolls");
        if (wide && !marked) {
          node.classList.add("sabaq-scrolls");
          node.tabIndex = 0;
          node.setAttribute("role", "region");
          node.setAttribute("aria-label", pair[1] || "");
        } else if (!wide && marked) {
          node.classList.remove("sabaq-scrolls");
          ["tabindex", "role", "aria-label"].forEach(function (name) { node.removeAttribute(name); });
        }
      });
    });
  }
  function scheduleScrollable() {
    if (scrollPending) return;
    scrollPending = true;
    (window.requestAnimationFrame || setTimeout)(markScrollable);
  }
  var lessonNode = root.querySelector(":scope > .sabaq-lesson");
  if (lessonNode && typeof ResizeObserver !== "undefined") new ResizeObserver(scheduleScrollable).observe(lessonNode);
  else window.addEventListener("resize", scheduleScrollable);
  scheduleScrollable();

  // Answer editors with drafts saved as the learner types.
  var draftTimers = {};
  function saveDraft(gradeId, source) {
    clearTimeout(draftTimers[gradeId]);
    draftTimers[gradeId] = setTimeout(function () {
      post("save_draft", { grade_id: gradeId, source: source }).then(function () {
        root.setAttribute("data-draft-saved", gradeId);
      }).catch(function () {});
    }, 600);
  }
  Array.prototype.forEach.call(root.querySelectorAll(".sabaq-answer"), function (box) {
    var gradeId = box.getAttribute("data-grade-id");
    var area = box.querySelector("textarea");
    var label = box.querySelector("label");
    if (label) interfaceText(label).textContent = (strings.answer_label || "") + " (" + gradeId + ")";
    if (args.drafts && typeof args.drafts[gradeId] === "string") area.value = args.drafts[gradeId];
    if (window.SabaqEditor && box.getAttribute("data-mode") === "python") {
      var holder = el("div", "sabaq-editor");
      holder.dir = "ltr";
      // How to leave the editor with the keyboard (it is never a trap: WCAG 2.1.2).
      var keys = interfaceText(el("p", "sabaq-editor-keys", strings.editor_keys || ""));
      keys.id = uid("editor-keys");
      area.hidden = true;
      box.appendChild(holder);
      box.appendChild(keys);
      var editor = editors[gradeId] = window.SabaqEditor.create(holder, area.value, function (text) {
        area.value = text;
        saveDraft(gradeId, text);
      }, label ? label.textContent : gradeId, { describedBy: keys.id });
      if (label) label.addEventListener("click", function (event) { event.preventDefault(); editor.focus(); });
    } else {
      if (box.getAttribute("data-mode") !== "python") area.dir = "auto";  // a written answer, in any script
      area.addEventListener("input", function () { saveDraft(gradeId, area.value); });
      editors[gradeId] = { getValue: function () { return area.value; } };
    }
  });

  // The block's own controls are children of its root; widgets use some of the same classes.
  var status = root.querySelector(":scope > .sabaq-status");
  var feedbackBox = root.querySelector(":scope > .sabaq-feedback");
  var submitButton = root.querySelector(":scope > .sabaq-toolbar .sabaq-submit");
  // While a submission is graded Submit is aria-disabled, never disabled: a disabled button
  // drops the keyboard focus to the page's start; this one keeps it and says why it is off.
  var busyNote = submitButton ? interfaceText(el("span", "sabaq-sr-only", strings.grading_busy || "")) : null;
  if (busyNote) {
    busyNote.id = uid("busy");
    submitButton.parentNode.appendChild(busyNote);
  }
  function setBusy(busy) {
    if (!submitButton) return;
    submitButton.setAttribute("aria-disabled", busy ? "true" : "false");
    if (busy) submitButton.setAttribute("aria-describedby", busyNote.id);
    else submitButton.removeAttribute("aria-describedby");
  }
  function busy() { return !!submitButton && submitButton.getAttribute("aria-disabled") === "true"; }

  function showStatus(data) {
    if (!status) return;
    root.setAttribute("data-state", data.state);
    status.replaceChildren();
    if (data.state === "none") return;
    var line = el("p", "sabaq-state sabaq-state-" + data.state, strings[data.state] || data.state);
    status.appendChild(line);
    if (data.state === "error" && data.error) status.appendChild(el("p", "sabaq-error-reason", data.error.message));
    if (data.state === "graded" && data.manual && data.manual.state === "waiting") {
      status.appendChild(el("p", "sabaq-score sabaq-manual-waiting",
        fmt(strings.manual_waiting, { score: data.manual.automatic, max_score: data.max_score })));
    } else if (data.state === "graded") {
      status.appendChild(el("p", "sabaq-score", fmt(strings.score, { score: data.score, max_score: data.max_score })));
      ((data.manual && data.manual.cells) || []).forEach(function (cell) {
        var note = el("div", "sabaq-manual-comment");
        note.appendChild(el("p", "", fmt(strings.manual_points, { cell: cell.grade_id, points: cell.points,
          max_points: cell.max_points })));
        if (cell.comment) {
          var quote = el("blockquote", "", cell.comment);
          quote.setAttribute("dir", "auto");
          quote.setAttribute("aria-label", fmt(strings.manual_comment, { cell: cell.grade_id }));
          note.appendChild(quote);
        }
        status.appendChild(note);
      });
    }
    var attempts = data.max_attempts ? fmt(strings.attempts, { used: data.attempts_used, max: data.max_attempts })
      : fmt(strings.attempts_unlimited, { used: data.attempts_used });
    status.appendChild(el("p", "sabaq-attempts", attempts));
    feedbackBox.replaceChildren();
    feedbackBox.hidden = !(data.feedback && data.feedback.length);
    if (!feedbackBox.hidden) {
      feedbackBox.appendChild(el("h3", "", strings.feedback));
      var list = el("ul", "sabaq-tests");
      data.feedback.forEach(function (test) {
        var item = el("li", "sabaq-test " + (test.passed ? "is-passed" : "is-failed"));
        var head = test.grade_id + (test.hidden ? " (" + strings.hidden_test + ")" : "") + ": " +
          (test.passed ? strings.passed : strings.failed) + " · " +
          fmt(strings.points, { points: test.points, max_points: test.max_points });
        item.appendChild(el("strong", "", head));
        if (test.message) item.appendChild(el("pre", "sabaq-test-message", test.message));
        if (test.output) item.appendChild(el("pre", "sabaq-test-output", test.output));
        list.appendChild(item);
      });
      feedbackBox.appendChild(list);
    }
    setBusy(data.state === "queued" || data.state === "running");
  }
  function showError(message) {
    if (!status) return;
    status.replaceChildren(el("p", "sabaq-request-error", message));
    root.setAttribute("data-request-error", "true");
    setBusy(false);
  }
  // How often a waiting page asks for its submission's state (the same schedule as
  // sabaq_contract.polling): soon at first, then less and less often while the state stays the
  // same (a deadline's burst is thousands of pages waiting in one queue), soon again when it
  // changes. A request that got no answer, or a 5xx one (the LMS restarting), is tried again.
  function nextDelay(state) {
    pollDelay = state === pollState ? Math.min(POLL.most, pollDelay * POLL.growth) : POLL.first;
    pollState = state;
    return pollDelay;
  }
  function poll(submissionId) {
    clearTimeout(pollTimer);
    post("status", submissionId ? { submission_id: submissionId } : {}).then(function (data) {
      root.removeAttribute("data-request-error");
      showStatus(data);
      if (data.state === "queued" || data.state === "running") {
        pollTimer = setTimeout(function () { poll(data.submission_id); }, nextDelay(data.state));
      } else {
        pollState = null;
      }
    }).catch(function (err) {
      showError(err.message);
      if (submissionId && (!err.status || err.status >= 500)) {
        pollTimer = setTimeout(function () { poll(submissionId); }, nextDelay("unanswered"));
      }
    });
  }
  function queued(data) {
    showStatus({ state: "queued", attempts_used: "…", feedback: [] });
    poll(data.submission_id);
  }

  if (submitButton) {
    submitButton.addEventListener("click", function () {
      if (busy()) return;
      var answers = {};
      Object.keys(editors).forEach(function (id) { answers[id] = editors[id].getValue(); });
      setBusy(true);
      post("submit", { answers: answers }).then(queued).catch(function (err) { showError(err.message); });
    });
  }
  var upload = root.querySelector(":scope > .sabaq-toolbar .sabaq-upload");
  if (upload) {
    upload.addEventListener("change", function () {
      if (!upload.files.length) return;
      var form = new FormData();
      form.append("notebook", upload.files[0]);
      fetch(url("upload"), {
        method: "POST", credentials: "same-origin", body: form,
        headers: { "X-CSRFToken": cookie("csrftoken") },
      }).then(answer).then(queued).catch(function (err) { showError(err.message); });
      upload.value = "";
    });
  }
  var download = root.querySelector(":scope > .sabaq-toolbar .sabaq-download");
  if (download) download.setAttribute("href", url("download"));

  var staffPanel = root.querySelector(":scope > .sabaq-staff");
  function age(seconds) {
    if (seconds === null || seconds === undefined) return strings.queue_nothing_waiting;
    if (seconds < 120) return fmt(strings.queue_age_seconds, { seconds: Math.round(seconds) });
    if (seconds < 7200) return fmt(strings.queue_age_minutes, { minutes: Math.round(seconds / 60) });
    return fmt(strings.queue_age_hours, { hours: (seconds / 3600).toFixed(1) });
  }
  function counts(map, prefix) {
    return Object.keys(map || {}).map(function (key) {
      return (strings[prefix + key] || key) + ": " + map[key];
    }).join(", ");
  }
  function showQueue(queue) {
    var list = staffPanel.querySelector(".sabaq-queue-figures");
    if (!list || !queue) return;
    list.replaceChildren();
    var failures = String(queue.failures_last_hour);
    if (queue.failures_last_hour) failures += " (" + counts(queue.failure_kinds, "kind_") + ")";
    [[strings.queue_states, counts(queue.states, "state_")],
     [strings.queue_pending, fmt(strings.queue_pending_value, queue)],
     [strings.queue_oldest, age(queue.oldest_waiting_seconds)],
     [strings.queue_failures, failures],
     [strings.queue_dead, String(queue.dead_letters)],
     [strings.queue_unpublished, String(queue.unpublished)]].forEach(function (row) {
      list.appendChild(el("dt", "", row[0]));
      list.appendChild(el("dd", "", row[1]));
    });
  }
  function loadReport() {
    post("learner_report", {}).then(function (data) {
      showQueue(data.queue);
      var body = staffPanel.querySelector("tbody");
      body.replaceChildren();
      (data.learners || []).forEach(function (row) {
        var latest = row.latest || {};
        var tr = document.createElement("tr");
        var score = latest.score === null || latest.score === undefined ? "" :
          fmt(strings.score, { score: latest.score, max_score: latest.max_score });
        var when = new Date(latest.created * 1000).toLocaleString();
        if (latest.version) when += " · " + fmt(strings.graded_version, { version: latest.version });
        var shown = strings[latest.state] || latest.state;
        if (latest.manual === "waiting") shown += " · " + strings.dashboard_waiting_tutor;
        [row.learner_id, shown, latest.error ? latest.error.message : score, when].forEach(function (text) {
          tr.appendChild(el("td", "", String(text)));
        });
        var cell = el("td", "");
        var again = el("button", "sabaq-regrade", strings.regrade);
        again.type = "button";
        again.addEventListener("click", function () {
          post("regrade", { submission_id: latest.submission_id })
            .then(loadReport).catch(function (err) { showError(err.message); });
        });
        cell.appendChild(again);
        tr.appendChild(cell);
        body.appendChild(tr);
      });
    }).catch(function (err) { showError(err.message); });
  }
  if (staffPanel) staffPanel.addEventListener("toggle", function () { if (staffPanel.open) loadReport(); });

  if (args.has_answers) poll(null);
  if (args.has_widgets && window.SabaqWidgetHost) {
    new window.SabaqWidgetHost(post, url, root, args.widget_kinds || {}).start()
      .then(function () { root.setAttribute("data-widgets-ready", "true"); })
      .catch(function (err) { root.setAttribute("data-widgets-error", String(err)); });
  }
  var kit = { root: root, strings: strings, el: el, fmt: fmt, post: post, url: url, uid: uid,
    csrf: function () { return cookie("csrftoken"); } };
  if (window.SabaqPractice) window.SabaqPractice(kit);
  if (args.staff && window.SabaqStaffGrading) window.SabaqStaffGrading(kit);
  root.setAttribute("data-ready", "true");
}
