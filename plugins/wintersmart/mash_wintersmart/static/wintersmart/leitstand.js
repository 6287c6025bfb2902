// WinterSMART operator dashboard: show and hide the map's layers (progressive enhancement;
// without script every layer is shown and the tables carry the same information).
(function () {
  "use strict";
  function init() {
    var box = document.querySelector("[data-ws-layers]");
    var svg = document.querySelector(".ws-map-svg");
    if (!box || !svg) { return; }
    box.hidden = false;
    box.querySelectorAll("input[data-layer]").forEach(function (input) {
      input.addEventListener("change", function () {
        var group = svg.querySelector('[data-layer-group="' + input.dataset.layer + '"]');
        if (group) { group.classList.toggle("ws-off", !input.checked); }
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
