/* Studio editor of the sabaq_notebook XBlock: settings and the instructor notebook. */
function SabaqNotebookStudio(runtime, element, args) {
  "use strict";
  var wrapper = element.jquery ? element[0] : element;
  var root = wrapper.querySelector(".sabaq-notebook") || wrapper;
  var problems = root.querySelector(".sabaq-studio-problems");
  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }
  function show(lines) {
    problems.replaceChildren();
    lines.forEach(function (text) {
      var li = document.createElement("li");
      li.textContent = text;
      problems.appendChild(li);
    });
  }
  function save(notebookText) {
    var data = {};
    Array.prototype.forEach.call(root.querySelectorAll("[name]"), function (input) {
      data[input.name] = input.value;
    });
    if (notebookText !== null) data.notebook = notebookText;
    if (runtime.notify) runtime.notify("save", { state: "start" });
    fetch(runtime.handlerUrl(wrapper, "studio_submit"), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": cookie("csrftoken") },
      body: JSON.stringify(data),
    }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) { show([body.error].concat(body.problems || [])); return; }
        show([args.strings.saved].concat(body.warnings || []));
        if (runtime.notify) runtime.notify("save", { state: "end" });
      });
    });
  }
  root.querySelector(".sabaq-studio-save").addEventListener("click", function () {
    var file = root.querySelector("#sabaq-studio-notebook").files[0];
    if (!file) { save(null); return; }
    file.text().then(save);
  });
  root.querySelector(".sabaq-studio-cancel").addEventListener("click", function () {
    if (runtime.notify) runtime.notify("cancel", {});
  });
}
