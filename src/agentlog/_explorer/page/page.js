// agentlog's pages: the run view (show --html) and the report (report). Inlined into the page.
// Every logged value is data: it is shown with textContent only (never parsed as markup), and
// control characters, ANSI escapes and bidi marks are shown escaped, as in the terminal.
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("data").textContent);
  const SVGNS = document.getElementById("svgns").namespaceURI; // the SVG namespace, without writing it out
  const KINDS = ["run", "step", "tool", "llm"];
  const LEVELS = ["debug", "info", "warning", "error", "critical"];
  // C0 and C1 controls (ESC starts every ANSI sequence), the Arabic letter mark, bidi marks,
  // embeddings, overrides and isolates, line and paragraph separators. A block of text keeps
  // its line feeds and tabs.
  const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
  const UNSAFE_BLOCK = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
  const MAX_ROWS = 500;

  function escapeChar(c) {
    const code = c.charCodeAt(0);
    return code < 0x100 ? "\\x" + code.toString(16).padStart(2, "0") : "\\u" + code.toString(16).padStart(4, "0");
  }
  function asText(value) {
    if (typeof value === "string") return value;
    if (value === null || value === undefined) return "";
    return JSON.stringify(value);
  }
  /** A logged value as inert text: one line, every control and bidi character escaped. */
  function vis(value) { return asText(value).replace(UNSAFE, escapeChar); }
  /** A block (a stack): line feeds and tabs kept, every other control and bidi character escaped. */
  function visBlock(value) { return asText(value).replace(UNSAFE_BLOCK, escapeChar); }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function add(parent, tag, cls, text) { const node = el(tag, cls, text); parent.appendChild(node); return node; }
  function svg(tag, attrs) {
    const node = document.createElementNS(SVGNS, tag);
    for (const key of Object.keys(attrs || {})) node.setAttribute(key, String(attrs[key]));
    return node;
  }
  function isNum(value) { return typeof value === "number" && isFinite(value); }
  function fmtMs(ms) {
    if (!isNum(ms)) return "";
    if (ms < 1) return (ms * 1000).toFixed(0) + " µs";
    if (ms < 1000) return ms.toFixed(1) + " ms";
    return (ms / 1000).toFixed(3) + " s";
  }
  function fmtOffset(seconds) { return isNum(seconds) ? "+" + seconds.toFixed(3) + "s" : ""; }
  /** ok, error, unfinished (no run_finished line), or the status the run logged. */
  function statusOf(run) { return run.outcome || run.status || (run.finished ? "?" : "unfinished"); }
  /** The run's duration: as reported, or (unfinished) from its first to its last line. */
  function durationOf(run) { return isNum(run.duration_ms) ? run.duration_ms : run.total_latency_ms; }
  /** The duration as text: an unfinished run's as "≥" what its lines cover, as `agentlog runs` writes it. */
  function durationText(run) {
    const duration = durationOf(run);
    return (isNum(duration) && statusOf(run) === "unfinished" ? "≥" : "") + fmtMs(duration);
  }
  /** A cost in USD as `agentlog` prints it: cents from a dollar up, four significant digits below; "" unknown. */
  function usdText(value) {
    if (!isNum(value) || value < 0) return "";
    if (value >= 1 || value === 0) {
      return "$" + value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    }
    const places = Math.min(12, 3 - Math.floor(Math.log10(value)));
    return "$" + value.toFixed(places);
  }
  function errorClassesOf(run) {
    if (Array.isArray(run.error_classes)) return run.error_classes;
    return typeof run.error_class === "string" ? [run.error_class] : [];
  }
  function statusCell(status) {
    const known = { error: "ERROR", ok: "ok", unfinished: "unfinished" };
    const cls = known[status] ? "status-" + status : "";
    return el("span", cls, known[status] || vis(status || "?"));
  }
  function kv(parent, pairs) {
    const list = add(parent, "dl", "kv");
    for (const [key, value] of pairs) {
      if (value === undefined || value === null || value === "") continue;
      add(list, "dt", "", vis(key));
      add(list, "dd", "mono", typeof value === "string" ? vis(value) : vis(asText(value)));
    }
    return list;
  }
  function isObject(value) { return value !== null && typeof value === "object" && !Array.isArray(value); }
  function entries(value) { return isObject(value) ? Object.keys(value).map((key) => [key, value[key]]) : []; }

  // ---- the run view ---------------------------------------------------------------------------

  /** Tick marks on the time axis: a 1-2-5 step giving about six ticks over total seconds. */
  function ticks(total) {
    const rough = total / 6;
    const power = Math.pow(10, Math.floor(Math.log10(rough)));
    const step = [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= rough) || power * 10;
    const found = [];
    for (let t = 0; t <= total * (1 + 1e-9) && found.length < 50; t += step) found.push(t);
    return found;
  }
  /** A tick's label, in the unit that suits the axis, with the decimals its step needs. */
  function fmtTick(seconds, total, step) {
    const decimals = (size) => Math.max(0, Math.min(6, -Math.floor(Math.log10(size) + 1e-9)));
    if (total < 0.001) return (seconds * 1e6).toFixed(decimals(step * 1e6)) + " µs";
    if (total < 10) return (seconds * 1000).toFixed(decimals(step * 1000)) + " ms";
    return seconds.toFixed(Math.max(1, decimals(step))) + " s";
  }
  function pct(seconds, total) { return (100 * seconds) / total; }

  function failurePath(view, failure) {
    const parts = [];
    if (failure.run_id !== view.run_id) parts.push("child run " + vis(failure.run_id));
    if (failure.step_id !== null && failure.step_id !== undefined) parts.push("step " + vis(failure.step_id));
    if (failure.kind === "tool") parts.push("tool " + vis(failure.tool) + " [" + vis(failure.tool_call_id) + "]");
    else if (failure.kind === "llm") parts.push("llm " + vis(failure.model));
    else parts.push("step " + vis(failure.step_type));
    return parts.join(" › ");
  }

  function renderDetail(panel, view, span) {
    panel.replaceChildren();
    if (!span) { add(panel, "p", "muted", "Click a span to see its fields, log lines, error and stack."); return; }
    add(panel, "h3", "", span.kind + " " + vis(span.name));
    const status = span.unfinished ? "unfinished" : span.status;
    const head = add(panel, "p");
    head.appendChild(statusCell(status || "?"));
    if (span.failed) add(head, "span", "status-error", "  ◀ failed here");
    const facts = [
      ["started", span.start === null ? "?" : fmtOffset(span.start) + "  (" + vis(span.timestamp) + ")"],
      ["duration", span.end !== null && span.start !== null ? fmtMs((span.end - span.start) * 1000) : "unfinished"],
      ["latency_ms", isNum(span.latency_ms) ? String(span.latency_ms) : null],
      ["run", vis(span.run_id)],
      ["span", vis(span.span_id)],
    ];
    if (span.clamped) facts.push(["drawn", "kept inside its parent's range (its logged times fall outside it)"]);
    kv(panel, facts);
    if (span.error_class) {
      add(panel, "h3", "", "Error");
      add(panel, "p", "status-error mono", vis(span.error_class) + ": " + vis(span.error_message));
    }
    if (span.error_stack) {
      add(panel, "h3", "", "Stack");
      add(panel, "pre", "stack", visBlock(span.error_stack));
    }
    if (span.kind === "run" && entries(span.metadata).length) {
      add(panel, "h3", "", "Metadata");
      kv(panel, entries(span.metadata));
    }
    add(panel, "h3", "", "Log lines (" + span.logs.length + ")");
    if (!span.logs.length) add(panel, "p", "muted", "none written in this span");
    for (const log of span.logs) {
      const level = LEVELS.includes(log.level) ? log.level : "info";
      const item = add(panel, "div", "log level-" + level);
      const logger = log.logger ? vis(log.logger) + ": " : "";
      add(item, "div", "mono", fmtOffset(log.t) + "  " + vis(log.level) + "  " + logger + vis(log.event));
      const skip = ["timestamp", "level", "event", "logger", "run_id", "trace_id", "span_id", "parent_span_id",
        "step_id", "tool_call_id", "error_stack", "service", "env", "version", "session_id", "request_id"];
      const rest = entries(log.fields).filter(([key]) => !skip.includes(key));
      if (rest.length) add(item, "div", "mono muted", rest.map(([key, value]) => vis(key) + "=" + vis(value)).join("  "));
      if (log.error_stack) add(item, "pre", "stack", visBlock(log.error_stack));
    }
    add(panel, "h3", "", "Fields");
    const table = add(panel, "table", "fields");
    for (const [key, value] of entries(span.fields)) {
      if (key === "error_stack") continue;
      const row = add(table, "tr");
      add(row, "td", "mono", vis(key));
      add(row, "td", "mono", vis(value));
    }
  }

  /** Draws *view* into *container*; returns a function selecting a span by index. */
  function renderRunView(container, view) {
    container.replaceChildren();
    const head = add(container, "div", "run-head");
    const title = add(head, "h1", "", "Run " + vis(view.run_id) + "  ");
    const outcome = view.outcome || view.status || (view.stop_reason ? "?" : "unfinished");
    title.appendChild(statusCell(outcome));
    const summary = view.runs.find((run) => run.run_id === view.run_id) || {};
    kv(head, [
      ["stop reason", outcome === "unfinished" ? "none, the run is unfinished (no run_finished line: killed, " +
        "crashed or still running)" : vis(view.stop_reason || "unknown (no run_finished line)")],
      ["started", vis(summary.started || view.started)],
      ["duration", durationText(summary)],
      ["user", vis(summary.user_id)],
      ["session", vis(summary.session_id || (view.spans[0] && view.spans[0].fields.session_id))],
      ["service", vis(summary.service)],
      ["counts", "steps " + (summary.total_steps || 0) + " · tools " + (summary.tool_calls || 0) + " · llm " +
        (summary.llm_calls || 0) + " · errors " + (summary.errors || 0) + " · tokens " + (summary.input_tokens || 0) +
        "/" + (summary.output_tokens || 0) + (isNum(summary.cost_usd) ? " · cost " + usdText(summary.cost_usd) : "")],
    ]);
    if (entries(view.metadata).length) {
      add(head, "h3", "", "Metadata");
      kv(head, entries(view.metadata));
    }
    let select = () => {};
    if (view.failure) {
      const box = add(container, "div", "failure");
      box.id = "failure";
      add(box, "span", "where", "Failed at: " + failurePath(view, view.failure));
      add(box, "span", "", " › " + vis(view.failure.error_class) + ": " + vis(view.failure.error_message));
      box.addEventListener("click", () => select(view.failure.span));
    }
    if (view.omitted_spans) {
      add(container, "div", "notice", view.omitted_spans + " more spans not drawn (the page draws at most " +
        view.spans.length + "); `agentlog show` lists them all.");
    }
    const legend = add(container, "div", "legend muted");
    for (const [cls, text] of [["k-run", "run"], ["k-step", "step"], ["k-tool", "tool call"], ["k-llm", "LLM call"],
      ["error", "failed"], ["failed", "where it failed (outlined)"]]) {
      const item = add(legend, "span");
      const swatch = add(item, "i", "bar-swatch");
      swatch.style.background = getComputedStyle(document.documentElement).getPropertyValue(
        { "k-run": "--run", "k-step": "--step", "k-tool": "--tool", "k-llm": "--llm", error: "--err", failed: "--err" }[cls]);
      if (cls === "failed") swatch.style.outline = "2px solid #7a0b0b";
      if (cls === "error") swatch.style.background = "#e58c8c";
      item.appendChild(document.createTextNode(text));
    }
    const layout = add(container, "div", "runview");
    const waterfall = add(layout, "div", "waterfall");
    waterfall.id = "waterfall";
    const total = view.total > 0 ? view.total : 1e-6;
    waterfall.dataset.total = String(total);
    const panel = add(layout, "aside", "detail");
    panel.id = "detail";
    const axisRow = add(waterfall, "div", "axis-row");
    add(axisRow, "div", "label muted", "span");
    add(axisRow, "div", "dur muted", "duration");
    const axis = add(axisRow, "div", "axis");
    axis.id = "axis";
    const grid = add(waterfall, "div", "grid");
    const marks = ticks(total);
    const step = marks.length > 1 ? marks[1] - marks[0] : total;
    for (const t of marks) {
      const tick = add(axis, "div", "tick");
      tick.style.left = pct(t, total) + "%";
      tick.dataset.t = String(t);
      if (pct(t, total) <= 92) add(tick, "span", "", fmtTick(t, total, step)); // a label past that would be cut
      add(grid, "div").style.left = pct(t, total) + "%";
    }
    const rows = [];
    for (const span of view.spans) {
      const row = add(waterfall, "div", "row" + (span.failed ? " failed-row" : ""));
      row.dataset.index = String(span.index);
      row.tabIndex = 0;
      const label = add(row, "div", "label");
      label.style.paddingLeft = Math.min(span.depth, 24) * 12 + "px";
      if (span.depth > 24) add(label, "span", "deep", "⋯" + span.depth);
      add(label, "span", "kind", span.kind);
      label.appendChild(document.createTextNode(span.kind === "run" ? vis(span.name).slice(0, 8) : vis(span.name)));
      label.title = span.kind + " " + vis(span.name);
      const duration = span.start !== null && span.end !== null ? fmtMs((span.end - span.start) * 1000) : "…";
      add(row, "div", "dur", duration);
      const lane = add(row, "div", "lane");
      const kind = KINDS.includes(span.kind) ? span.kind : "tool";
      const bar = add(lane, "div", "bar k-" + kind + (span.status === "error" ? " error" : "") +
        (span.failed ? " failed" : "") + (span.unfinished ? " unfinished" : "") + (span.clamped ? " clamped" : ""));
      bar.dataset.index = String(span.index);
      bar.dataset.start = String(span.shown_start);
      bar.dataset.end = String(span.shown_end);
      bar.style.left = pct(span.shown_start, total) + "%";
      bar.style.width = pct(span.shown_end - span.shown_start, total) + "%";
      bar.title = span.kind + " " + vis(span.name) + " · " + duration +
        (span.error_class ? " · " + vis(span.error_class) + ": " + vis(span.error_message) : "");
      for (const log of span.logs) {
        if (!isNum(log.t)) continue;
        const at = Math.min(Math.max(log.t, span.shown_start), span.shown_end);
        const mark = add(lane, "div", "mark level-" + (LEVELS.includes(log.level) ? log.level : "info"));
        mark.style.left = pct(at, total) + "%";
      }
      row.addEventListener("click", () => select(span.index));
      row.addEventListener("keydown", (event) => { if (event.key === "Enter") select(span.index); });
      rows.push(row);
    }
    requestAnimationFrame(() => {
      for (const bar of waterfall.querySelectorAll(".bar")) if (bar.getBoundingClientRect().width < 2) bar.classList.add("thin");
    });
    const others = view.runs.filter((run) => run.run_id !== view.run_id);
    if (others.length) {
      add(container, "h2", "", "Child runs (" + others.length + ")");
      const table = add(container, "table", "child-runs");
      table.id = "child-runs";
      const headRow = add(add(table, "thead"), "tr");
      for (const name of ["run", "status", "stop reason", "duration", "errors", "parent run"]) add(headRow, "th", "", name);
      const body = add(table, "tbody");
      for (const run of others) {
        const row = add(body, "tr");
        row.style.cursor = "pointer";
        add(row, "td", "mono", vis(run.run_id));
        add(row, "td").appendChild(statusCell(statusOf(run)));
        add(row, "td", "", vis(run.stop_reason));
        add(row, "td", "", durationText(run));
        add(row, "td", "", String(run.errors || 0));
        add(row, "td", "mono", vis(run.parent_run_id));
        const index = view.run_span[run.run_id];
        if (index !== undefined) row.addEventListener("click", () => select(index));
      }
    }
    let selected = null;
    select = (index) => {
      const span = view.spans[index];
      if (selected !== null && rows[selected]) rows[selected].classList.remove("selected");
      selected = span ? index : null;
      if (span && rows[index]) {
        rows[index].classList.add("selected");
        if (rows[index].scrollIntoView) rows[index].scrollIntoView({ block: "nearest" });
      }
      renderDetail(panel, view, span);
    };
    select(view.failure && view.failure.span !== null && view.failure.span !== undefined ? view.failure.span : null);
    return select;
  }

  // ---- the report -------------------------------------------------------------------------------

  const COLUMNS = [
    ["run", "run_id", "text"], ["started", "start_epoch", "num"], ["duration", "duration", "num"],
    ["status", "status", "text"], ["stop reason", "stop_reason", "text"], ["steps", "total_steps", "num"],
    ["tools", "tool_calls", "num"], ["llm", "llm_calls", "num"], ["errors", "errors", "num"],
    ["tokens", "tokens", "num"], ["cost", "cost_usd", "num"], ["user", "user_id", "text"],
    ["session", "session_id", "text"],
    ["service", "service", "text"],
  ];

  function sortValue(run, key) {
    if (key === "tokens") return (run.input_tokens || 0) + (run.output_tokens || 0);
    if (key === "cost_usd") return isNum(run.cost_usd) ? run.cost_usd : -1;  // unknown cost sorts last
    if (key === "status") return statusOf(run);
    if (key === "duration") return durationOf(run);
    return run[key];
  }

  /** KEY=VALUE against the run's metadata, as `runs --meta` compares: text as it is, other scalars as JSON,
   * objects and lists never equal; a bare KEY: the run has that metadata. */
  function matchesMeta(run, wanted) {
    if (!wanted) return true;
    const cut = wanted.indexOf("=");
    const key = (cut < 0 ? wanted : wanted.slice(0, cut)).trim();
    const metadata = isObject(run.metadata) ? run.metadata : {};
    if (!Object.prototype.hasOwnProperty.call(metadata, key)) return false;
    if (cut < 0) return true;
    const value = metadata[key];
    if (value !== null && typeof value === "object") return false;
    return (typeof value === "string" ? value : JSON.stringify(value)) === wanted.slice(cut + 1);
  }

  function renderReport(root) {
    const header = add(root, "header");
    add(header, "h1", "", "agentlog report");
    const failedCount = DATA.runs.filter((run) => run.failed).length;
    add(header, "div", "muted", DATA.runs.length + " runs · " + failedCount + " with a failure · " +
      DATA.counts.parsed + " lines read · " + DATA.counts.skipped + " lines skipped · files: " +
      DATA.files.map(vis).join(", "));
    for (const problem of DATA.counts.problems) add(header, "div", "notice", vis(problem));
    const tabs = add(root, "nav", "tabs");
    const sections = {};
    const buttons = {};
    for (const [name, text] of [["runs", "Runs"], ["run", "Run"], ["charts", "Charts"]]) {
      const button = add(tabs, "button", "", text);
      button.type = "button";
      button.id = "tab-" + name;
      button.addEventListener("click", () => { location.hash = name === "run" && current ? "#run=" + encodeURIComponent(current) : "#" + name; });
      buttons[name] = button;
      sections[name] = add(root, "section", "hidden");
      sections[name].id = "section-" + name;
    }
    let current = null;
    function show(name) {
      for (const key of Object.keys(sections)) {
        sections[key].classList.toggle("hidden", key !== name);
        buttons[key].classList.toggle("active", key === name);
      }
    }
    renderRunsTable(sections.runs, (run) => { location.hash = "#run=" + encodeURIComponent(run.run_id); });
    renderCharts(sections.charts);
    const views = new Map(Object.keys(DATA.views).map((key) => [key, DATA.views[key]]));
    const byId = new Map(DATA.runs.map((run) => [run.run_id, run]));
    function route() {
      const hash = location.hash.slice(1);
      if (hash.startsWith("run=")) {
        let runId = "";
        try { runId = decodeURIComponent(hash.slice(4)); } catch (error) { runId = ""; }
        const run = byId.get(runId);
        current = runId;
        show("run");
        const section = sections.run;
        if (!run) { section.replaceChildren(el("p", "notice", "No run " + vis(runId) + " in this report.")); return; }
        const view = run.view !== null && views.has(run.view) ? views.get(run.view) : null;
        if (!view) {
          section.replaceChildren(el("p", "notice", "Run " + vis(runId) + " has no view in this report (" +
            "the report draws the first " + views.size + " runs, failed ones first): `agentlog show " +
            vis(runId.slice(0, 8)) + " FILE… --html run.html` draws it."));
          return;
        }
        const select = renderRunView(section, view);
        if (run.view !== run.run_id && view.run_span[run.run_id] !== undefined) select(view.run_span[run.run_id]);
        return;
      }
      show(hash === "charts" ? "charts" : "runs");
    }
    window.addEventListener("hashchange", route);
    route();
  }

  function renderRunsTable(section, open) {
    const filters = add(section, "form", "filters");
    filters.id = "filters";
    filters.addEventListener("submit", (event) => event.preventDefault());
    const controls = {};
    function choice(name, text, values) {
      const label = add(filters, "label", "", text);
      const select = add(label, "select");
      select.name = name;
      add(select, "option", "", "any").value = "";
      for (const value of values) add(select, "option", "", vis(value)).value = value;
      controls[name] = select;
    }
    function input(name, text, type, placeholder) {
      const label = add(filters, "label", type === "checkbox" ? "check" : "", type === "checkbox" ? undefined : text);
      const field = el("input");
      field.name = name;
      field.type = type;
      if (placeholder) field.placeholder = placeholder;
      if (type === "checkbox") { label.appendChild(field); label.appendChild(document.createTextNode(text)); } else label.appendChild(field);
      controls[name] = field;
    }
    const distinct = (pick) => Array.from(new Set(DATA.runs.flatMap(pick).filter((value) => typeof value === "string" && value))).sort();
    choice("status", "status", ["ok", "error", "unfinished"]);
    input("failed", "failed (error, or recovered from one)", "checkbox");
    input("user", "user", "text", "user_id");
    input("session", "session", "text", "session_id");
    choice("service", "service", distinct((run) => [run.service]));
    choice("tool", "tool", distinct((run) => (Array.isArray(run.tools) ? run.tools : [])));
    choice("error_class", "error class", distinct(errorClassesOf));
    input("meta", "metadata", "text", "key=value");
    input("min_duration", "min duration (ms)", "number", "0");
    const count = add(section, "div", "muted");
    count.id = "runs-count";
    const table = add(section, "table", "runs");
    table.id = "runs";
    const headRow = add(add(table, "thead"), "tr");
    const body = add(table, "tbody");
    let sortKey = "start_epoch";
    let descending = true;
    const headers = [];
    for (const [text, key, type] of COLUMNS) {
      const th = add(headRow, "th", type === "num" ? "num" : "", text);
      th.dataset.key = key;
      th.addEventListener("click", () => {
        descending = sortKey === key ? !descending : type === "num";
        sortKey = key;
        draw();
      });
      headers.push(th);
    }
    function passes(run) {
      const status = controls.status.value;
      if (status && statusOf(run) !== status) return false;
      if (controls.failed.checked && !run.failed) return false;
      if (controls.user.value && run.user_id !== controls.user.value) return false;
      if (controls.session.value && run.session_id !== controls.session.value) return false;
      if (controls.service.value && run.service !== controls.service.value) return false;
      if (controls.tool.value && !(Array.isArray(run.tools) && run.tools.includes(controls.tool.value))) return false;
      if (controls.error_class.value && !errorClassesOf(run).includes(controls.error_class.value)) return false;
      if (!matchesMeta(run, controls.meta.value.trim())) return false;
      const minimum = parseFloat(controls.min_duration.value);
      if (isNum(minimum) && !(isNum(durationOf(run)) && durationOf(run) >= minimum)) return false;
      return true;
    }
    function draw() {
      const kept = DATA.runs.filter(passes);
      kept.sort((a, b) => {
        const x = sortValue(a, sortKey), y = sortValue(b, sortKey);
        const missing = (x === null || x === undefined) - (y === null || y === undefined);
        if (missing) return missing; // runs without the value last, either way
        const order = typeof x === "number" && typeof y === "number" ? x - y : asText(x).localeCompare(asText(y));
        return descending ? -order : order;
      });
      for (const th of headers) {
        th.classList.toggle("sorted-asc", th.dataset.key === sortKey && !descending);
        th.classList.toggle("sorted-desc", th.dataset.key === sortKey && descending);
      }
      count.textContent = kept.length + " of " + DATA.runs.length + " runs" +
        (kept.length > MAX_ROWS ? " (the first " + MAX_ROWS + " shown: narrow the filters)" : "");
      const rows = [];
      for (const run of kept.slice(0, MAX_ROWS)) {
        const row = el("tr");
        row.dataset.runId = run.run_id;
        if (run.failed) row.classList.add("failed");
        add(row, "td", "mono", vis(run.run_id).slice(0, 8)).title = vis(run.run_id);
        add(row, "td", "mono", vis(run.started));
        add(row, "td", "num", durationText(run));
        add(row, "td").appendChild(statusCell(statusOf(run)));
        add(row, "td", "", vis(run.stop_reason));
        add(row, "td", "num", String(run.total_steps || 0));
        add(row, "td", "num", String(run.tool_calls || 0));
        add(row, "td", "num", String(run.llm_calls || 0));
        add(row, "td", "num" + (run.errors ? " status-error" : ""), String(run.errors || 0));
        add(row, "td", "num", (run.input_tokens || 0) + "/" + (run.output_tokens || 0));
        add(row, "td", "num", usdText(run.cost_usd));
        add(row, "td", "cut", vis(run.user_id));
        add(row, "td", "cut", vis(run.session_id));
        add(row, "td", "cut", vis(run.service));
        row.addEventListener("click", () => open(run));
        rows.push(row);
      }
      body.replaceChildren(...rows);
    }
    filters.addEventListener("input", draw);
    filters.addEventListener("change", draw);
    draw();
  }

  // ---- charts (inline SVG) --------------------------------------------------------------------

  /** A horizontal bar chart: one group per row, one bar per series, the value written after it. */
  function barChart(parent, title, rows, series, format) {
    const box = add(parent, "div", "chart");
    add(box, "h3", "", title);
    if (!rows.length) { add(box, "p", "muted", "no data"); return box; }
    const labelWidth = 170, width = 560, barHeight = 12, gap = 8, plot = width - labelWidth - 110;
    const groupHeight = series.length * barHeight + gap;
    const height = rows.length * groupHeight + 22;
    const max = Math.max(1e-9, ...rows.flatMap((row) => series.map((s) => (isNum(row[s.key]) ? row[s.key] : 0))));
    const chart = svg("svg", { width, height, role: "img" });
    const label = svg("title", {});
    label.textContent = title;
    chart.appendChild(label);
    rows.forEach((row, index) => {
      const y = index * groupHeight;
      const name = svg("text", { x: labelWidth - 6, y: y + (series.length * barHeight) / 2 + 4, "text-anchor": "end" });
      const text = vis(row.label);
      name.textContent = text.length > 26 ? text.slice(0, 25) + "…" : text;
      const full = svg("title", {});
      full.textContent = text;
      name.appendChild(full);
      chart.appendChild(name);
      series.forEach((s, position) => {
        const value = row[s.key];
        const barY = y + position * barHeight;
        if (!isNum(value)) return;
        const rect = svg("rect", { x: labelWidth, y: barY, width: Math.max(0, (plot * value) / max), height: barHeight - 2, class: s.cls });
        const tip = svg("title", {});
        tip.textContent = text + " · " + s.name + ": " + format(value);
        rect.appendChild(tip);
        chart.appendChild(rect);
        const valueText = svg("text", { x: labelWidth + (plot * value) / max + 4, y: barY + barHeight - 3 });
        valueText.textContent = (series.length > 1 ? s.name + " " : "") + format(value);
        chart.appendChild(valueText);
      });
    });
    chart.appendChild(svg("line", { x1: labelWidth, y1: 0, x2: labelWidth, y2: height - 20, class: "axisline" }));
    box.appendChild(chart);
    return box;
  }

  function tokensChart(parent, buckets) {
    const box = add(parent, "div", "chart");
    add(box, "h3", "", "Tokens over time (runs by start time)");
    if (!buckets.length) { add(box, "p", "muted", "no data"); return box; }
    const width = 560, height = 200, left = 56, bottom = 34, plotW = width - left - 10, plotH = height - bottom - 10;
    const max = Math.max(1, ...buckets.map((b) => b.input + b.output));
    const chart = svg("svg", { width, height, role: "img" });
    const barW = plotW / buckets.length;
    buckets.forEach((bucket, index) => {
      const x = left + index * barW;
      const inH = (plotH * bucket.input) / max, outH = (plotH * bucket.output) / max;
      const inRect = svg("rect", { x, y: 10 + plotH - inH, width: Math.max(1, barW - 1), height: inH, class: "s0" });
      const outRect = svg("rect", { x, y: 10 + plotH - inH - outH, width: Math.max(1, barW - 1), height: outH, class: "s1" });
      for (const rect of [inRect, outRect]) {
        const tip = svg("title", {});
        tip.textContent = vis(bucket.label) + " · in " + bucket.input + " · out " + bucket.output;
        rect.appendChild(tip);
        chart.appendChild(rect);
      }
    });
    chart.appendChild(svg("line", { x1: left, y1: 10 + plotH, x2: width - 10, y2: 10 + plotH, class: "axisline" }));
    chart.appendChild(svg("line", { x1: left, y1: 10, x2: left, y2: 10 + plotH, class: "axisline" }));
    const top = svg("text", { x: left - 4, y: 14, "text-anchor": "end" });
    top.textContent = String(max);
    chart.appendChild(top);
    const zero = svg("text", { x: left - 4, y: 10 + plotH, "text-anchor": "end" });
    zero.textContent = "0";
    chart.appendChild(zero);
    const ends = buckets.length > 1 ? [[0, "start"], [buckets.length - 1, "end"]] : [[0, "start"]];
    for (const [index, anchor] of ends) {
      const stamp = svg("text", { x: index === 0 ? left : width - 10, y: height - 18, "text-anchor": anchor });
      stamp.textContent = vis(buckets[index].label);
      chart.appendChild(stamp);
    }
    const key = svg("text", { x: left, y: height - 3 });
    for (const [cls, text] of [["s0", "■ input  "], ["s1", "■ output"]]) {
      const part = svg("tspan", { class: cls });
      part.textContent = text;
      key.appendChild(part);
    }
    chart.appendChild(key);
    box.appendChild(chart);
    return box;
  }

  function renderCharts(section) {
    const stats = DATA.stats || {};
    const grid = add(section, "div", "charts");
    grid.id = "charts";
    const latency = (value) => fmtMs(value);
    const percent = (value) => (100 * value).toFixed(1) + "%";
    const count = (value) => String(value);
    for (const [kind, key] of [["tool", "tools"], ["model", "models"]]) {
      const rows = (Array.isArray(stats[key]) ? stats[key] : []).slice(0, 25).map((row) => ({
        ...row,
        label: row[kind],
        error_rate: isNum(row.error_rate) ? row.error_rate : isNum(row.errors) && row.calls ? row.errors / row.calls : undefined,
      }));
      barChart(grid, "Calls per " + kind, rows, [{ key: "calls", name: "calls", cls: "s0" }], count).dataset.chart = kind + "-calls";
      if (rows.some((row) => isNum(row.error_rate))) {
        barChart(grid, "Error rate per " + kind, rows, [{ key: "error_rate", name: "error rate", cls: "serr" }], percent).dataset.chart = kind + "-errors";
      }
      const percentiles = [["p50_ms", "p50", "s0"], ["p95_ms", "p95", "s1"], ["p99_ms", "p99", "s2"]]
        .filter(([field]) => rows.some((row) => isNum(row[field])))
        .map(([field, name, cls]) => ({ key: field, name, cls }));
      barChart(grid, "Latency per " + kind + " (" + percentiles.map((s) => s.name).join(", ") + ")", rows, percentiles, latency).dataset.chart = kind + "-latency";
    }
    tokensChart(grid, DATA.tokens || []).dataset.chart = "tokens";
  }

  const app = document.getElementById("app");
  if (DATA.mode === "run") renderRunView(app, DATA.view);
  else renderReport(app);
  document.body.dataset.rendered = "yes";
})();
