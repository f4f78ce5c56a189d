// Sorting, filtering and column choice for the exceptions table. The table
// is complete and in order without this script; the script only adds
// controls.
(function () {
  "use strict";
  var table = document.getElementById("exceptions-table");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);

  function el(tag, props) {
    var e = document.createElement(tag);
    Object.keys(props || {}).forEach(function (k) {
      if (k === "text") { e.textContent = props[k]; } else { e.setAttribute(k, props[k]); }
    });
    return e;
  }

  var controls = el("div", { "class": "controls", id: "exceptions-controls" });
  var search = el("input", { type: "search", id: "exceptions-filter", placeholder: "Filter: key, pair, verdict, detail", "aria-label": "Filter the exceptions" });
  var pick = el("select", { id: "exceptions-verdict", "aria-label": "Show one verdict" });
  pick.appendChild(el("option", { value: "", text: "every verdict" }));
  var seen = {};
  rows.forEach(function (r) {
    var v = r.getAttribute("data-verdict");
    if (!seen[v]) {
      seen[v] = true;
      pick.appendChild(el("option", { value: v, text: v }));
    }
  });
  // Sorting from a list as well as from the headers, which a narrow
  // screen does not show.
  var order = el("select", { id: "exceptions-sort", "aria-label": "Sort the exceptions" });
  order.appendChild(el("option", { value: "", text: "critical first" }));
  heads.forEach(function (h) {
    var c = h.getAttribute("data-col");
    order.appendChild(el("option", { value: c, text: "by " + h.textContent + ", ascending" }));
    order.appendChild(el("option", { value: c + "-desc", text: "by " + h.textContent + ", descending" }));
  });
  // Columns that may be folded away.
  var columns = el("fieldset", { id: "exceptions-columns" });
  columns.appendChild(el("legend", { text: "Columns:" }));
  ["detail", "copies", "action"].forEach(function (c) {
    var h = heads.filter(function (x) { return x.getAttribute("data-col") === c; })[0];
    if (!h) { return; }
    var label = el("label");
    var box = el("input", { type: "checkbox", id: "exceptions-show-" + c });
    box.checked = true;
    box.addEventListener("change", function () { table.classList.toggle("hide-" + c, !box.checked); });
    label.appendChild(box);
    label.appendChild(document.createTextNode(" " + h.textContent));
    columns.appendChild(label);
  });
  var status = el("span", { id: "exceptions-shown", "aria-live": "polite" });
  [search, pick, order, columns, status].forEach(function (c) { controls.appendChild(c); });
  table.parentNode.insertBefore(controls, table);

  function apply() {
    var q = search.value.trim().toLowerCase();
    var v = pick.value;
    var shown = 0;
    rows.forEach(function (r) {
      var ok = (!v || r.getAttribute("data-verdict") === v) &&
        (!q || r.textContent.toLowerCase().indexOf(q) >= 0);
      r.hidden = !ok;
      if (ok) { shown++; }
    });
    status.textContent = "showing " + shown + " of " + rows.length;
  }

  function sortKey(row, i) {
    var c = row.cells[i];
    return c.hasAttribute("data-sort") ? c.getAttribute("data-sort") : c.textContent;
  }

  function sortBy(i, descending) {
    var sorted = rows.map(function (r, n) { return [r, n]; });
    if (i >= 0) {
      sorted.sort(function (a, b) {
        var x = sortKey(a[0], i), y = sortKey(b[0], i), d = x < y ? -1 : x > y ? 1 : 0;
        if (descending) { d = -d; }
        return d || a[1] - b[1];
      });
    }
    heads.forEach(function (h, j) {
      if (j === i) { h.setAttribute("aria-sort", descending ? "descending" : "ascending"); } else { h.removeAttribute("aria-sort"); }
    });
    order.value = i < 0 ? "" : heads[i].getAttribute("data-col") + (descending ? "-desc" : "");
    sorted.forEach(function (p) { body.appendChild(p[0]); });
  }

  function sortByName(s) {
    var desc = /-desc$/.test(s), name = s.replace(/-desc$/, ""), found = false;
    heads.forEach(function (h, i) { if (h.getAttribute("data-col") === name) { sortBy(i, desc); found = true; } });
    if (!found) { sortBy(-1, false); }
  }

  heads.forEach(function (h, i) {
    h.classList.add("sortable");
    h.tabIndex = 0;
    function toggle() { sortBy(i, h.getAttribute("aria-sort") === "ascending"); }
    h.addEventListener("click", toggle);
    h.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(); } });
  });
  search.addEventListener("input", apply);
  pick.addEventListener("change", apply);
  order.addEventListener("change", function () { sortByName(order.value); });

  // A link may carry a view: report.html#filter=copy_lost&verdict=copy_lost&sort=key-desc
  var params = new URLSearchParams(location.hash.slice(1));
  if (params.has("filter")) { search.value = params.get("filter"); }
  if (params.has("verdict") && seen[params.get("verdict")]) { pick.value = params.get("verdict"); }
  if (params.get("sort")) { sortByName(params.get("sort")); }
  apply();
}());
