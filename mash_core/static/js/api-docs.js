// Starts Swagger UI from the vendored bundle (no inline script: the CSP forbids it).
window.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("swagger-ui");
  // validatorUrl: null — the default would load a badge from validator.swagger.io (and tell it
  // the spec's URL); no request may leave the portal.
  window.SwaggerUIBundle({ url: el.dataset.spec, dom_id: "#swagger-ui", validatorUrl: null });
});
