// Bürgerportal search: suggestions as you type from /api/v1/buergerportal/search. Without
// JavaScript the form submits to the search page. Titles and snippets come from the server
// already escaped (only <mark> is markup) and are inserted as such.
// The suggestions are a plain list of links under the field (not an ARIA listbox: options must
// not contain links): arrow down moves the focus into the list, Escape back to the field, and a
// live region announces how many suggestions there are.
(function () {
  "use strict";
  document.querySelectorAll("[data-bp-search]").forEach(function (form) {
    var input = form.querySelector("input[name=q]");
    var list = form.querySelector(".bp-suggestions");
    var status = form.querySelector("[data-bp-status]");
    if (!input || !list) { return; }
    var timer = null, controller = null, last = "";

    function close() {
      list.hidden = true;
      list.innerHTML = "";
    }

    function show(results) {
      list.innerHTML = "";
      results.forEach(function (r, i) {
        var li = document.createElement("li");
        li.id = "bp-suggestion-" + i;
        var a = document.createElement("a");
        a.href = r.url;
        a.innerHTML = r.title;  // escaped on the server; only <mark> is markup
        li.appendChild(a);
        list.appendChild(li);
      });
      list.hidden = results.length === 0;
      if (status) {
        var en = document.documentElement.lang === "en";
        status.textContent = results.length + " " + (en ? "suggestions" : "Vorschläge") +
          (results.length ? (en ? ", arrow down to choose" : ", mit Pfeil nach unten auswählen") : "");
      }
    }

    function query() {
      var q = input.value.trim();
      if (q === last) { return; }
      last = q;
      if (q.length < 2) { close(); return; }
      if (controller) { controller.abort(); }
      controller = new AbortController();
      fetch(form.dataset.api + "?limit=8&q=" + encodeURIComponent(q), {signal: controller.signal, headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : {results: []}; })
        .then(function (data) { show(data.results || []); })
        .catch(function () {});
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(query, 120);
    });
    input.addEventListener("keydown", function (e) {
      var links = list.querySelectorAll("a");
      if (e.key === "ArrowDown" && links.length) { e.preventDefault(); links[0].focus(); }
      if (e.key === "Escape") { close(); }
    });
    list.addEventListener("keydown", function (e) {
      var links = Array.prototype.slice.call(list.querySelectorAll("a"));
      var i = links.indexOf(document.activeElement);
      if (e.key === "ArrowDown" && i < links.length - 1) { e.preventDefault(); links[i + 1].focus(); }
      if (e.key === "ArrowUp") { e.preventDefault(); (i > 0 ? links[i - 1] : input).focus(); }
      if (e.key === "Escape") { close(); input.focus(); }
    });
  });
}());
