// Renders the widgets of one static fragment with no kernel and no network.
// static_render.py fills in the three __PLACEHOLDERS__ below. The vendored scripts load once per
// page (several fragments may share it); a page that already has RequireJS keeps its own.
(function () {
  var root = document.getElementById(__ROOT_ID__);
  var base = __BASE__;
  var files = __FILES__;
  var stateType = "application/vnd.jupyter.widget-state+json";
  var viewType = "application/vnd.jupyter.widget-view+json";
  function load(name) {
    return new Promise(function (ok, fail) {
      var script = document.createElement("script");
      script.src = base + name;
      script.onload = ok;
      script.onerror = function () { fail(new Error("sabaq-widgets: could not load " + name)); };
      document.head.appendChild(script);
    });
  }
  if (!window.sabaqWidgetsVendor) {
    var loader = typeof window.requirejs === "undefined" ? load(files[0]) : Promise.resolve();
    window.sabaqWidgetsVendor = loader
      .then(function () { return load(files[1]); })
      .then(function () { return load(files[2]); });
  }
  function failed(err) {
    root.setAttribute("data-sabaq-error", String(err));
    console.error(err);
  }
  window.sabaqWidgetsVendor.then(function () {
    window.requirejs(
      ["@jupyter-widgets/html-manager", "@jupyter-widgets/html-manager/dist/libembed-amd"],
      function (hm, embed) {
        var manager = new hm.HTMLManager({ loader: embed.requireLoader });
        root.sabaqWidgetManager = manager;
        var tag = root.querySelector('script[type="' + stateType + '"]');
        manager.set_state(JSON.parse(tag.textContent)).then(function (models) {
          var views = root.querySelectorAll('script[type="' + viewType + '"]');
          return Promise.all(Array.prototype.map.call(views, function (view) {
            var id = JSON.parse(view.textContent).model_id;
            var model = models.find(function (m) { return m.model_id === id; });
            if (!model) { return null; }
            var area = document.createElement("div");
            area.className = "widget-subarea";
            view.parentElement.insertBefore(area, view);
            return manager.create_view(model).then(function (v) { return manager.display_view(v, area); });
          }));
        }).then(function () { root.setAttribute("data-sabaq-rendered", "true"); }, failed);
      },
      failed
    );
  }, failed);
})();
