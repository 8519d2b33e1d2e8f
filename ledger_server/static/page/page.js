// The programme page: reads through the same GraphQL API and chart endpoints any client uses.
// Data is put into the page with textContent only; the chart SVG comes from this server.
"use strict";

const PLAN_QUERY = `query Page($id: ID!, $asOf: Date, $recordedAsOf: DateTime) {
  plan: programme(id: $id, asOf: $asOf, recordedAsOf: $recordedAsOf) {
    id name owner status risk asOf
    waves { id code status plannedGoLive { label } actors { id } }
    actors { id name status wave { code } plannedGoLive { label } goLiveDate }
  }
  everything: programme(id: $id, asOf: "9999-12-31", recordedAsOf: $recordedAsOf) {
    id name baselines { name asOf } waves { id code } actors { id name status }
  }
}`;

const ACTOR_QUERY = `query Actor($id: ID!, $actor: ID!, $recordedAsOf: DateTime) {
  programme(id: $id, asOf: "9999-12-31", recordedAsOf: $recordedAsOf) {
    actor(id: $actor) {
      history { effective wave status note planned { label } entry { id type } }
    }
  }
  events(programmeId: $id, actorId: $actor, first: 500) {
    edges { node { id position type effective recordedAt recordedBy source { title } correctedBy retractedBy } }
  }
}`;

const $ = (selector) => document.querySelector(selector);
const state = { programme: null, choicesShown: false, baselineFromUrl: null };

function today() {
  return new Date().toISOString().slice(0, 10);
}

function headers(extra) {
  const token = sessionStorage.getItem("ledger-token");
  return Object.assign(token ? { Authorization: "Bearer " + token } : {}, extra || {});
}

function showError(text) {
  const box = $("#message");
  box.textContent = text;
  box.hidden = !text;
}

async function graphql(query, variables) {
  const answer = await fetch("/graphql", {
    method: "POST",
    headers: headers({ "content-type": "application/json" }),
    body: JSON.stringify({ query, variables }),
  });
  const body = await answer.json();
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    const code = first.extensions && first.extensions.code;
    throw new Error((code ? code + ": " : "") + first.message);
  }
  return body.data;
}

async function svgInto(target, url) {
  // Quick clicks send several requests; only the last one sent may fill the chart.
  const ticket = (target.ticket = (target.ticket || 0) + 1);
  const answer = await fetch(url, { headers: headers() });
  if (ticket !== target.ticket) return;
  if (!answer.ok) {
    const body = await answer.json();
    throw new Error(body.error.code + ": " + body.error.message);
  }
  // The SVG is built and escaped by this server (ledger_server/charts); it is inlined so hover titles work.
  const svg = await answer.text();
  if (ticket === target.ticket) target.innerHTML = svg;
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text === null || text === undefined || text === "" ? "-" : String(text);
  if (className) td.className = className;
  return td;
}

function fill(table, rows, columns) {
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const item of rows) {
    const row = body.insertRow();
    for (const column of columns) column(row, item);
  }
}

function controls() {
  return {
    asOf: $("#as-of").value || today(),
    recordedAsOf: $("#recorded-as-of").value.trim() || null,
    baseline: $("#baseline").value || null,
  };
}

function remember(values) {
  const search = new URLSearchParams();
  search.set("asOf", values.asOf);
  if (values.recordedAsOf) search.set("recordedAsOf", values.recordedAsOf);
  if (values.baseline) search.set("baseline", values.baseline);
  history.replaceState(null, "", location.pathname + "?" + search.toString());
}

function showPlan(plan) {
  $("#plan-date").textContent = plan.asOf;
  $("#plan-summary").textContent = `${plan.name}, owner ${plan.owner}` +
    (plan.status ? `; status ${plan.status}, risk ${plan.risk}` : "");
  fill($("#waves"), plan.waves, [
    (r, w) => cell(r, w.code), (r, w) => cell(r, w.plannedGoLive && w.plannedGoLive.label),
    (r, w) => cell(r, w.status), (r, w) => cell(r, w.actors.length),
  ]);
  const inRollout = plan.actors.filter((a) => a.status !== "registered");
  fill($("#actors"), inRollout, [
    (r, a) => { cell(r, a.name).dataset.actor = a.id; }, (r, a) => cell(r, a.wave && a.wave.code),
    (r, a) => cell(r, a.plannedGoLive && a.plannedGoLive.label), (r, a) => cell(r, a.status, "status-" + a.status),
    (r, a) => cell(r, a.goLiveDate),
  ]);
}

function showChoices(everything) {
  if (state.choicesShown) return;
  state.choicesShown = true;
  const baseline = $("#baseline");
  for (const b of everything.baselines) baseline.add(new Option(`${b.name} (${b.asOf})`, b.name));
  baseline.add(new Option("the plan a year before", "year-before"));
  if (state.baselineFromUrl) baseline.value = state.baselineFromUrl;
  const subjects = $("#subjects");
  const choose = (kind, id, label, checked) => {
    const box = document.createElement("label");
    const input = document.createElement("input");
    input.type = "checkbox";
    input.value = `${kind}:${id}`;
    input.checked = checked;
    input.addEventListener("change", () => refreshTrend().catch((e) => showError(e.message)));
    box.append(input, " " + label);
    subjects.append(box);
  };
  // Waves are drawn at first (a handful of lines); any actor in the rollout can be ticked.
  for (const w of everything.waves) choose("wave", w.id, w.code, true);
  for (const a of everything.actors.filter((a) => a.status !== "registered")) choose("actor", a.id, a.name, false);
  const actor = $("#actor-choice");
  for (const a of everything.actors) actor.add(new Option(a.name, a.id));
  actor.addEventListener("change", () => refreshActor().catch((e) => showError(e.message)));
}

function baselineValue(values) {
  if (values.baseline !== "year-before") return values.baseline;
  const day = new Date(values.asOf + "T00:00:00Z");
  day.setUTCFullYear(day.getUTCFullYear() - 1);
  return day.toISOString().slice(0, 10);
}

async function refreshTrend() {
  const values = controls();
  const chosen = [...document.querySelectorAll("#subjects input:checked")].map((i) => i.value);
  const target = $("#trend-chart");
  if (!chosen.length) {
    target.textContent = "Choose at least one actor or wave.";
    return;
  }
  const search = new URLSearchParams(chosen.map((s) => ["subject", s]));
  search.set("asOf", values.asOf);
  if (values.recordedAsOf) search.set("recordedAsOf", values.recordedAsOf);
  await svgInto(target, `/programmes/${encodeURIComponent(state.programme)}/trend.svg?${search}`);
}

async function refreshTimeline() {
  const values = controls();
  $("#timeline-date").textContent = values.asOf;
  const baseline = baselineValue(values);
  const target = $("#timeline-chart");
  if (!baseline) {
    target.textContent = "This programme names no baseline yet.";
    return;
  }
  const search = new URLSearchParams({ baseline, against: values.asOf });
  if (values.recordedAsOf) search.set("recordedAsOf", values.recordedAsOf);
  await svgInto(target, `/programmes/${encodeURIComponent(state.programme)}/timeline.svg?${search}`);
  stickTimelineHeader(target);
}

// The timeline is long, and its dates are at the top: its header band (the legend and the date
// labels) goes into a strip that sticks below the date controls, so scrolling the rows never
// slides the labels under the controls. The strip is the same SVG cropped to the band, without
// the rows; the chart below is cropped to the rows.
function stickTimelineHeader(target) {
  const chart = target.querySelector("svg[data-header-height]");
  if (!chart) return;
  const band = Number(chart.dataset.headerHeight);
  const [, , width, height] = chart.getAttribute("viewBox").split(" ").map(Number);
  const header = chart.cloneNode(true);
  header.querySelectorAll("g[data-subject], title").forEach((element) => element.remove());
  header.setAttribute("viewBox", `0 0 ${width} ${band}`);
  header.setAttribute("height", band);
  header.setAttribute("aria-hidden", "true");  // the chart below keeps the accessible title
  chart.setAttribute("viewBox", `0 ${band} ${width} ${height - band}`);
  chart.setAttribute("height", height - band);
  const strip = document.createElement("div");
  strip.className = "sticky-header";
  strip.append(header);
  target.prepend(strip);
}

async function refreshActor() {
  const actor = $("#actor-choice").value;
  if (!actor) return;
  const ticket = (state.actorTicket = (state.actorTicket || 0) + 1);  // only the last choice may fill the tables
  const data = await graphql(ACTOR_QUERY, { id: state.programme, actor, recordedAsOf: controls().recordedAsOf });
  if (ticket !== state.actorTicket) return;
  const found = data.programme && data.programme.actor;
  fill($("#history"), found ? found.history : [], [
    (r, h) => cell(r, h.effective), (r, h) => cell(r, h.entry.id), (r, h) => cell(r, h.entry.type),
    (r, h) => cell(r, h.wave), (r, h) => cell(r, h.planned && h.planned.label), (r, h) => cell(r, h.status),
    (r, h) => cell(r, h.note),
  ]);
  fill($("#audit"), data.events.edges.map((e) => e.node), [
    (r, e) => cell(r, e.position), (r, e) => cell(r, e.id), (r, e) => cell(r, e.type), (r, e) => cell(r, e.effective),
    (r, e) => cell(r, e.recordedAt), (r, e) => cell(r, e.recordedBy),
    (r, e) => cell(r, e.source ? e.source.title : "(operational)"),
    (r, e) => cell(r, e.retractedBy ? "retracted by " + e.retractedBy
      : e.correctedBy.length ? "corrected by " + e.correctedBy.join(", ") : ""),
  ]);
  $("#actor").dataset.actor = actor;  // which actor the tables show
}

async function refreshProgramme() {
  showError("");
  const values = controls();
  remember(values);
  const data = await graphql(PLAN_QUERY, { id: state.programme, asOf: values.asOf,
    recordedAsOf: values.recordedAsOf });
  if (!data.plan || !data.everything) {
    throw new Error(`NOT_FOUND: programme ${state.programme} is not known on ${values.asOf}`);
  }
  $("#programme-name").textContent = "· " + data.everything.name;
  document.title = data.everything.name + " · programme ledger";
  showPlan(data.plan);
  showChoices(data.everything);
  await Promise.all([refreshTrend(), refreshTimeline(), refreshActor()]);
  document.body.dataset.loaded = values.asOf;  // lets tests and scripts see the page is up to date
}

async function showProgrammes() {
  const data = await graphql("{ programmes(asOf: \"9999-12-31\") { id name owner } }", {});
  const list = $("#programme-list");
  list.replaceChildren();
  for (const p of data.programmes) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = "/programmes/" + encodeURIComponent(p.id);
    link.textContent = p.name;
    item.append(link, ` (${p.id}, owner ${p.owner})`);
    list.append(item);
  }
  document.body.dataset.loaded = "programmes";
}

// Whatever the page scrolls to (a chart, a link target) stops below the sticky date controls
// instead of under them; the bar's height changes when it wraps, so it is measured, not guessed.
function keepClearOfTheControls() {
  const bar = $("#controls");
  const measure = () => document.documentElement.style.setProperty("--controls-height", `${bar.offsetHeight}px`);
  new ResizeObserver(measure).observe(bar);
  measure();
}

function start() {
  const match = location.pathname.match(/^\/programmes\/([^/]+)$/);
  const params = new URLSearchParams(location.search);
  $("#token").value = sessionStorage.getItem("ledger-token") || "";
  const load = () => (state.programme ? refreshProgramme() : showProgrammes()).catch((e) => showError(e.message));
  $("#token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem("ledger-token", $("#token").value.trim());
    load();
  });
  if (match) {
    state.programme = decodeURIComponent(match[1]);
    $("#programme").hidden = false;
    $("#as-of").value = params.get("asOf") || today();
    $("#recorded-as-of").value = params.get("recordedAsOf") || "";
    state.baselineFromUrl = params.get("baseline");
    $("#controls").addEventListener("submit", (event) => { event.preventDefault(); load(); });
    $("#as-of").addEventListener("change", load);
    keepClearOfTheControls();
  } else {
    $("#programmes").hidden = false;
  }
  load();
}

start();
