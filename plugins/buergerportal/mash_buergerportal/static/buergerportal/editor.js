// Bürgerportal editors' area: a small toolbar for the Markdown subset of the rich-text fields
// (bold, italic, list, sub-heading, link). The server renders and sanitises the text; without
// JavaScript the textarea works as it is.
(function () {
  "use strict";
  var de = document.documentElement.lang !== "en";
  var tools = [
    {label: de ? "Fett" : "Bold", before: "**", after: "**"},
    {label: de ? "Kursiv" : "Italic", before: "*", after: "*"},
    {label: de ? "Liste" : "List", line: "- "},
    {label: de ? "Überschrift" : "Heading", line: "### "},
    {label: "Link", before: "[", after: "](https://)"}
  ];
  document.querySelectorAll("textarea[data-bp-rich]").forEach(function (area) {
    var bar = document.createElement("div");
    bar.className = "bp-toolbar";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-controls", area.id);
    tools.forEach(function (tool) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = tool.label;
      b.addEventListener("click", function () {
        var s = area.selectionStart, e = area.selectionEnd, v = area.value;
        if (tool.line) {
          var start = v.lastIndexOf("\n", s - 1) + 1;
          area.value = v.slice(0, start) + tool.line + v.slice(start);
          area.setSelectionRange(s + tool.line.length, e + tool.line.length);
        } else {
          area.value = v.slice(0, s) + tool.before + v.slice(s, e) + tool.after + v.slice(e);
          area.setSelectionRange(s + tool.before.length, e + tool.before.length);
        }
        area.focus();
      });
      bar.appendChild(b);
    });
    area.parentNode.insertBefore(bar, area);
  });
}());
