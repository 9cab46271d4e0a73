// The live sea map (海上态势): every AIS/BeiDou target as a heading arrow on canvas layers, moved in place by
// Server-Sent Events, with counts, a target card, track replay and a client-side search. Data comes only from
// this server; no framework, only the vendored Leaflet and ECharts.
(function () {
  "use strict";
  const el = document.getElementById("sea-map");
  if (!el || !window.L) return;
  const T = JSON.parse(document.getElementById("sea-strings").textContent);
  const C = JSON.parse(document.getElementById("sea-config").textContent);
  const LANG = document.documentElement.lang || "zh-CN";
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const fmt = (s, values) => s.replace(/%\((\w+)\)s/g, (m, k) => (k in values ? values[k] : m));
  const fmtN = (s, n) => fmt(s, { n });
  const num = (v, digits) => (v === null || v === undefined || Number.isNaN(v) ? "—" : Number(v).toFixed(digits));
  const label = (prefix, value) => T[prefix + value] || String(value ?? "—");

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then((r) => {
      if (!r.ok) { const err = new Error(r.status + " " + url); err.status = r.status; throw err; }
      return r.json();
    });
  }

  // ------------------------------------------------------------------ time in the display zone (Asia/Shanghai)
  const zoneParts = new Intl.DateTimeFormat("en-CA", {
    timeZone: C.timezone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  });
  function zoned(ms) {
    const p = {};
    for (const part of zoneParts.formatToParts(new Date(ms))) p[part.type] = part.value;
    return p;
  }
  function showTime(iso, withDate = true) {
    if (!iso) return "—";
    const p = zoned(Date.parse(iso));
    return (withDate ? `${p.year}-${p.month}-${p.day} ` : "") + `${p.hour}:${p.minute}:${p.second}`;
  }
  const toInput = (ms) => { const p = zoned(ms); return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`; };
  function zoneOffset(ms) {
    const p = zoned(ms);
    return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(ms / 1000) * 1000;
  }
  function fromInput(value) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || "");
    if (!m) return NaN;
    const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
    const first = wall - zoneOffset(wall);
    return wall - zoneOffset(first);
  }

  // ------------------------------------------------------------------ the map and its static layers
  const map = L.map(el, {
    preferCanvas: true, zoomSnap: 0.25, attributionControl: false, keyboard: true,
    center: [C.center[1], C.center[0]], zoom: C.zoom, minZoom: 6, maxZoom: 17,
  });
  for (const [name, z] of [["seaTrack", 455], ["seaTargets", 460], ["seaDistress", 640]]) {
    const pane = map.createPane(name);
    pane.style.zIndex = z;
    if (name === "seaTargets") pane.style.pointerEvents = "none";
  }
  L.control.scale({ imperial: false }).addTo(map);

  const gridStyles = {
    static: { color: "#1565c0", weight: 1, dashArray: "4 3", fillOpacity: 0.03 },
    control: { color: "#ef6c00", weight: 1.5, fillOpacity: 0.03 },
    patrol: { color: "#6a1b9a", weight: 2, dashArray: "8 4", fillOpacity: 0.02 },
  };
  const islands = L.geoJSON(null, { style: { color: "#8d6e63", weight: 1, fillColor: "#efebe9", fillOpacity: 1 }, interactive: false }).addTo(map);
  const seaGrids = {};
  for (const family of ["static", "control", "patrol"]) {
    seaGrids[family] = L.geoJSON(null, {
      style: gridStyles[family],
      onEachFeature: (f, layer) => layer.bindTooltip(esc(f.properties.code + " " + f.properties.name), { sticky: true }),
    });
  }
  const ports = L.geoJSON(null, {
    style: { color: "#00695c", weight: 1.5, fillColor: "#80cbc4", fillOpacity: 0.5 },
    pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 5, color: "#00695c", fillColor: "#80cbc4", fillOpacity: 0.9, weight: 1.5 }),
    onEachFeature: (f, layer) => layer.bindTooltip(esc(f.properties.name)),
  });
  const groups = L.geoJSON(null, {
    style: { color: "#c2185b", weight: 1.5, dashArray: "2 4", fill: false },
    onEachFeature: (f, layer) => layer.bindTooltip(esc(f.properties.code + " " + f.properties.name + " · " + T.members + " " + (f.properties.members ?? ""))),
  });
  getJSON("/api/grids/layers/islands").then((d) => islands.addData(d)).catch(() => {}); // land is decoration only
  const layersReady = getJSON("/api/maritime/layers").then((d) => {
    for (const f of (d.sea_grids && d.sea_grids.features) || []) {
      const layer = seaGrids[f.properties.family];
      if (layer) layer.addData(f);
    }
    ports.addData(d.ports || { type: "FeatureCollection", features: [] });
    groups.addData(d.groups || { type: "FeatureCollection", features: [] });
    return d;
  }).catch((e) => { console.warn("sea layers:", e); return {}; });

  // ------------------------------------------------------------------ targets: one store, drawn on canvas layers
  const targets = new Map(); // key -> target (the API shape plus cached projection)
  // Canvas layer (or the distress markers) of each class; vessels split by kind, the rest (SAR aircraft,
  // unknown) drawn with the merchant and other vessels.
  const CATEGORY = { net_beacon: "beacon", aton: "aid", base_station: "aid", sart: "distress", mob: "distress", epirb: "distress" };
  const category = (t) => (t.class === "vessel" ? (t.kind === "fishing" ? "fishing" : "other") : CATEGORY[t.class] || "other");
  const KIND_COLOUR = { fishing: "#2e7d32", merchant: "#1565c0", other: "#6d4c41" };
  const STATE_ORDER = ["lost", "stale", "in_port", "at_sea"];
  const SPEEDS = [10, 60, 300, 1200, 3600]; // replay speeds, times real time
  let serverSkewMs = 0; // server clock minus browser clock, from the stream's "now"
  let selectedKey = null;

  function effectiveState(t, nowMs) {
    // The server says in_port or at_sea when it last sent the target; age it here until the next update.
    if (t.state === "lost") return "lost";
    const age = nowMs - t._seenMs;
    if (age > C.lost_minutes * 60000) return "lost";
    if (age > C.stale_minutes * 60000) return "stale";
    return t.state;
  }
  function direction(t) {
    const h = t.heading_deg !== null && t.heading_deg !== undefined && t.heading_deg < 360 ? t.heading_deg : null;
    const c = t.cog_deg !== null && t.cog_deg !== undefined && t.cog_deg < 360 ? t.cog_deg : null;
    if ((t.sog_kn ?? 0) < 0.5 && h === null) return null;
    if ((t.sog_kn ?? 0) < 0.5) return h;
    return h ?? c;
  }

  // Symbols are pre-rendered once per style, size and 5° of heading on small canvases, then stamped with
  // drawImage: ten thousand stamps cost a few milliseconds where as many filled and stroked paths cost ~100.
  const sprites = new Map();
  function symbolStyle(cat, state, kind) {
    const colour = KIND_COLOUR[kind] || KIND_COLOUR.other;
    if (cat === "beacon") return { fill: state === "stale" || state === "lost" ? "rgba(255,143,0,.4)" : "#ff8f00", stroke: "#5d4037", width: 0.8 };
    if (cat === "aid") return { fill: kind === "base_station" ? "#455a64" : "#ad1457", stroke: "#fff", width: 1 };
    if (state === "in_port") return { fill: "rgba(255,255,255,.9)", stroke: colour, width: 1.4 };
    if (state === "stale") return { fill: colour + "66", stroke: "#e65100", width: 1.2, dash: [2, 2] };
    if (state === "lost") return { fill: "rgba(158,158,158,.55)", stroke: "#616161", width: 1, dash: [2, 2] };
    return { fill: colour, stroke: "rgba(0,0,0,.6)", width: 0.8 };
  }
  function traceSymbol(g, shape, s, deg) {
    g.beginPath();
    if (shape === "dot") { g.arc(0, 0, s * 0.7, 0, Math.PI * 2); return; }
    if (shape === "diamond") { const r = s * 0.75; g.moveTo(0, -r); g.lineTo(r, 0); g.lineTo(0, r); g.lineTo(-r, 0); g.closePath(); return; }
    if (shape === "square") { const r = s * 0.85; g.rect(-r, -r, 2 * r, 2 * r); return; }
    if (shape === "triangle") { const r = s * 1.1; g.moveTo(0, -r); g.lineTo(r * 0.9, r * 0.7); g.lineTo(-r * 0.9, r * 0.7); g.closePath(); return; }
    // Nose, starboard quarter, stern notch, port quarter: rotated clockwise from north by the heading.
    const a = (deg * Math.PI) / 180, cos = Math.cos(a), sin = Math.sin(a);
    const pts = [[0, -1.5 * s], [0.8 * s, 1.05 * s], [0, 0.5 * s], [-0.8 * s, 1.05 * s]];
    pts.forEach(([px, py], i) => g[i ? "lineTo" : "moveTo"](px * cos - py * sin, px * sin + py * cos));
    g.closePath();
  }
  function symbolFor(cat, state, t, s, ratio) {
    let shape = "arrow", kind = t.kind, deg = 0;
    if (cat === "beacon") shape = "diamond";
    else if (cat === "aid") { kind = t.class; shape = t.class === "base_station" ? "square" : "triangle"; }
    else {
      const d = direction(t);
      if (d === null) shape = "dot"; else deg = (Math.round(d / 5) * 5) % 360;
    }
    const key = cat + state + kind + shape + deg + "|" + s + "|" + ratio;
    let img = sprites.get(key);
    if (img) return img;
    if (sprites.size > 6000) sprites.clear();
    const half = Math.ceil(s * 1.8 + 2);
    img = document.createElement("canvas");
    img.width = img.height = Math.ceil(2 * half * ratio);
    img.half = half;
    const g = img.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, half * ratio, half * ratio);
    const st = symbolStyle(cat, state, kind);
    traceSymbol(g, shape, s, deg);
    g.fillStyle = st.fill;
    g.fill();
    g.setLineDash(st.dash || []);
    g.lineWidth = st.width;
    g.strokeStyle = st.stroke;
    g.stroke();
    sprites.set(key, img);
    return img;
  }

  // A Leaflet renderer that draws a whole category of targets on one canvas, batched by style; panning moves
  // the canvas with the map pane, a zoom animates it like Leaflet's own canvas, and it repaints on moveend.
  const TargetLayer = L.Renderer.extend({
    options: { padding: 0.25, pane: "seaTargets" },
    initialize(cat, options) {
      L.Renderer.prototype.initialize.call(this, options);
      this.cat = cat;
      this.items = new Map();
      this.drawn = 0;
      this.lastDrawMs = 0;
    },
    _initContainer() {
      this._container = document.createElement("canvas");
      this._container.setAttribute("aria-hidden", "true");
      this._ctx = this._container.getContext("2d");
    },
    _destroyContainer() {
      L.DomUtil.remove(this._container);
      delete this._ctx;
      delete this._container;
    },
    _updatePaths() {},
    _update() {
      if (this._map._animatingZoom && this._bounds) return;
      L.Renderer.prototype._update.call(this);
      const b = this._bounds, size = b.getSize(), ratio = window.devicePixelRatio || 1;
      L.DomUtil.setPosition(this._container, b.min);
      this._container.width = ratio * size.x;
      this._container.height = ratio * size.y;
      this._container.style.width = size.x + "px";
      this._container.style.height = size.y + "px";
      this._ratio = ratio;
      this.draw();
    },
    draw() {
      if (!this._map || !this._ctx) return;
      const started = performance.now();
      const ctx = this._ctx, b = this._bounds, size = b.getSize(), ratio = this._ratio;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, size.x, size.y);
      ctx.setTransform(ratio, 0, 0, ratio, -b.min.x * ratio, -b.min.y * ratio);
      const zoom = this._map.getZoom(), origin = this._map.getPixelOrigin();
      const s = zoom < 8.5 ? 2.6 : zoom < 10 ? 3.6 : zoom < 12 ? 4.6 : 5.6;
      const nowMs = Date.now() + serverSkewMs;
      const byState = { lost: [], stale: [], in_port: [], at_sea: [] };
      const minX = b.min.x - 10, minY = b.min.y - 10, maxX = b.max.x + 10, maxY = b.max.y + 10;
      let drawn = 0;
      for (const t of this.items.values()) {
        if (t._zoom !== zoom) {
          const p = this._map.project([t.lat, t.lon], zoom);
          t._px = p.x; t._py = p.y; t._zoom = zoom;
        }
        const x = t._px - origin.x, y = t._py - origin.y;
        t._lx = x; t._ly = y;
        if (x < minX || x > maxX || y < minY || y > maxY) { t._shown = false; continue; }
        t._shown = true;
        drawn += 1;
        (byState[effectiveState(t, nowMs)] || byState.at_sea).push(t);
      }
      // Stamp pre-rendered symbols, the live ones last so they stay on top.
      for (const state of STATE_ORDER) {
        for (const t of byState[state]) {
          const img = symbolFor(this.cat, state, t, s, ratio);
          // Whole pixels keep drawImage a plain copy rather than a resampling.
          ctx.drawImage(img, Math.round(t._lx) - img.half, Math.round(t._ly) - img.half, 2 * img.half, 2 * img.half);
        }
      }
      const sel = selectedKey !== null ? this.items.get(selectedKey) : null;
      if (sel && sel._shown) {
        ctx.beginPath();
        ctx.arc(sel._lx, sel._ly, s * 2.6, 0, Math.PI * 2);
        ctx.lineWidth = 2.5; ctx.strokeStyle = "#d50000"; ctx.setLineDash([]);
        ctx.stroke();
      }
      this.drawn = drawn;
      this.lastDrawMs = performance.now() - started;
    },
    nearest(layerPoint, radius) {
      let best = null, bestD = radius * radius;
      for (const t of this.items.values()) {
        if (!t._shown) continue;
        const dx = t._lx - layerPoint.x, dy = t._ly - layerPoint.y, d = dx * dx + dy * dy;
        if (d <= bestD) { best = t; bestD = d; }
      }
      return best ? { target: best, d2: bestD } : null;
    },
  });

  const layers = {
    fishing: new TargetLayer("fishing"),
    other: new TargetLayer("other"),
    beacon: new TargetLayer("beacon"),
    aid: new TargetLayer("aid"),
  };
  layers.fishing.addTo(map); layers.other.addTo(map); layers.aid.addTo(map);
  seaGrids.static.addTo(map); ports.addTo(map);

  // Distress targets are few and must never be missed: DOM markers, always on, pulsing red, keyboard-reachable.
  const distress = L.layerGroup().addTo(map);
  const distressMarkers = new Map();
  function distressIcon() {
    return L.divIcon({ className: "sea-distress", iconSize: [22, 22], html: "<span class='ring'></span><span class='dot'></span>" });
  }
  function placeDistress(t) {
    let m = distressMarkers.get(t.key);
    const title = label("class_", t.class) + " " + (t.mmsi ?? "");
    if (!m) {
      m = L.marker([t.lat, t.lon], { icon: distressIcon(), pane: "seaDistress", keyboard: true, title, riseOnHover: true });
      m.on("click", () => openCard(t.key));
      distressMarkers.set(t.key, m);
      distress.addLayer(m);
      const icon = m.getElement();
      if (icon) { icon.setAttribute("role", "button"); icon.setAttribute("aria-label", title); icon.dataset.key = t.key; }
    } else {
      m.setLatLng([t.lat, t.lon]);
    }
  }

  const overlays = {};
  overlays[T.fishing_vessels] = layers.fishing;
  overlays[T.other_vessels] = layers.other;
  overlays[T.net_beacons] = layers.beacon;
  overlays[T.aids] = layers.aid;
  overlays[T.groups] = groups;
  overlays[T.sea_static] = seaGrids.static;
  overlays[T.sea_control] = seaGrids.control;
  overlays[T.sea_patrol] = seaGrids.patrol;
  overlays[T.ports] = ports;
  // On a phone the layer list and the legend fold away so the map stays visible.
  const narrow = window.matchMedia("(max-width: 900px)").matches;
  L.control.layers(null, overlays, { collapsed: narrow, position: "topright" }).addTo(map);
  if (narrow) document.getElementById("sea-legend").open = false;

  let drawRequest = null;
  const dirty = new Set();
  function scheduleDraw(cat) {
    if (cat) dirty.add(cat); else Object.keys(layers).forEach((c) => dirty.add(c));
    if (drawRequest !== null) return;
    drawRequest = requestAnimationFrame(() => {
      drawRequest = null;
      for (const c of dirty) if (map.hasLayer(layers[c])) layers[c].draw();
      dirty.clear();
    });
  }

  function upsert(raw) {
    const key = raw.key;
    const old = targets.get(key);
    const cat = category(raw);
    const t = Object.assign(old || {}, raw);
    t._seenMs = Date.parse(raw.observed_at);
    t._zoom = null; // position may have changed: project again
    if (old && old._cat !== cat) removeFromCategory(old);
    t._cat = cat;
    targets.set(key, t);
    if (cat === "distress") placeDistress(t);
    else layers[cat].items.set(key, t);
    return cat;
  }
  function removeFromCategory(t) {
    if (t._cat === "distress") { const m = distressMarkers.get(t.key); if (m) distress.removeLayer(m); distressMarkers.delete(t.key); }
    else if (layers[t._cat]) layers[t._cat].items.delete(t.key);
  }

  function applyPositions(data, full) {
    if (data.now) serverSkewMs = Date.parse(data.now) - Date.now();
    const touched = new Set();
    if (full) {
      const keep = new Set(data.targets.map((t) => t.key));
      for (const t of [...targets.values()]) if (!keep.has(t.key)) { removeFromCategory(t); targets.delete(t.key); touched.add(t._cat); }
    }
    for (const raw of data.targets) touched.add(upsert(raw));
    touched.delete("distress");
    touched.forEach((c) => scheduleDraw(c));
    if (selectedKey !== null && data.targets.some((t) => t.key === selectedKey)) refreshCardLive();
    document.getElementById("sea-total").textContent = fmtN(T.targets_shown, targets.size);
  }

  // ------------------------------------------------------------------ the live stream (SSE) and its badge
  const badge = document.getElementById("sea-status");
  function setStatus(state) {
    if (badge.dataset.state === state) return;
    badge.dataset.state = state;
    badge.className = "sea-status " + state;
    badge.textContent = { live: T.live, reconnecting: T.reconnecting, connecting: T.connecting }[state];
  }
  let stream = null;
  function connect() {
    let first = true;
    stream = new EventSource("/api/maritime/stream");
    stream.addEventListener("open", () => setStatus("live"));
    stream.addEventListener("positions", (ev) => {
      const data = JSON.parse(ev.data);
      applyPositions(data, typeof data.snapshot === "boolean" ? data.snapshot : first);
      first = false;
      setStatus("live");
    });
    stream.addEventListener("counts", (ev) => renderCounts(JSON.parse(ev.data)));
    stream.addEventListener("error", () => {
      setStatus("reconnecting");
      first = true; // the server opens every connection with a full snapshot
      if (stream.readyState === EventSource.CLOSED) { stream.close(); setTimeout(connect, 3000); }
    });
  }
  connect();
  window.addEventListener("pagehide", () => stream && stream.close());
  // Age targets into stale and lost even when nothing new arrives.
  setInterval(() => scheduleDraw(), 15000);

  // ------------------------------------------------------------------ counts panel
  let chart = null;
  function renderCounts(c) {
    if (!c) return;
    const v = c.vessels || {};
    document.getElementById("n-at-sea").textContent = v.at_sea ?? "–";
    document.getElementById("n-in-port").textContent = v.in_port ?? "–";
    const ingest = c.ingest || {};
    document.getElementById("n-rate").textContent = ingest.rate_per_s !== undefined ? Number(ingest.rate_per_s).toFixed(1) : "–";
    document.getElementById("sea-ingest").textContent = ingest.lines !== undefined
      ? fmt(T.ingest, { lines: ingest.lines, messages: ingest.messages ?? "–" }) : "";
    const byClass = Object.entries(c.by_class || {}).sort((a, b) => b[1] - a[1]);
    document.querySelector("#sea-by-class tbody").innerHTML = byClass
      .map(([k, n]) => `<tr data-class="${esc(k)}"><td>${esc(label("class_", k))}</td><td class="num">${n}</td></tr>`).join("");
    const grids = (c.by_sea_grid || []).slice().sort((a, b) => b.vessels - a.vessels);
    document.querySelector("#sea-by-grid tbody").innerHTML = grids
      .map((g) => `<tr><td>${esc(g.code)} ${esc(g.name)}</td><td class="num">${g.vessels}</td></tr>`).join("");
    if (!window.echarts) return;
    const top = grids.filter((g) => g.vessels > 0).slice(0, 12).reverse();
    if (!chart) chart = echarts.init(document.getElementById("sea-grid-chart"), null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      grid: { left: 8, right: 28, top: 6, bottom: 6, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", minInterval: 1, axisLabel: { fontSize: 10 } },
      yAxis: { type: "category", data: top.map((g) => g.name || g.code), axisLabel: { fontSize: 11, width: 110, overflow: "truncate" } },
      series: [{ type: "bar", name: T.vessels, data: top.map((g) => g.vessels), itemStyle: { color: "#1565c0" }, label: { show: true, position: "right", fontSize: 10 } }],
    });
  }
  getJSON("/api/maritime/counts").then(renderCounts).catch((e) => console.warn("counts:", e));
  window.addEventListener("resize", () => chart && chart.resize());

  // ------------------------------------------------------------------ clicks and hover on the canvas targets
  function hit(layerPoint) {
    let best = null;
    for (const c of ["aid", "beacon", "other", "fishing"]) {
      if (!map.hasLayer(layers[c])) continue;
      const found = layers[c].nearest(layerPoint, 10);
      if (found && (!best || found.d2 < best.d2)) best = found;
    }
    return best ? best.target : null;
  }
  // While the alert console picks a point ("who is near"), a click belongs to it, not to the targets.
  const modes = { picking: false };
  map.on("click", (e) => { if (modes.picking) return; const t = hit(e.layerPoint); if (t) openCard(t.key); });
  const hover = L.tooltip({ direction: "top", offset: [0, -8], className: "sea-hover" });
  let hoverFrame = null, hoverEvent = null;
  map.on("mousemove", (e) => {
    hoverEvent = e;
    if (hoverFrame !== null) return;
    hoverFrame = requestAnimationFrame(() => {
      hoverFrame = null;
      const t = hit(hoverEvent.layerPoint);
      el.classList.toggle("over-target", !!t);
      if (t) hover.setLatLng([t.lat, t.lon]).setContent(esc(t.name || t.mmsi || T.unnamed)).openOn(map);
      else if (map.hasLayer(hover)) map.closeTooltip(hover);
    });
  });

  // ------------------------------------------------------------------ the target card
  const card = document.getElementById("sea-card");
  const targetName = (t) => t.name || (t.mmsi ? String(t.mmsi) : T.unnamed);
  function facts(rows) {
    return "<dl class='facts'>" + rows.filter(Boolean).map(([k, v, field]) =>
      `<dt>${esc(k)}</dt><dd${field ? ` data-field="${field}"` : ""}>${v}</dd>`).join("") + "</dl>";
  }
  function liveFacts(t) {
    return {
      state: esc(label("state_", effectiveState(t, Date.now() + serverSkewMs))),
      sog: num(t.sog_kn, 1), cog: num(t.cog_deg, 1), heading: num(t.heading_deg, 0),
      nav: t.nav_status === null || t.nav_status === undefined ? "—" : esc(T["nav_" + t.nav_status] || String(t.nav_status)),
      seen: esc(showTime(t.observed_at)), source: esc(label("source_", t.source)),
      position: `${num(t.lat, 5)}°N ${num(t.lon, 5)}°E`,
    };
  }
  function refreshCardLive() {
    const t = targets.get(selectedKey);
    if (!t || card.hidden) return;
    const f = liveFacts(t);
    for (const [field, value] of Object.entries(f)) {
      const dd = card.querySelector(`[data-field="${field}"]`);
      if (dd) dd.innerHTML = value;
    }
  }
  function selectKey(key) {
    const before = selectedKey !== null ? targets.get(selectedKey) : null;
    selectedKey = key;
    if (before) scheduleDraw(before._cat);
    const now = key !== null ? targets.get(key) : null;
    if (now) scheduleDraw(now._cat);
  }
  let cardRequest = 0;
  function openCard(key) {
    const ticket = ++cardRequest;
    selectKey(key);
    stopReplay(true);
    card.hidden = false;
    card.dataset.key = key;
    card.innerHTML = `<p class="muted">…</p>`;
    return getJSON("/api/maritime/targets/" + encodeURIComponent(key)).then((d) => {
      if (ticket !== cardRequest) return null;
      renderCard(d);
      return d;
    }).catch((err) => {
      if (ticket !== cardRequest) return;
      card.innerHTML = closeButton() + `<p class="error" role="alert">${esc(err.status === 404 ? T.not_found : T.load_failed)}</p>`;
    });
  }
  const closeButton = () => `<button type="button" class="sea-close" data-action="close" aria-label="${esc(T.close)}" title="${esc(T.close)}">×</button>`;
  function renderCard(d) {
    const t = Object.assign({}, targets.get(d.target.key) || {}, d.target);
    const f = liveFacts(t);
    const st = d.static || {};
    let html = closeButton() + `<h2 id="sea-card-title">${esc(targetName(t))}</h2>` +
      `<p class="muted"><span class="tag">${esc(label("class_", t.class))}</span>` +
      (t.class === "vessel" ? `<span class="tag">${esc(label("kind_", t.kind))}</span>` : "") + "</p>" +
      facts([
        [T.mmsi, `<span class="mmsi">${esc(t.mmsi ?? "—")}</span>`],
        st.shipname && st.shipname !== t.name ? [T.shipname, esc(st.shipname)] : null,
        st.callsign ? [T.callsign, esc(st.callsign)] : null,
        st.destination ? [T.destination, esc(st.destination)] : null,
        [T.state, f.state, "state"], [T.sog, f.sog, "sog"], [T.cog, f.cog, "cog"], [T.heading, f.heading, "heading"],
        [T.nav_status, f.nav, "nav"], [T.last_seen, f.seen, "seen"], [T.source, f.source, "source"],
        [T.position, f.position, "position"],
      ]);
    if (d.vessel) {
      const v = d.vessel;
      const url = v.url || `/fleet/vessels/${encodeURIComponent(v.id)}`;
      html += `<h3>${esc(T.vessel_file)}</h3>` + facts([
        [T.registration_no, `<span class="reg-no">${esc(v.registration_no)}</span>`],
        [T.vessel_name, esc(v.name)],
        [T.operation_type, esc(label("op_", v.operation_type))],
        [T.home_port, esc(v.home_port || "—")],
      ]) + `<p><a class="vessel-link" href="${esc(url)}">${esc(T.open_vessel)}</a></p>`;
    }
    if (d.group) {
      html += `<h3>${esc(T.group)}</h3><p class="group"><a href="/fleet/groups/${encodeURIComponent(d.group.code)}">` +
        `${esc(d.group.code)} ${esc(d.group.name)}</a> <span class="muted">· ${esc(T.members)} ${esc(d.group.members ?? "")}</span></p>`;
    }
    if (d.vessel || (d.cadres && d.cadres.length)) {
      const cadres = (d.cadres || []).map((c) => `<li>${esc(c.name)}${c.role ? `（${esc(c.role)}）` : ""} <span class="muted">${esc(c.phone || "")}</span></li>`).join("");
      html += `<h3>${esc(T.cadres)}</h3><ul class="cadres">${cadres || `<li class="error">${esc(T.no_cadre)}</li>`}</ul>`;
    }
    const end = Date.now() + serverSkewMs, start = end - 2 * 3600 * 1000;
    html += `<section class="replay" aria-labelledby="replay-title"><h3 id="replay-title">${esc(T.replay)}</h3>` +
      `<form class="replay-range" data-key="${esc(t.key)}">` +
      `<label>${esc(T.from)} <input type="datetime-local" name="start" value="${toInput(start)}" required></label>` +
      `<label>${esc(T.to)} <input type="datetime-local" name="end" value="${toInput(end + 60000)}" required></label>` +
      `<button type="submit" data-test="replay">${esc(T.replay_load)}</button></form>` +
      `<div class="replay-controls" hidden>` +
      `<button type="button" class="secondary" data-action="toggle" data-test="replay-toggle">${esc(T.pause)}</button>` +
      `<label>${esc(T.speed)} <select name="speed" data-test="replay-speed">${SPEEDS.map((s) => `<option value="${s}">×${s}</option>`).join("")}</select></label>` +
      `<input type="range" min="0" max="1000" value="0" step="1" aria-label="${esc(T.time)}" data-action="seek">` +
      `<output class="replay-time" aria-live="off"></output></div>` +
      `<p class="replay-note muted" role="status"></p></section>`;
    const reports = (d.last_reports || []).map((r) => `<tr><td title="${esc(showTime(r.observed_at))}">${esc(showTime(r.observed_at, false))}</td>` +
      `<td class="num">${num(r.sog_kn, 1)}</td><td class="num">${num(r.cog_deg, 0)}</td>` +
      `<td>${esc(label("source_", r.source))}${r.msg_type ? ` <span class="muted">#${esc(r.msg_type)}</span>` : ""}</td><td>${esc(r.station || "—")}</td></tr>`).join("");
    html += `<h3>${esc(T.last_reports)}</h3><div class="table-wrap"><table class="grid compact last-reports"><thead><tr>` +
      `<th scope="col">${esc(T.time)}</th><th scope="col" class="num">${esc(T.sog)}</th><th scope="col" class="num">${esc(T.cog)}</th>` +
      `<th scope="col">${esc(T.source)}</th><th scope="col">${esc(T.station)}</th></tr></thead>` +
      `<tbody>${reports || `<tr><td colspan="5" class="muted">${esc(T.no_records)}</td></tr>`}</tbody></table></div>`;
    card.innerHTML = html;
    card.dataset.key = t.key;
    card.parentElement.scrollTop = 0;
    card.focus({ preventScroll: true });
    // The alert console adds the vessel's alert history to the card.
    card.dispatchEvent(new CustomEvent("sea:card", { detail: d, bubbles: true }));
  }
  card.addEventListener("click", (ev) => {
    const btn = ev.target.closest("[data-action]");
    if (!btn) return;
    if (btn.dataset.action === "close") { closeCard(); return; }
    if (btn.dataset.action === "toggle") { if (replay.playing) pauseReplay(); else playReplay(); }
  });
  card.addEventListener("submit", (ev) => {
    const form = ev.target.closest("form.replay-range");
    if (!form) return;
    ev.preventDefault();
    const start = fromInput(form.start.value), end = fromInput(form.end.value);
    const note = card.querySelector(".replay-note");
    if (!(start < end)) { note.textContent = T.bad_range; return; }
    loadTrack(Number(form.dataset.key), new Date(start).toISOString(), new Date(end).toISOString());
  });
  card.addEventListener("change", (ev) => {
    if (ev.target.name === "speed") replay.speed = Number(ev.target.value);
  });
  card.addEventListener("input", (ev) => {
    if (ev.target.dataset.action !== "seek" || !replay.times) return;
    replay.cur = replay.t0 + ((replay.t1 - replay.t0) * Number(ev.target.value)) / 1000;
    moveReplayMarker();
  });
  function closeCard() {
    cardRequest += 1;
    stopReplay(true);
    card.hidden = true;
    card.innerHTML = "";
    delete card.dataset.key;
    selectKey(null);
  }
  document.addEventListener("keydown", (ev) => {
    if (ev.key !== "Escape") return;
    if (!document.getElementById("sea-results").hidden) document.getElementById("sea-results").hidden = true;
    else if (!card.hidden) closeCard();
  });
  document.addEventListener("click", (ev) => {
    if (!ev.target.closest(".sea-search-wrap")) document.getElementById("sea-results").hidden = true;
  });

  // ------------------------------------------------------------------ track replay (轨迹回放)
  const replayLayer = L.layerGroup().addTo(map);
  const replay = { line: null, marker: null, points: [], times: null, t0: 0, t1: 0, cur: 0, speed: 60, playing: false, frame: null, last: 0 };
  function stopReplay(clear) {
    pauseReplay();
    if (clear) { replayLayer.clearLayers(); replay.line = null; replay.marker = null; replay.points = []; replay.times = null; }
  }
  function loadTrack(key, startIso, endIso) {
    const note = card.querySelector(".replay-note");
    stopReplay(true);
    note.textContent = "…";
    const url = `/api/maritime/tracks/${encodeURIComponent(key)}?start=${encodeURIComponent(startIso)}&end=${encodeURIComponent(endIso)}`;
    return getJSON(url).then((d) => {
      if (String(card.dataset.key) !== String(key)) return;
      const pts = (d.points || []).filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lon));
      if (pts.length < 2) { note.textContent = T.no_track; return; }
      replay.points = pts;
      replay.times = pts.map((p) => Date.parse(p.t));
      replay.t0 = replay.times[0];
      replay.t1 = replay.times[replay.times.length - 1];
      replay.cur = replay.t0;
      const span = Math.max(1, (replay.t1 - replay.t0) / 1000);
      // About twenty seconds of playback by default, whatever the period.
      replay.speed = SPEEDS.reduce((a, b) => (Math.abs(Math.log(b / (span / 20))) < Math.abs(Math.log(a / (span / 20))) ? b : a));
      replay.line = L.polyline(pts.map((p) => [p.lat, p.lon]), { pane: "seaTrack", color: "#d50000", weight: 2.5, opacity: 0.85, interactive: false }).addTo(replayLayer);
      for (const p of [pts[0], pts[pts.length - 1]]) {
        L.circleMarker([p.lat, p.lon], { pane: "seaTrack", radius: 3.5, color: "#d50000", fillColor: "#fff", fillOpacity: 1, weight: 2, interactive: false }).addTo(replayLayer);
      }
      replay.marker = L.marker([pts[0].lat, pts[0].lon], {
        pane: "seaDistress", keyboard: false, interactive: false,
        icon: L.divIcon({ className: "sea-replay-marker", iconSize: [28, 28], html: "<svg viewBox='-11 -11 22 22' aria-hidden='true'><path d='M0,-9 L6,7 L0,3 L-6,7 Z'/></svg>" }),
      }).addTo(replayLayer);
      const icon = replay.marker.getElement();
      icon.dataset.test = "replay-marker";
      icon.setAttribute("role", "img");
      icon.setAttribute("aria-label", T.replay);
      map.fitBounds(replay.line.getBounds(), { padding: [40, 40], maxZoom: 15 });
      card.querySelector(".replay-controls").hidden = false;
      card.querySelector("select[name=speed]").value = String(replay.speed);
      note.textContent = fmtN(T.track_points, pts.length) + " · " + showTime(pts[0].t) + " – " + showTime(pts[pts.length - 1].t, false);
      moveReplayMarker();
      playReplay();
    }).catch((err) => { note.textContent = err.status === 422 ? T.bad_range : T.load_failed; });
  }
  function playReplay() {
    if (!replay.times) return;
    if (replay.cur >= replay.t1) replay.cur = replay.t0;
    replay.playing = true;
    replay.last = performance.now();
    const btn = card.querySelector("[data-action=toggle]");
    if (btn) btn.textContent = T.pause;
    replay.frame = requestAnimationFrame(stepReplay);
  }
  function pauseReplay() {
    replay.playing = false;
    if (replay.frame !== null) cancelAnimationFrame(replay.frame);
    replay.frame = null;
    const btn = card.querySelector("[data-action=toggle]");
    if (btn) btn.textContent = T.play;
  }
  function stepReplay(now) {
    if (!replay.playing) return;
    replay.cur = Math.min(replay.t1, replay.cur + (now - replay.last) * replay.speed);
    replay.last = now;
    moveReplayMarker();
    if (replay.cur >= replay.t1) { pauseReplay(); return; }
    replay.frame = requestAnimationFrame(stepReplay);
  }
  function moveReplayMarker() {
    if (!replay.marker) return;
    const times = replay.times, pts = replay.points;
    let lo = 0, hi = times.length - 1;
    while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (times[mid] <= replay.cur) lo = mid; else hi = mid; }
    const a = pts[lo], b = pts[hi];
    const f = times[hi] > times[lo] ? Math.min(1, Math.max(0, (replay.cur - times[lo]) / (times[hi] - times[lo]))) : 0;
    const lat = a.lat + (b.lat - a.lat) * f, lon = a.lon + (b.lon - a.lon) * f;
    replay.marker.setLatLng([lat, lon]);
    const pa = map.project([a.lat, a.lon]), pb = map.project([b.lat, b.lon]);
    const course = pa.equals(pb) ? a.cog_deg ?? 0 : (Math.atan2(pb.x - pa.x, pa.y - pb.y) * 180) / Math.PI;
    const svg = replay.marker.getElement().querySelector("svg");
    svg.style.transform = `rotate(${course}deg)`;
    const seek = card.querySelector("[data-action=seek]");
    if (seek && replay.t1 > replay.t0) seek.value = String(Math.round((1000 * (replay.cur - replay.t0)) / (replay.t1 - replay.t0)));
    const out = card.querySelector(".replay-time");
    if (out) out.textContent = showTime(new Date(replay.cur).toISOString(), false) + " · " + num(a.sog_kn, 1) + " kn";
  }

  // ------------------------------------------------------------------ search within the loaded targets
  const results = document.getElementById("sea-results");
  function search(q) {
    const text = q.trim().toLowerCase();
    if (!text) return [];
    const found = [];
    for (const t of targets.values()) {
      const mmsi = t.mmsi ? String(t.mmsi) : "";
      const name = (t.name || "").toLowerCase(), reg = (t.registration_no || "").toLowerCase();
      let rank = -1;
      if (mmsi === text || name === text || reg === text) rank = 0;
      else if (/^\d+$/.test(text) && mmsi.startsWith(text)) rank = 1;
      else if (name.includes(text) || (reg && reg.includes(text))) rank = 2;
      if (rank >= 0) found.push([rank, t]);
    }
    found.sort((a, b) => a[0] - b[0] || targetName(a[1]).localeCompare(targetName(b[1]), LANG));
    return found.slice(0, 20).map((x) => x[1]);
  }
  function goTo(t) {
    results.hidden = true;
    if (t._cat && layers[t._cat] && !map.hasLayer(layers[t._cat])) layers[t._cat].addTo(map);
    map.flyTo([t.lat, t.lon], Math.max(map.getZoom(), 12), { duration: 0.8 });
    return openCard(t.key);
  }
  document.getElementById("sea-search").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const found = search(ev.target.q.value);
    if (found.length === 1 || (found.length && (String(found[0].mmsi) === ev.target.q.value.trim() || found[0].name === ev.target.q.value.trim()))) {
      goTo(found[0]);
      return;
    }
    results.innerHTML = found.length ? "" : `<li class="muted">${esc(T.no_results)}</li>`;
    for (const t of found) {
      const li = document.createElement("li");
      li.innerHTML = `<button type="button" class="link-button" data-key="${t.key}">${esc(targetName(t))}</button> <span class="muted">${esc(t.mmsi ?? "")} · ${esc(label("class_", t.class))}</span>`;
      results.appendChild(li);
    }
    results.hidden = false;
  });
  results.addEventListener("click", (ev) => {
    const b = ev.target.closest("button[data-key]");
    if (b) { const t = targets.get(Number(b.dataset.key)); if (t) goTo(t); }
  });

  // For tests and the console: the map, the store, and where a target is on screen.
  window.pinganSea = {
    map, targets, layers, replay, openCard, search, modes, layersReady,
    goToKey: (key) => { const t = targets.get(Number(key)); return t ? goTo(t) : openCard(Number(key)); },
    serverNow: () => Date.now() + serverSkewMs,
    drawn: (cats = ["fishing", "other"]) => cats.reduce((n, c) => n + (map.hasLayer(layers[c]) ? layers[c].drawn : 0), 0),
    containerPoint: (key) => { const t = targets.get(key); return t ? map.latLngToContainerPoint([t.lat, t.lon]) : null; },
    drawMs: () => Object.fromEntries(Object.entries(layers).map(([c, l]) => [c, l.lastDrawMs])),
  };
})();
