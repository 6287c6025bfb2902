// Starts Swagger UI from the vendored bundle (no inline script: the CSP forbids it).
window.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: el.dataset.spec, dom_id: "#swagger-ui" });
});
