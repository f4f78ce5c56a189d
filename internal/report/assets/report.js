// Sorting and filtering of the exceptions table. The table is complete and
// in order without this script; the script only adds controls.
(function () {
  "use strict";
  var table = document.getElementById("exceptions-table");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);

  var controls = document.createElement("div");
  controls.className = "controls";
  controls.id = "exceptions-controls";
  var search = document.createElement("input");
  search.type = "search";
  search.id = "exceptions-filter";
  search.placeholder = "Filter: key, pair, verdict, detail";
  search.setAttribute("aria-label", "Filter the exceptions");
  var pick = document.createElement("select");
  pick.id = "exceptions-verdict";
  pick.setAttribute("aria-label", "Show one verdict");
  var all = document.createElement("option");
  all.value = "";
  all.textContent = "every verdict";
  pick.appendChild(all);
  var seen = {};
  rows.forEach(function (r) {
    var v = r.getAttribute("data-verdict");
    if (!seen[v]) {
      seen[v] = true;
      var o = document.createElement("option");
      o.value = v;
      o.textContent = v;
      pick.appendChild(o);
    }
  });
  var status = document.createElement("span");
  status.id = "exceptions-shown";
  status.setAttribute("aria-live", "polite");
  controls.appendChild(search);
  controls.appendChild(pick);
  controls.appendChild(status);
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
    var numeric = heads[i].classList.contains("n") || heads[i].hasAttribute("data-numeric");
    var sorted = rows.map(function (r, n) { return [r, n]; });
    sorted.sort(function (a, b) {
      var x = sortKey(a[0], i), y = sortKey(b[0], i), d;
      if (numeric) { d = (parseFloat(x) || 0) - (parseFloat(y) || 0); } else { d = x < y ? -1 : x > y ? 1 : 0; }
      if (descending) { d = -d; }
      return d || a[1] - b[1];
    });
    heads.forEach(function (h, j) {
      if (j === i) { h.setAttribute("aria-sort", descending ? "descending" : "ascending"); } else { h.removeAttribute("aria-sort"); }
    });
    sorted.forEach(function (p) { body.appendChild(p[0]); });
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

  // A link may carry a view: report.html#filter=copy_lost&sort=key-desc
  var params = new URLSearchParams(location.hash.slice(1));
  if (params.has("filter")) { search.value = params.get("filter"); }
  if (params.has("verdict") && seen[params.get("verdict")]) { pick.value = params.get("verdict"); }
  var s = params.get("sort");
  if (s) {
    var desc = /-desc$/.test(s), name = s.replace(/-desc$/, "");
    heads.forEach(function (h, i) { if (h.getAttribute("data-col") === name) { sortBy(i, desc); } });
  }
  apply();
}());
