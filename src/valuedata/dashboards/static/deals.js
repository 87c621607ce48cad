/* valuedata drill-down: renders the deal sample from the page data into a sortable, filterable table.
   ?segment=S&kind=K&item=I focuses on the deals behind a driver, ?rep=R on a rep's deals.
   Every value is set with textContent, so text from the data never runs. */
(function () {
  "use strict";
  var V = window.valuedata;
  var D = V.data.deals;
  var params = new URLSearchParams(window.location.search);
  var KINDS = { role: ["key player", "key players"], value_proposition: ["value proposition", "value propositions"],
    issue: ["issue", "issues"], question: ["question", "questions"] };
  var PHRASES = { role: ["Deals where the ", " was met"], value_proposition: ["Deals where “", "” was presented"],
    issue: ["Deals where the issue “", "” was uncovered"], question: ["Deals where “", "” was asked"] };
  var KIND_NAMES = { role: "Key player", value_proposition: "Value proposition", issue: "Issue", question: "Question" };
  var HEADERS = [["Deal", false], ["Account", false], ["Rep", false], ["Team", false], ["Segment", false],
    ["Outcome", false], ["Amount", true], ["Key-player coverage", true], ["Closed / created", false], ["Items", true]];

  var focus = null;
  if (params.get("rep")) {
    var who = D.reps.filter(function (r) { return r[0] === params.get("rep"); })[0];
    focus = { key: "rep|" + params.get("rep"), rep: params.get("rep"),
      label: who ? "Deals of " + who[1] + " (" + who[2] + ")" : "Deals of rep " + params.get("rep") };
  } else if (params.get("kind") && params.get("item")) {
    var seg = params.get("segment") || "*";
    var kind = params.get("kind");
    var idx = D.items.findIndex(function (it) { return it[0] === kind && it[1] === params.get("item"); });
    var text = idx >= 0 ? D.items[idx][2] : params.get("item");
    var phrase = PHRASES[kind] || ["Deals with ", ""];
    focus = { key: "driver|" + seg + "|" + kind + "|" + params.get("item"), segment: seg, item: idx,
      label: phrase[0] + text + phrase[1] + " — " + (seg === "*" ? "all segments" : seg) };
  }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }

  function fmtAmount(x, currency) {
    return x === null ? "" : x.toLocaleString("en-US", { maximumFractionDigits: 0 }) + (currency ? " " + currency : "");
  }

  function showFocus() {
    var box = document.getElementById("focus");
    if (!focus) { return; }
    var g = D.groups[focus.key];
    box.hidden = false;
    box.appendChild(el("strong", focus.label));
    if (!g) {
      box.appendChild(el("p", D.complete ? "Counts are kept for the drivers and reps the dashboards show; the table lists every deal that matches." :
        "No sampled deals for this selection: it has no deals, or it is not among the drivers and reps the dashboards cover."));
    } else {
      var closed = g[0] + g[1];
      box.appendChild(el("p", (g[0] + g[1] + g[2]).toLocaleString("en-US") + " deals in all: " + g[0] + " won, " +
        g[1] + " lost, " + g[2] + " open" + (closed ? " (raw win rate " + Math.round(100 * g[0] / closed) + "%)" : "") +
        (D.complete ? ". The table lists every one of them." : ". The table lists a sample of them.")));
    }
    var clear = el("a", D.complete ? "Show every deal" : "Show every sampled deal");
    clear.href = "deals.html";
    box.appendChild(clear);
  }

  function itemsCell(row) {
    var td = el("td", undefined, "num");
    td.dataset.v = String(row[8].length);
    if (!row[8].length) { td.textContent = "none"; return td; }
    var counts = {};
    row[8].forEach(function (i) { var k = D.items[i][0]; counts[k] = (counts[k] || 0) + 1; });
    var details = el("details");
    details.appendChild(el("summary", Object.keys(KINDS).filter(function (k) { return counts[k]; })
      .map(function (k) { return counts[k] + " " + KINDS[k][counts[k] === 1 ? 0 : 1]; }).join(", ")));
    var list = el("ul");
    row[8].forEach(function (i) { list.appendChild(el("li", KIND_NAMES[D.items[i][0]] + ": " + D.items[i][2])); });
    details.appendChild(list);
    td.style.textAlign = "left";
    td.appendChild(details);
    return td;
  }

  var PAGE = 50;
  var view = { order: D.rows.map(function (_, i) { return i; }), col: null, dir: 1, page: 0, shown: [] };

  function sortKey(row, col) {
    var rep = D.reps[row[2]];
    var keys = [row[0], row[1], rep[1], rep[2], D.segments[row[3]], row[4], row[5], row[6], row[7], row[8].length];
    var k = keys[col];
    return k === null || k === undefined ? (HEADERS[col][1] ? -Infinity : "") : (HEADERS[col][1] ? k : String(k).toLowerCase());
  }

  function buildHeader() {
    var table = document.getElementById("deals");
    var head = el("tr");
    HEADERS.forEach(function (h, col) {
      var th = el("th", h[0], h[1] ? "num" : "");
      th.addEventListener("click", function () {
        view.dir = view.col === col ? -view.dir : (h[1] ? -1 : 1);
        view.col = col;
        table.querySelectorAll("th").forEach(function (x) { x.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", view.dir > 0 ? "ascending" : "descending");
        view.order.sort(function (a, b) {
          var x = sortKey(D.rows[a], col), y = sortKey(D.rows[b], col);
          return (x < y ? -1 : x > y ? 1 : 0) * view.dir || a - b;
        });
        view.page = 0;
        apply(V.state);
      });
      head.appendChild(th);
    });
    head.lastChild.style.textAlign = "left";
    table.tHead.appendChild(head);
  }

  function rowElement(row) {
    var rep = D.reps[row[2]];
    var tr = el("tr");
    [row[0], row[1], rep[1], rep[2], D.segments[row[3]], row[4]].forEach(function (v) { tr.appendChild(el("td", v)); });
    var amount = el("td", fmtAmount(row[5], row[9]), "num");
    amount.dataset.v = row[5] === null ? "" : String(row[5]);
    tr.appendChild(amount);
    var cov = el("td", row[6] === null ? "" : Math.round(100 * row[6]) + "%", "num");
    cov.dataset.v = row[6] === null ? "" : String(row[6]);
    tr.appendChild(cov);
    tr.appendChild(el("td", row[7]));
    tr.appendChild(itemsCell(row));
    return tr;
  }

  function matches(row, state, outcome, needle) {
    var rep = D.reps[row[2]];
    var segment = D.segments[row[3]];
    if (!V.passes({ segment: D.segment_keys[row[3]], team: rep[2] }) || !V.inPeriod(row[7])) { return false; }
    if (outcome !== "all" && row[4] !== outcome) { return false; }
    if (focus && focus.rep !== undefined && rep[0] !== focus.rep) { return false; }
    if (focus && focus.item !== undefined) {
      if (focus.item < 0 || row[8].indexOf(focus.item) < 0) { return false; }
      if (focus.segment !== "*" && segment !== focus.segment) { return false; }
    }
    if (needle) {
      var hay = [row[0], row[1], rep[1], rep[2], segment].concat(row[8].map(function (i) { return D.items[i][2]; }));
      return hay.join(" ").toLowerCase().indexOf(needle) >= 0;
    }
    return true;
  }

  function render() {
    var body = document.getElementById("deals").tBodies[0];
    body.textContent = "";
    var first = view.page * PAGE;
    view.shown.slice(first, first + PAGE).forEach(function (i) { body.appendChild(rowElement(D.rows[i])); });
    var total = view.shown.length;
    var what = D.complete ? " deals" : " sampled deals (of " + D.rows.length + " in the sample)";
    document.getElementById("deal-count").textContent = total ?
      "Deals " + (first + 1) + "–" + Math.min(first + PAGE, total) + " of " + total + what :
      "No deal matches";
    document.getElementById("prev").disabled = view.page === 0;
    document.getElementById("next").disabled = first + PAGE >= total;
  }

  function apply(state) {
    var outcome = document.getElementById("outcome").value;
    var needle = document.getElementById("search").value.trim().toLowerCase();
    view.shown = view.order.filter(function (i) { return matches(D.rows[i], state, outcome, needle); });
    view.page = Math.min(view.page, Math.max(0, Math.ceil(view.shown.length / PAGE) - 1));
    render();
  }

  function restart() { view.page = 0; apply(V.state); }

  buildHeader();
  showFocus();
  document.getElementById("outcome").addEventListener("change", restart);
  document.getElementById("search").addEventListener("input", restart);
  document.getElementById("prev").addEventListener("click", function () { view.page--; render(); });
  document.getElementById("next").addEventListener("click", function () { view.page++; render(); });
  V.onChange(restart);
})();
