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
      data[input.name] = input.type === "checkbox" ? input.checked : input.value;
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

  /* A unit made from a module bundle: check a newer bundle, see what it changes, accept or decline. */
  var upgrade = root.querySelector(".sabaq-upgrade");
  if (!upgrade) return;
  var offer = upgrade.querySelector(".sabaq-upgrade-offer");
  var result = upgrade.querySelector(".sabaq-upgrade-result");
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }
  function post(handler, body, type) {
    return fetch(runtime.handlerUrl(wrapper, handler), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": type, "X-CSRFToken": cookie("csrftoken") }, body: body,
    }).then(function (r) {
      return r.json().catch(function () { return { error: r.status + " " + r.statusText }; })
        .then(function (answer) {
          if (!r.ok) { show([answer.error].concat(answer.problems || [])); throw answer; }
          show([]);
          return answer;
        });
    });
  }
  var shown = null;  // the offer staff are looking at: accept and decline name it
  function showAvailable(answer) {
    var list = upgrade.querySelector(".sabaq-upgrade-available");
    list.replaceChildren();
    (answer.available || []).forEach(function (found) {
      var li = document.createElement("li");
      li.textContent = fill(args.strings.available, found) + " ";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sabaq-upgrade-from-catalog";
      button.textContent = args.strings.check_available;
      button.addEventListener("click", function () {
        post("offer_from_catalog", JSON.stringify(found), "application/json").then(showOffer, function () {});
      });
      li.appendChild(button);
      list.appendChild(li);
    });
  }
  function showOffer(answer) {
    var pending = answer.offer;
    shown = pending ? { version: pending.version, checksum: pending.checksum } : null;
    offer.hidden = !pending;
    if (!pending) return;
    upgrade.querySelector(".sabaq-upgrade-title").textContent = fill(args.strings.offered, pending);
    var list = upgrade.querySelector(".sabaq-upgrade-changes");
    list.replaceChildren();
    (pending.changes.length ? pending.changes : [args.strings.no_changes]).forEach(function (line) {
      var li = document.createElement("li");
      li.textContent = line;
      list.appendChild(li);
    });
  }
  upgrade.querySelector(".sabaq-upgrade-check").addEventListener("click", function () {
    var file = upgrade.querySelector("#sabaq-upgrade-bundle").files[0];
    if (!file) return;
    result.textContent = "";
    file.arrayBuffer().then(function (bytes) {
      return post("offer_upgrade", bytes, "application/octet-stream");
    }).then(showOffer, function () {});
  });
  upgrade.querySelector(".sabaq-upgrade-accept").addEventListener("click", function () {
    post("accept_upgrade", JSON.stringify(shown || {}), "application/json").then(function (answer) {
      offer.hidden = true;
      result.textContent = fill(args.strings.accepted, { version: answer.accepted });
      var footer = root.querySelector(".sabaq-attribution");
      if (footer) footer.hidden = true;  // it named the old version; Studio renders the unit anew
      if (runtime.notify) runtime.notify("save", { state: "end" });
    }, function () {});
  });
  upgrade.querySelector(".sabaq-upgrade-decline").addEventListener("click", function () {
    post("decline_upgrade", JSON.stringify(shown || {}), "application/json").then(function (answer) {
      offer.hidden = true;
      result.textContent = fill(args.strings.declined, { version: answer.declined });
    }, function () {});
  });
  post("upgrade_status", "{}", "application/json").then(function (answer) {
    showAvailable(answer);
    showOffer(answer);
  }, function () {});
}
