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

  function fmtAmount(x) { return x === null ? "" : x.toLocaleString("en-US", { maximumFractionDigits: 0 }); }

  function showFocus() {
    var box = document.getElementById("focus");
    if (!focus) { return; }
    var g = D.groups[focus.key];
    box.hidden = false;
    box.appendChild(el("strong", focus.label));
    if (!g) {
      box.appendChild(el("p", "No sampled deals for this selection: it has no deals, or it is not among the drivers and reps the dashboards cover."));
    } else {
      var closed = g[0] + g[1];
      box.appendChild(el("p", (g[0] + g[1] + g[2]).toLocaleString("en-US") + " deals in all: " + g[0] + " won, " +
        g[1] + " lost, " + g[2] + " open" + (closed ? " (win rate " + Math.round(100 * g[0] / closed) + "%)" : "") +
        ". The table lists the sampled ones."));
    }
    var clear = el("a", "Show every sampled deal");
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

  function buildTable() {
    var table = document.getElementById("deals");
    var head = el("tr");
    HEADERS.forEach(function (h) { head.appendChild(el("th", h[0], h[1] ? "num" : "")); });
    head.lastChild.style.textAlign = "left";
    table.tHead.appendChild(head);
    var body = table.tBodies[0];
    D.rows.forEach(function (row, i) {
      var rep = D.reps[row[2]];
      var tr = el("tr");
      tr.dataset.i = String(i);
      [row[0], row[1], rep[1], rep[2], D.segments[row[3]], row[4]].forEach(function (v) { tr.appendChild(el("td", v)); });
      var amount = el("td", fmtAmount(row[5]), "num");
      amount.dataset.v = row[5] === null ? "" : String(row[5]);
      tr.appendChild(amount);
      var cov = el("td", row[6] === null ? "" : Math.round(100 * row[6]) + "%", "num");
      cov.dataset.v = row[6] === null ? "" : String(row[6]);
      tr.appendChild(cov);
      tr.appendChild(el("td", row[7]));
      tr.appendChild(itemsCell(row));
      body.appendChild(tr);
    });
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

  function apply(state) {
    var outcome = document.getElementById("outcome").value;
    var needle = document.getElementById("search").value.trim().toLowerCase();
    var shown = 0;
    document.querySelectorAll("#deals tbody tr").forEach(function (tr) {
      var ok = matches(D.rows[Number(tr.dataset.i)], state, outcome, needle);
      tr.classList.toggle("hidden", !ok);
      if (ok) { shown++; }
    });
    document.getElementById("deal-count").textContent = "Showing " + shown + " of " + D.rows.length + " sampled deals";
  }

  buildTable();
  showFocus();
  document.getElementById("outcome").addEventListener("change", function () { apply(V.state); });
  document.getElementById("search").addEventListener("input", function () { apply(V.state); });
  V.onChange(apply);
})();
