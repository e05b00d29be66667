/* Practice runs of the sabaq_notebook XBlock: the Run button sends the learner's current answers
 * to the practice_run handler, which runs them and the visible tests on a grader, not graded,
 * and shows what happened in the block's practice region (role=status). Outputs come from the
 * learner's own code: everything is set as text (textContent in <pre>), never as markup.
 * Started by notebook.js with its request helpers (the kit it also gives the staff panels). */
(function () {
  "use strict";

  function SabaqPractice(kit) {
    var root = kit.root, strings = kit.strings, el = kit.el, fmt = kit.fmt;
    var button = root.querySelector(":scope > .sabaq-toolbar .sabaq-practice-run");
    var region = root.querySelector(":scope > .sabaq-practice");
    if (!button || !region) return;
    var running = false;

    function answers() {
      var out = {};
      Array.prototype.forEach.call(root.querySelectorAll(".sabaq-answer"), function (box) {
        var area = box.querySelector("textarea");
        if (area) out[box.getAttribute("data-grade-id")] = area.value;
      });
      return out;
    }
    function heading() {
      region.replaceChildren(el("h3", "sabaq-practice-title", strings.practice_title));
    }
    function block(cls, label, message, output) {
      var item = el("li", cls);
      item.appendChild(el("strong", "", label));
      if (message) item.appendChild(el("pre", "sabaq-practice-message", message));
      if (output) item.appendChild(el("pre", "sabaq-practice-output", output));
      return item;
    }
    function show(data) {
      heading();
      region.appendChild(el("p", "sabaq-practice-summary", data.total
        ? fmt(strings.practice_summary, { passed: data.passed, total: data.total }) : strings.practice_no_tests));
      if (data.message) region.appendChild(el("p", "sabaq-practice-stopped", fmt(strings.practice_stopped, { message: data.message })));
      if (data.answers && data.answers.length) {
        var cells = el("ul", "sabaq-practice-answers");
        data.answers.forEach(function (cell) {
          cells.appendChild(block("sabaq-practice-answer sabaq-practice-" + cell.status,
            fmt(strings.practice_answer, { cell: cell.grade_id }), cell.message,
            cell.output || (cell.message ? "" : strings.practice_no_output)));
        });
        region.appendChild(cells);
      }
      if (data.tests && data.tests.length) {
        var tests = el("ul", "sabaq-tests sabaq-practice-tests");
        data.tests.forEach(function (test) {
          tests.appendChild(block("sabaq-test " + (test.passed ? "is-passed" : "is-failed"),
            fmt(strings.practice_test, { cell: test.grade_id }) + ": " + (test.passed ? strings.passed : strings.failed),
            test.message, test.output));
        });
        region.appendChild(tests);
      }
      region.appendChild(el("p", "sabaq-practice-note", strings.practice_note));
    }
    function done(state) {
      running = false;
      button.removeAttribute("aria-disabled");
      root.setAttribute("data-practice", state);
    }

    button.addEventListener("click", function () {
      if (running) return;
      running = true;
      button.setAttribute("aria-disabled", "true");  // stays focusable: the keyboard user stays on it
      root.setAttribute("data-practice", "running");
      heading();
      region.appendChild(el("p", "sabaq-practice-running", strings.practice_running));
      kit.post("practice_run", { answers: answers() }).then(function (data) {
        show(data);
        done("done");
      }).catch(function (err) {
        heading();
        region.appendChild(el("p", "sabaq-request-error", err.message || strings.network_error));
        done("error");
      });
    });
  }

  window.SabaqPractice = SabaqPractice;
})();
