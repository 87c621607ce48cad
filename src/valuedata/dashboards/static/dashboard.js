/* valuedata dashboards: filter bar, chart variants, row filtering and table sorting. No network, no CDN.
   Data comes from <script type="application/json" id="dashboard-data">; text is only ever set with
   textContent, never innerHTML, so nothing from the data can run. */
(function () {
  "use strict";
  var node = document.getElementById("dashboard-data");
  var DATA = node ? JSON.parse(node.textContent) : { filters: [], charts: {}, periods: {} };
  var THEME = window.VALUEDATA_THEME || { template: {}, config: {} };
  var params = new URLSearchParams(window.location.search);
  var state = {};
  var listeners = [];

  DATA.filters.forEach(function (f) {
    var wanted = params.get(f.dim);
    var known = f.options.some(function (o) { return o[0] === wanted; });
    state[f.dim] = known ? wanted : f["default"];
  });

  function variantFor(chart) {
    var keys = chart.dims.map(function (d) { return state[d] === undefined ? "all" : state[d]; });
    var tries = [keys.join("|")];
    for (var i = keys.length - 1; i >= 0; i--) { keys[i] = "all"; tries.push(keys.join("|")); }
    var keysInOrder = Object.keys(chart.variants);
    var found = tries.filter(function (k) { return chart.variants[k]; })[0] || keysInOrder[0];
    var fig = chart.variants[found];
    if (!fig.patch) { return fig; }
    var base = chart.variants[keysInOrder[0]];
    return {
      data: base.data.map(function (t, i) { return Object.assign({}, t, fig.data[i]); }),
      layout: Object.assign({}, base.layout, fig.layout)
    };
  }

  function passes(tags) {
    return Object.keys(tags || {}).every(function (dim) {
      return state[dim] === undefined || state[dim] === "all" || tags[dim] === state[dim];
    });
  }

  function inPeriod(day) {
    var p = DATA.periods && DATA.periods[state.period];
    if (!p || !p.start || !day) { return !p || !p.start; }
    return day >= p.start && day < p.end;
  }

  function renderChart(name) {
    var chart = DATA.charts[name];
    var div = document.getElementById("chart-" + name);
    if (!div || !window.Plotly) { return; }
    var fig = variantFor(chart);
    var layout = JSON.parse(JSON.stringify(fig.layout || {}));
    layout.template = THEME.template;
    var period = DATA.periods && DATA.periods[state.period];
    if (chart.period_axis && period && period.range) {
      layout.xaxis = layout.xaxis || {};
      layout.xaxis.range = period.range;
      layout.xaxis.autorange = false;
    }
    var traces = (fig.data || []).map(function (trace) {
      var copy = Object.assign({}, trace);
      if (trace.meta && trace.meta.filter && !passes(trace.meta.filter)) { copy.visible = false; }
      return copy;
    });
    if (layout.height) { div.style.height = layout.height + "px"; }
    window.Plotly.react(div, traces, layout, THEME.config);
    if (!div.dataset.bound) {
      div.dataset.bound = "1";
      div.on("plotly_click", function (ev) {
        var target = ev && ev.points && ev.points[0] && ev.points[0].customdata;
        if (Array.isArray(target)) { target = target[0]; }
        if (typeof target !== "string") { return; }
        if (target.indexOf("deals.html?") === 0) { window.location.href = target; }
        else if (/^#[A-Za-z0-9_-]+$/.test(target)) { window.location.hash = target; }
      });
    }
  }

  function renderTiles() {
    var box = document.getElementById("tiles");
    if (!box || !DATA.tiles) { return; }
    var key = ["segment", "team", "period"].map(function (d) { return state[d] || "all"; }).join("|");
    var values = DATA.tiles.values[key] || DATA.tiles.values["all|all|all"];
    box.textContent = "";
    DATA.tiles.labels.forEach(function (label, i) {
      var tile = document.createElement("div");
      tile.className = "tile";
      var v = document.createElement("div");
      v.className = "v";
      v.textContent = values[i];
      var k = document.createElement("div");
      k.className = "k";
      k.textContent = label;
      tile.appendChild(v);
      tile.appendChild(k);
      box.appendChild(tile);
    });
  }

  function applyRows() {
    document.querySelectorAll(".filterable").forEach(function (el) {
      var ok = passes({ segment: el.dataset.segment, team: el.dataset.team });
      if (el.dataset.date !== undefined) { ok = ok && inPeriod(el.dataset.date); }
      el.classList.toggle("hidden", !ok);
    });
    document.querySelectorAll("[data-exact-segment]").forEach(function (el) {
      el.hidden = el.dataset.exactSegment !== state.segment;
    });
    document.querySelectorAll("[data-count-for]").forEach(function (el) {
      var rows = document.querySelectorAll("#" + el.dataset.countFor + " tbody tr");
      var shown = Array.prototype.filter.call(rows, function (r) { return !r.classList.contains("hidden"); });
      el.textContent = "Showing " + shown.length + " of " + rows.length + " rows.";
    });
  }

  function query() {
    var out = new URLSearchParams(window.location.search);
    DATA.filters.forEach(function (f) {
      if (state[f.dim] === f["default"]) { out["delete"](f.dim); } else { out.set(f.dim, state[f.dim]); }
    });
    return out;
  }

  function keepFiltersInLinks() {
    var carry = new URLSearchParams();
    query().forEach(function (v, k) { if (["segment", "team", "period"].indexOf(k) >= 0) { carry.set(k, v); } });
    document.querySelectorAll("header nav a").forEach(function (a) {
      var base = a.getAttribute("href").split("?")[0];
      var qs = carry.toString();
      a.setAttribute("href", qs ? base + "?" + qs : base);
    });
  }

  function refresh() {
    Object.keys(DATA.charts).forEach(renderChart);
    renderTiles();
    applyRows();
    var qs = query().toString();
    window.history.replaceState(null, "", window.location.pathname + (qs ? "?" + qs : "") + window.location.hash);
    keepFiltersInLinks();
    listeners.forEach(function (fn) { fn(state); });
  }

  function buildFilterBar() {
    var bar = document.getElementById("filters");
    if (!bar) { return; }
    DATA.filters.forEach(function (f) {
      var label = document.createElement("label");
      label.textContent = f.label;
      var select = document.createElement("select");
      select.name = f.dim;
      f.options.forEach(function (o) {
        var opt = document.createElement("option");
        opt.value = o[0];
        opt.textContent = o[1];
        select.appendChild(opt);
      });
      select.value = state[f.dim];
      select.addEventListener("change", function () { state[f.dim] = select.value; refresh(); });
      label.appendChild(select);
      bar.appendChild(label);
    });
  }

  function cellKey(cell, numeric) {
    var raw = cell.dataset.v !== undefined ? cell.dataset.v : cell.textContent.trim();
    if (!numeric) { return raw.toLowerCase(); }
    var n = parseFloat(String(raw).replace(/[^0-9eE.+-]/g, ""));
    return isNaN(n) ? -Infinity : n;
  }

  function makeSortable(table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, col) {
      th.addEventListener("click", function () {
        var numeric = th.classList.contains("num");
        var dir = th.getAttribute("aria-sort") === "descending" ? "ascending" : "descending";
        if (!numeric && !th.hasAttribute("aria-sort")) { dir = "ascending"; }
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir);
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellKey(a.cells[col], numeric), y = cellKey(b.cells[col], numeric);
          var c = x < y ? -1 : x > y ? 1 : 0;
          return dir === "ascending" ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  window.valuedata = {
    data: DATA, state: state, passes: passes, inPeriod: inPeriod,
    onChange: function (fn) { listeners.push(fn); }
  };

  document.addEventListener("DOMContentLoaded", function () {
    buildFilterBar();
    document.querySelectorAll("table.sortable").forEach(function (t) { if (t.tHead.rows.length) { makeSortable(t); } });
    refresh();
  });
})();
