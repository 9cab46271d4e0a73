// The typhoon board (防台): typhoons entered as a track or a circle (or loaded from a JSON file), the warning area
// with the vessels at sea inside it, the recall order, and the roll-call board (动态点验) per township and group
// with its completion chart, refreshed every few seconds. Vanilla JS over the vendored Leaflet and ECharts.
(function () {
  "use strict";
  const el = document.getElementById("ty-map");
  const K = window.pinganKit;
  if (!el || !window.L || !K) return;
  const { esc, fmt, num } = K;
  const T = K.readJSON("sea-strings");
  const C = K.readJSON("sea-config");
  const can = C.can || {};
  const time = K.zoneTools(C.timezone);
  const pct = (share) => `${Math.round(share * 1000) / 10}%`;

  const map = L.map(el, { zoomSnap: 0.5, attributionControl: false, center: [C.center[1], C.center[0]], zoom: C.zoom, minZoom: 4, maxZoom: 15 });
  L.control.scale({ imperial: false }).addTo(map);
  const islands = L.geoJSON(null, { style: { color: "#8d6e63", weight: 1, fillColor: "#efebe9", fillOpacity: 1 }, interactive: false }).addTo(map);
  K.getJSON("/api/grids/layers/islands").then((d) => islands.addData(d)).catch(() => {}); // decoration only
  const trackLayer = L.layerGroup().addTo(map);
  const areaLayer = L.geoJSON(null, { style: { color: "#e65100", weight: 2, fillColor: "#ff9800", fillOpacity: 0.18 }, interactive: false }).addTo(map);
  const vesselLayer = L.layerGroup().addTo(map);
  const previewLayer = L.layerGroup().addTo(map);

  // ------------------------------------------------------------------ typhoon list
  const list = document.getElementById("ty-list");
  let typhoons = [];
  let current = null; // the selected typhoon
  async function loadTyphoons(selectId) {
    try {
      typhoons = await K.getJSON("/api/typhoons");
    } catch (err) {
      list.innerHTML = `<li class="error">${esc(T.load_failed)}</li>`;
      return;
    }
    list.innerHTML = typhoons.length ? typhoons.map((t) => {
      const shape = t.track.length > 1 ? fmt(T.track_points, { n: t.track.length }) : T.circle;
      return `<li><button type="button" class="link-button" data-typhoon="${t.id}"${current && current.id === t.id ? " aria-current='true'" : ""}>${esc(t.name)}</button>` +
        ` <span class="muted small">${esc(shape)}</span>${t.ended_at ? ` <span class="status-tag status-closed">${esc(T.ended)}</span>` : ""}</li>`;
    }).join("") : `<li class="muted">${esc(T.no_typhoons)}</li>`;
    const pick = selectId ?? (current ? current.id : (typhoons.find((t) => !t.ended_at) || {}).id);
    if (pick !== undefined) select(pick);
  }
  list.addEventListener("click", (ev) => {
    const b = ev.target.closest("[data-typhoon]");
    if (b) select(Number(b.dataset.typhoon), true);
  });

  // ------------------------------------------------------------------ one typhoon: track, area, vessels, orders
  const detail = document.getElementById("ty-detail");
  let orderId = null;
  let pollTimer = null;
  function drawTrack(t) {
    trackLayer.clearLayers();
    const pts = t.track.map((p) => [p.lat, p.lon]);
    if (pts.length > 1) L.polyline(pts, { color: "#6a1b9a", weight: 2, dashArray: "6 4", interactive: false }).addTo(trackLayer);
    for (const p of t.track) {
      if (p.radius_7_km) L.circle([p.lat, p.lon], { radius: p.radius_7_km * 1000, color: "#6a1b9a", weight: 1, dashArray: "2 4", fill: false, interactive: false }).addTo(trackLayer);
      const m = L.circleMarker([p.lat, p.lon], { radius: 4, color: "#6a1b9a", fillColor: "#fff", fillOpacity: 1, weight: 2 }).addTo(trackLayer);
      if (pts.length > 1) m.bindTooltip(esc(time.show(p.at)));
    }
  }
  async function select(id, fit) {
    const t = typhoons.find((x) => x.id === id);
    if (!t) return;
    const changed = !current || current.id !== id;
    current = t;
    for (const b of list.querySelectorAll("[data-typhoon]")) {
      if (Number(b.dataset.typhoon) === id) b.setAttribute("aria-current", "true"); else b.removeAttribute("aria-current");
    }
    detail.hidden = false;
    document.getElementById("ty-detail-title").textContent = t.name + (t.ended_at ? ` · ${T.ended}` : "");
    const recall = document.getElementById("ty-recall");
    if (recall) for (const b of recall.querySelectorAll("button")) b.disabled = !!t.ended_at;
    drawTrack(t);
    if (changed) { orderId = null; document.getElementById("ty-board").hidden = true; document.getElementById("ty-detail-msg").textContent = ""; }
    await refresh(fit || changed);
  }
  async function refresh(fit) {
    clearTimeout(pollTimer);
    const t = current;
    if (!t) return;
    try {
      const [exposure, orders] = await Promise.all([K.getJSON(`/api/typhoons/${t.id}/exposure`), K.getJSON("/api/recalls")]);
      if (current !== t) return;
      renderExposure(exposure, fit);
      renderOrders(orders.filter((o) => o.typhoon_id === t.id));
      if (orderId !== null) await loadBoard(orderId);
    } catch (err) {
      document.getElementById("ty-detail-msg").textContent = fmt(T.error, { message: err.message });
    } finally {
      if (current === t) pollTimer = setTimeout(() => refresh(false), (document.hidden ? 30 : C.poll_s || 5) * 1000);
    }
  }
  let exposedCount = 0;
  function renderExposure(d, fit) {
    areaLayer.clearLayers();
    if (d.area && d.area.type) areaLayer.addData(d.area);
    vesselLayer.clearLayers();
    const vessels = d.vessels || [];
    exposedCount = vessels.length;
    for (const v of vessels) {
      if (!Number.isFinite(v.lat) || !Number.isFinite(v.lon)) continue;
      L.circleMarker([v.lat, v.lon], { radius: 4, color: "#b71c1c", weight: 1, fillColor: "#e53935", fillOpacity: 0.9 })
        .bindTooltip(esc(v.name || v.key)).addTo(vesselLayer);
    }
    document.getElementById("ty-exposed").textContent = fmt(T.exposed, { n: vessels.length });
    const body = document.querySelector("#ty-exposed-table tbody");
    body.innerHTML = vessels.slice(0, 300).map((v) =>
      `<tr><td><a href="/fleet/vessels/${encodeURIComponent(v.vessel_id)}">${esc(v.name || v.vessel_id)}</a></td><td>${esc(v.key)}</td></tr>`).join("");
    if (fit) {
      const b = areaLayer.getBounds().isValid() ? areaLayer.getBounds() : L.featureGroup(trackLayer.getLayers()).getBounds();
      if (b.isValid()) map.fitBounds(b, { padding: [20, 20], maxZoom: 10 });
    }
  }
  function renderOrders(orders) {
    const ul = document.getElementById("ty-orders");
    if (orderId === null && orders.length) orderId = orders[0].id;
    ul.innerHTML = orders.length ? orders.map((o) =>
      `<li><button type="button" class="link-button" data-order="${o.id}"${o.id === orderId ? " aria-current='true'" : ""}>#${o.id} · ${esc(time.show(o.issued_at))}</button> ` +
      `<span class="status-tag ${o.status === "complete" ? "status-closed" : "status-open"}">${esc(o.status === "complete" ? T.order_complete : T.order_open)}</span></li>`).join("")
      : `<li class="muted">${esc(T.no_orders)}</li>`;
  }
  document.getElementById("ty-orders").addEventListener("click", (ev) => {
    const b = ev.target.closest("[data-order]");
    if (!b) return;
    orderId = Number(b.dataset.order);
    for (const x of document.querySelectorAll("#ty-orders [data-order]")) {
      if (x === b) x.setAttribute("aria-current", "true"); else x.removeAttribute("aria-current");
    }
    loadBoard(orderId);
  });

  // ------------------------------------------------------------------ the roll-call board (动态点验)
  let chart = null;
  async function loadBoard(id) {
    const board = await K.getJSON(`/api/recalls/${id}/board`);
    if (id === orderId) renderBoard(board);
  }
  function tallyRows(rows, nameOf) {
    return rows.map((r) => {
      const share = r.total ? (r.in_port + r.sheltered) / r.total : 1;
      return `<tr><td>${esc(nameOf(r))}</td><td class="num">${r.total}</td><td class="num">${r.in_port}</td><td class="num">${r.sheltered}</td>` +
        `<td class="num">${r.at_sea}</td><td><span class="share-bar" style="--share:${share}"><span>${pct(share)}</span></span></td></tr>`;
    }).join("");
  }
  function renderBoard(b) {
    document.getElementById("ty-board").hidden = false;
    const status = document.getElementById("ty-board-status");
    status.textContent = b.order.status === "complete" ? T.order_complete : T.order_open;
    status.className = "status-tag " + (b.order.status === "complete" ? "status-closed" : "status-open");
    document.getElementById("ty-share").textContent = pct(b.share);
    document.getElementById("ty-done").textContent = fmt(T.done_of, { done: b.done, total: b.total }) +
      (b.order.completed_at ? ` · ${T.completed_at} ${time.show(b.order.completed_at)}` : "");
    document.getElementById("ty-progress").value = b.share;
    document.querySelector("#ty-by-township tbody").innerHTML = tallyRows(b.by_township, (r) => r.name);
    document.querySelector("#ty-by-group tbody").innerHTML = tallyRows(b.by_group, (r) => (r.code === "—" ? T.no_group : r.code));
    const out = b.still_at_sea || [];
    document.getElementById("ty-out-count").textContent = `(${out.length})`;
    document.querySelector("#ty-still-at-sea tbody").innerHTML = out.length ? out.map((v) =>
      `<tr><td><a href="/fleet/vessels/${encodeURIComponent(v.vessel_id)}">${esc(v.registration_no)}</a></td><td>${esc(v.name)}</td>` +
      `<td>${esc(v.township || "—")}</td><td>${esc(v.group || "—")}</td></tr>`).join("")
      : `<tr><td colspan="4" class="ok">${esc(T.all_in)}</td></tr>`;
    renderChart(b);
  }
  function renderChart(b) {
    if (!window.echarts) return;
    if (!chart) chart = echarts.init(document.getElementById("ty-chart"), null, { renderer: "canvas" });
    const pts = (b.timeline || []).slice();
    if (pts.length) { // hold the last figures up to now
      const last = pts[pts.length - 1];
      pts.push({ ...last, at: new Date().toISOString() });
    }
    const at = (p) => Date.parse(p.at);
    chart.setOption({
      animation: false,
      grid: { left: 8, right: 8, top: 30, bottom: 8, containLabel: true },
      legend: { top: 0, textStyle: { fontSize: 11 } },
      tooltip: { trigger: "axis", valueFormatter: (v) => (v === null || v === undefined ? "—" : String(v)) },
      xAxis: { type: "time", axisLabel: { fontSize: 10, formatter: (v) => time.show(new Date(v).toISOString(), false).slice(0, 5) } },
      yAxis: [
        { type: "value", minInterval: 1, name: T.total, nameTextStyle: { fontSize: 10 }, axisLabel: { fontSize: 10 } },
        { type: "value", min: 0, max: 100, name: "%", axisLabel: { fontSize: 10 }, splitLine: { show: false } },
      ],
      series: [
        { name: T.in_port, type: "line", step: "end", stack: "n", areaStyle: {}, symbol: "none", color: "#2e7d32", data: pts.map((p) => [at(p), p.in_port]) },
        { name: T.sheltered, type: "line", step: "end", stack: "n", areaStyle: {}, symbol: "none", color: "#1565c0", data: pts.map((p) => [at(p), p.sheltered]) },
        { name: T.at_sea, type: "line", step: "end", stack: "n", areaStyle: {}, symbol: "none", color: "#e53935", data: pts.map((p) => [at(p), p.at_sea]) },
        { name: T.completion, type: "line", step: "end", yAxisIndex: 1, symbol: "circle", symbolSize: 4, color: "#0b5394",
          data: pts.map((p) => [at(p), p.total ? Math.round((1000 * (p.in_port + p.sheltered)) / p.total) / 10 : 100]) },
      ],
    });
  }
  window.addEventListener("resize", () => chart && chart.resize());

  // ------------------------------------------------------------------ recall and end (alert.command)
  const detailMsg = document.getElementById("ty-detail-msg");
  const recallForm = document.getElementById("ty-recall");
  if (recallForm) {
    recallForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!current) return;
      if (!window.confirm(fmt(T.recall_confirm, { n: exposedCount, name: current.name }))) return;
      const button = recallForm.querySelector("[data-test=recall]");
      button.disabled = true;
      try {
        const board = await K.postJSON(`/api/typhoons/${current.id}/recall`, { message: recallForm.message.value.trim() });
        orderId = board.order.id;
        detailMsg.textContent = "";
        renderBoard(board);
        await refresh(false);
      } catch (err) {
        detailMsg.textContent = fmt(T.error, { message: err.message });
      } finally {
        button.disabled = !!(current && current.ended_at);
      }
    });
    recallForm.querySelector("[data-action=end]").addEventListener("click", async () => {
      if (!current || !window.confirm(fmt(T.end_confirm, { name: current.name }))) return;
      try {
        await K.postJSON(`/api/typhoons/${current.id}/end`, {});
        await loadTyphoons(current.id);
      } catch (err) {
        detailMsg.textContent = fmt(T.error, { message: err.message });
      }
    });
  }

  // ------------------------------------------------------------------ entering a typhoon (alert.command)
  const form = document.getElementById("ty-form");
  const formMsg = document.getElementById("ty-form-msg");
  if (form) {
    const tbody = form.querySelector(".ty-points tbody");
    let activeRow = null;
    const cell = (name, attrs, label) => `<td><input name="${name}" aria-label="${esc(label)}" ${attrs}></td>`;
    function addRow(values = {}) {
      const tr = document.createElement("tr");
      const at = values.at ?? (Date.now() + tbody.children.length * 6 * 3600 * 1000);
      tr.innerHTML = cell("at", `type="datetime-local" required value="${time.toInput(at)}"`, T.time) +
        cell("lon", `type="number" step="0.0001" min="-180" max="180" required value="${values.lon ?? ""}"`, T.lon) +
        cell("lat", `type="number" step="0.0001" min="-90" max="90" required value="${values.lat ?? ""}"`, T.lat) +
        cell("r7", `type="number" step="1" min="1" required value="${values.r7 ?? ""}"`, T.r7) +
        cell("r10", `type="number" step="1" min="1" value="${values.r10 ?? ""}"`, T.r10) +
        `<td><button type="button" class="sea-close-inline" data-action="remove-point" aria-label="${esc(T.remove_point)}">×</button></td>`;
      tbody.appendChild(tr);
      activeRow = tr;
      preview();
    }
    form.querySelector("[data-action=add-point]").addEventListener("click", () => addRow());
    tbody.addEventListener("click", (ev) => {
      const b = ev.target.closest("[data-action=remove-point]");
      if (!b) return;
      const tr = b.closest("tr");
      if (activeRow === tr) activeRow = null;
      tr.remove();
      if (!tbody.children.length) addRow();
      preview();
    });
    tbody.addEventListener("focusin", (ev) => { activeRow = ev.target.closest("tr"); });
    const mode = () => form.elements.mode.value;
    form.addEventListener("change", (ev) => {
      if (ev.target.name === "mode") {
        document.getElementById("ty-track").hidden = mode() !== "track";
        document.getElementById("ty-circle").hidden = mode() !== "circle";
      }
      preview();
    });
    form.addEventListener("input", preview);
    // A click on the map fills in the centre of the row (or circle) being edited.
    map.on("click", (e) => {
      const target = mode() === "circle" ? document.getElementById("ty-circle") : activeRow;
      if (!target) return;
      target.querySelector("[name=lon]").value = e.latlng.lng.toFixed(4);
      target.querySelector("[name=lat]").value = e.latlng.lat.toFixed(4);
      preview();
    });
    const numberIn = (root, name) => { const v = root.querySelector(`[name=${name}]`).value; return v === "" ? null : Number(v); };
    function body() {
      const name = form.elements.name.value.trim();
      if (mode() === "circle") {
        const c = document.getElementById("ty-circle");
        const out = { name, lon: numberIn(c, "lon"), lat: numberIn(c, "lat"), radius_7_km: numberIn(c, "r7") };
        const r10 = numberIn(c, "r10");
        if (r10 !== null) out.radius_10_km = r10;
        return out;
      }
      const points = [];
      for (const tr of tbody.children) {
        const ms = time.fromInput(tr.querySelector("[name=at]").value);
        const p = { at: Number.isFinite(ms) ? new Date(ms).toISOString() : tr.querySelector("[name=at]").value,
          lon: numberIn(tr, "lon"), lat: numberIn(tr, "lat"), radius_7_km: numberIn(tr, "r7") };
        const r10 = numberIn(tr, "r10");
        if (r10 !== null) p.radius_10_km = r10;
        if (p.lon !== null || p.lat !== null || p.radius_7_km !== null) points.push(p);
      }
      return { name, points };
    }
    function preview() {
      previewLayer.clearLayers();
      const b = body();
      const pts = b.points || [b];
      const ok = pts.filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lon) && p.lat !== null && p.lon !== null);
      if (ok.length > 1) L.polyline(ok.map((p) => [p.lat, p.lon]), { color: "#9e9e9e", weight: 2, dashArray: "4 4", interactive: false }).addTo(previewLayer);
      for (const p of ok) {
        L.circleMarker([p.lat, p.lon], { radius: 3, color: "#616161", interactive: false }).addTo(previewLayer);
        if (p.radius_7_km > 0) L.circle([p.lat, p.lon], { radius: p.radius_7_km * 1000, color: "#9e9e9e", weight: 1, fill: false, interactive: false }).addTo(previewLayer);
      }
    }
    async function save(payload) {
      formMsg.className = "form-msg";
      formMsg.textContent = T.saving;
      try {
        const row = await K.postJSON("/api/typhoons", payload);
        formMsg.className = "form-msg ok";
        formMsg.textContent = fmt(T.typhoon_saved, { name: row.name });
        previewLayer.clearLayers();
        await loadTyphoons(row.id);
        return true;
      } catch (err) {
        formMsg.className = "form-msg error";
        formMsg.setAttribute("role", "alert");
        formMsg.textContent = fmt(T.error, { message: err.message });
        return false;
      }
    }
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const payload = body();
      if (payload.points && !payload.points.length) { formMsg.className = "form-msg error"; formMsg.textContent = T.need_point; return; }
      // The API says exactly what is wrong (422), so the form sends what was typed.
      if (await save(payload)) form.elements.name.value = "";
    });
    document.getElementById("ty-upload").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const file = ev.target.file.files[0];
      if (!file) return;
      let payload;
      try { payload = JSON.parse(await file.text()); } catch (e) {
        formMsg.className = "form-msg error";
        formMsg.textContent = T.bad_json;
        return;
      }
      if (await save(payload)) ev.target.reset();
    });
    addRow();
  }

  document.addEventListener("visibilitychange", () => { if (!document.hidden && current) refresh(false); });
  window.pinganTyphoons = { map, select, refresh, chart: () => chart, current: () => current, orderId: () => orderId };
  loadTyphoons();
})();
