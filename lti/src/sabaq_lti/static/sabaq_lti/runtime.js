/* The XBlock JavaScript runtime of the tool's pages: finds each block the XBlock runtime wrapped
   (data-init, with its arguments in a json/xblock-args script) and calls its init function with what
   the LMS would give it (handlerUrl, notify), handler URLs under the launch's session key. */
(function () {
  "use strict";
  var page = document.querySelector("[data-handler-prefix]");
  var prefix = page ? page.getAttribute("data-handler-prefix") : "";
  var runtime = {
    handlerUrl: function (element, handler, suffix, query) {
      var url = prefix + handler + (suffix ? "/" + suffix : "");
      return query ? url + "?" + query : url;
    },
    notify: function () {},
  };
  var blocks = document.querySelectorAll(".xblock-v1[data-init]");
  for (var i = 0; i < blocks.length; i += 1) {
    var element = blocks[i];
    var init = window[element.getAttribute("data-init")];
    var script = element.querySelector(":scope > script.xblock_json_init_args");
    var args = script ? JSON.parse(script.textContent) : {};
    if (typeof init === "function") {
      init(runtime, element, args);
    }
  }
})();
