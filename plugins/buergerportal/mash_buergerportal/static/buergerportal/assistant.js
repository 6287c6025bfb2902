// Bürgerportal – assistant "Geburt eines Kindes": the print button (without JavaScript the
// browser's own print command prints the plan with the same print stylesheet).
document.querySelectorAll("[data-bp-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
