/* The XBlock JavaScript runtime of the tool's pages: what the LMS gives a block's init
   function (handlerUrl, notify), with handler URLs under the launch's session key. */
(function () {
  "use strict";
  function start(element) {
    var prefix = element.getAttribute("data-handler-prefix");
    var runtime = {
      handlerUrl: function (el, handler, suffix, query) {
        var url = prefix + handler + (suffix ? "/" + suffix : "");
        return query ? url + "?" + query : url;
      },
      notify: function () {},
    };
    var encoded = element.getAttribute("data-args");
    var args = JSON.parse(atob(encoded));
    var init = window[element.getAttribute("data-init")];
    if (typeof init === "function") {
      init(runtime, element, args);
    }
  }
  var blocks = document.querySelectorAll("[data-sabaq-block]");
  for (var i = 0; i < blocks.length; i += 1) {
    start(blocks[i]);
  }
})();
