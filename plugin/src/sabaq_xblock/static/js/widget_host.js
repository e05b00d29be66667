/* Kernel-free host for Sabaq widgets: anywidget's front-end contract
 * (model.get/set/on/off/save_changes/send) over the block's widget_state handler.
 * Only the widget modules shipped with sabaq_contract.widgets are loaded; a notebook's own
 * JavaScript is never run. The page sends only what a learner writes (a checked
 * response, an explorer's selection); the server counts, scores and limits checks and
 * sends back `response`, `attempts` and `result`, or refuses, which the widget hears as
 * the custom message { event: "refused", message }. */
(function () {
  "use strict";

  function Model(id, state, save) {
    this.id = id;
    this._state = Object.assign({}, state);
    this._dirty = {};
    this._handlers = {};
    this._save = save;
  }
  Model.prototype.get = function (name) { return this._state[name]; };
  Model.prototype.set = function (name, value) {
    this._state[name] = value;
    this._dirty[name] = value;
    this._emit("change:" + name, value);
  };
  Model.prototype.on = function (event, fn) {
    (this._handlers[event] = this._handlers[event] || []).push(fn);
  };
  Model.prototype.off = function (event, fn) {
    if (!event) { this._handlers = {}; return; }
    var list = this._handlers[event] || [];
    this._handlers[event] = fn ? list.filter(function (f) { return f !== fn; }) : [];
  };
  Model.prototype._emit = function (event, value) {
    (this._handlers[event] || []).slice().forEach(function (fn) { fn(value); });
    if (event.indexOf("change:") === 0) {
      (this._handlers.change || []).slice().forEach(function (fn) { fn(); });
    }
  };
  Model.prototype.save_changes = function () {
    var changes = {};
    var allowed = ["response", "selection"];
    for (var k in this._dirty) { if (allowed.indexOf(k) >= 0) changes[k] = this._dirty[k]; }
    this._dirty = {};
    if (Object.keys(changes).length) this._save(this, changes);
  };
  Model.prototype.send = function () { /* the server scores on save_changes */ };

  function SabaqWidgetHost(post, handlerUrl, root, kinds) {
    this.post = post;
    this.handlerUrl = handlerUrl;
    this.root = root;
    this.kinds = kinds;
    this.models = {};
    this.saves = 0;
    // One save at a time: each save rewrites the learner's stored widget values.
    this.queue = Promise.resolve();
  }

  SabaqWidgetHost.prototype.start = function () {
    var host = this;
    return host.post("widget_state", { action: "load" }).then(function (data) {
      var models = (data && data.models) || {};
      var placeholders = host.root.querySelectorAll(".sabaq-widget-view[data-model-id]");
      Array.prototype.forEach.call(placeholders, function (el) {
        var id = el.getAttribute("data-model-id");
        var spec = models[id];
        if (!spec || !host.kinds[spec.kind]) return;
        var model = host.models[id] || new Model(id, spec.state, host.save.bind(host));
        host.models[id] = model;
        host.mount(spec.kind, model, el);
      });
    });
  };

  SabaqWidgetHost.prototype.save = function (model, changes) {
    var host = this;
    host.queue = host.queue.catch(function () {}).then(function () {
      return host.post("widget_state", { action: "save", model_id: model.id, state: changes });
    }).then(function (data) {
        var echo = (data && data.state) || {};
        Object.keys(echo).forEach(function (k) {
          model._state[k] = echo[k];
          model._emit("change:" + k, echo[k]);
        });
        host.saves += 1;
        host.root.setAttribute("data-widget-saved", String(host.saves));
      }, function (error) {
        host.root.setAttribute("data-widget-refused", model.id);
        model._emit("msg:custom", { event: "refused", message: String((error && error.message) || "") });
      });
    return host.queue;
  };

  SabaqWidgetHost.prototype.mount = function (kind, model, el) {
    var cssUrl = this.handlerUrl("widget_module", kind + ".css");
    if (!document.querySelector('link[data-sabaq-widget="' + kind + '"]')) {
      var link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = cssUrl;
      link.setAttribute("data-sabaq-widget", kind);
      document.head.appendChild(link);
    }
    return import(this.handlerUrl("widget_module", kind + ".js")).then(function (mod) {
      var widget = mod.default || mod;
      var def = typeof widget === "function" ? widget() : widget;
      return Promise.resolve(def).then(function (d) {
        if (d.initialize) d.initialize({ model: model });
        d.render({ model: model, el: el });
        el.setAttribute("data-mounted", "true");
      });
    });
  };

  window.SabaqWidgetHost = SabaqWidgetHost;
})();
