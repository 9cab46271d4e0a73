// The restricted-waters editor (限制水域): the areas on a map and in a table; a new area is drawn by clicking its
// corners on the map (double-click or "Finish" closes it; no plugin), given its code, name, kind and rules, and
// saved as GeoJSON; a GeoJSON file can be imported; an area can be retired. The API's 422 message is shown as is.
(function () {
  "use strict";
  const el = document.getElementById("area-map");
  const K = window.pinganKit;
  if (!el || !window.L || !K) return;
  const { esc, fmt } = K;
  const T = K.readJSON("sea-strings");
  const C = K.readJSON("sea-config");
  const can = C.can || {};

  const map = L.map(el, { zoomSnap: 0.5, attributionControl: false, center: [C.center[1], C.center[0]], zoom: C.zoom, minZoom: 5, maxZoom: 17 });
  L.control.scale({ imperial: false }).addTo(map);
  const islands = L.geoJSON(null, { style: { color: "#8d6e63", weight: 1, fillColor: "#efebe9", fillOpacity: 1 }, interactive: false }).addTo(map);
  K.getJSON("/api/grids/layers/islands").then((d) => islands.addData(d)).catch(() => {}); // decoration only

  const KIND_COLOUR = { channel: "#1565c0", anchorage: "#00838f", protected: "#2e7d32", restricted: "#c62828", control: "#ef6c00", static: "#546e7a", patrol: "#6a1b9a" };
  const levelName = (v) => ({ 1: "info", 2: "warning", 3: "alarm", 4: "alarm" }[v] || v);
  const levelLabel = (v) => T["area_level_" + levelName(v)] || String(v);
  const areas = L.geoJSON(null, {
    style: (f) => ({ color: KIND_COLOUR[f.properties.kind] || "#c62828", weight: 2, fillOpacity: 0.15 }),
    onEachFeature: (f, layer) => layer.bindTooltip(esc(`${f.properties.code} ${f.properties.name}`), { sticky: true }),
  }).addTo(map);

  // ------------------------------------------------------------------ list
  const tbody = document.querySelector("#area-table tbody");
  const msg = document.getElementById("area-msg");
  let features = [];
  function say(text, kind) {
    if (!msg) return;
    msg.className = "form-msg" + (kind ? " " + kind : "");
    msg.setAttribute("role", kind === "error" ? "alert" : "status");
    msg.textContent = text;
  }
  function rulesText(p) {
    const parts = [];
    if (p.alert_on_enter) parts.push(T.enter);
    if (p.alert_on_exit) parts.push(T.exit);
    if (p.max_dwell_s) parts.push(fmt(T.dwell, { min: Math.round(p.max_dwell_s / 60) }));
    if (Array.isArray(p.applies_to) && p.applies_to.length && p.applies_to.length < 3) parts.push(p.applies_to.map((k) => T[k] || k).join("、"));
    if (p.level) parts.push(levelLabel(p.level));
    return parts.join(" · ");
  }
  async function load(fitCode) {
    let d;
    try { d = await K.getJSON("/api/restricted-areas"); } catch (err) {
      tbody.innerHTML = `<tr><td colspan="5" class="error">${esc(T.load_failed)}</td></tr>`;
      return;
    }
    features = d.features || [];
    areas.clearLayers();
    areas.addData(d);
    document.getElementById("area-count").textContent = `(${features.length})`;
    tbody.innerHTML = features.length ? features.map((f) => {
      const p = f.properties;
      return `<tr data-code="${esc(p.code)}"><td><button type="button" class="link-button" data-action="show" data-code="${esc(p.code)}">${esc(p.code)}</button></td>` +
        `<td>${esc(p.name)}</td><td>${esc(T["area_kind_" + p.kind] || p.kind)}</td><td class="small">${esc(rulesText(p))}</td>` +
        (can.command ? `<td><button type="button" class="secondary small-button" data-action="retire" data-code="${esc(p.code)}">${esc(T.retire)}</button></td>` : "") +
        "</tr>";
    }).join("") : `<tr><td colspan="5" class="muted">${esc(T.no_areas)}</td></tr>`;
    if (fitCode) show(fitCode);
  }
  function show(code) {
    areas.eachLayer((layer) => {
      if (layer.feature.properties.code === code) { map.fitBounds(layer.getBounds(), { padding: [30, 30], maxZoom: 13 }); layer.openTooltip(); }
    });
  }
  tbody.addEventListener("click", async (ev) => {
    const b = ev.target.closest("[data-action]");
    if (!b) return;
    const code = b.dataset.code;
    if (b.dataset.action === "show") show(code);
    if (b.dataset.action === "retire") {
      if (!window.confirm(fmt(T.retire_confirm, { code }))) return;
      try {
        await K.del(`/api/restricted-areas/${encodeURIComponent(code)}`);
        say(fmt(T.retired, { code }), "ok");
        await load();
      } catch (err) { say(fmt(T.error, { message: err.message }), "error"); }
    }
  });

  async function post(collection) {
    try {
      const r = await K.postJSON("/api/restricted-areas", collection);
      say(fmt(T.stored, { n: r.stored }), "ok");
      const first = (collection.features || [])[0];
      await load(first && first.properties ? first.properties.code : null);
      return true;
    } catch (err) {
      say(fmt(T.error, { message: err.message }), "error");
      return false;
    }
  }

  // ------------------------------------------------------------------ drawing by clicking corners
  const drawButton = document.getElementById("area-draw");
  const form = document.getElementById("area-form");
  if (drawButton && form) {
    const undoButton = document.getElementById("area-undo");
    const finishButton = document.getElementById("area-finish");
    const hint = document.getElementById("area-draw-hint");
    const sketch = L.layerGroup().addTo(map);
    const draw = { on: false, points: [], line: null, ghost: null, shape: null };
    function redraw() {
      sketch.clearLayers();
      const pts = draw.points;
      if (draw.shape === null && pts.length) {
        L.polyline(pts, { color: "#c62828", weight: 2, interactive: false }).addTo(sketch);
        for (const p of pts) L.circleMarker(p, { radius: 4, color: "#c62828", fillColor: "#fff", fillOpacity: 1, weight: 2, interactive: false }).addTo(sketch);
        draw.ghost = L.polyline([], { color: "#c62828", weight: 1, dashArray: "4 4", interactive: false }).addTo(sketch);
      }
      if (draw.shape !== null) L.polygon(draw.shape, { color: "#c62828", weight: 2, dashArray: "6 4", fillOpacity: 0.2, interactive: false }).addTo(sketch);
      undoButton.disabled = !pts.length;
      finishButton.disabled = pts.length < 3;
      hint.textContent = draw.on ? `${T.drawing} (${pts.length})` : "";
    }
    function start() {
      draw.on = true; draw.points = []; draw.shape = null;
      form.hidden = true;
      map.doubleClickZoom.disable();
      el.classList.add("picking");
      drawButton.setAttribute("aria-pressed", "true");
      undoButton.hidden = false; finishButton.hidden = false; hint.hidden = false;
      say("");
      redraw();
    }
    function stop() {
      draw.on = false;
      map.doubleClickZoom.enable();
      el.classList.remove("picking");
      drawButton.setAttribute("aria-pressed", "false");
      undoButton.hidden = true; finishButton.hidden = true; hint.hidden = true;
    }
    function cancel() { stop(); draw.points = []; draw.shape = null; form.hidden = true; redraw(); }
    function finish() {
      // A double-click also lands two clicks on the same spot: drop corners a few pixels from the one before.
      const pts = [];
      for (const p of draw.points) {
        const last = pts[pts.length - 1];
        if (!last || map.latLngToContainerPoint(last).distanceTo(map.latLngToContainerPoint(p)) > 4) pts.push(p);
      }
      if (pts.length < 3) { say(T.need_three, "error"); draw.points = pts; redraw(); return; }
      draw.points = pts;
      draw.shape = pts.slice();
      stop();
      redraw();
      form.hidden = false;
      document.getElementById("area-corners").textContent = fmt(T.track_points, { n: pts.length });
      form.elements.code.focus();
    }
    drawButton.addEventListener("click", () => (draw.on ? cancel() : start()));
    undoButton.addEventListener("click", () => { draw.points.pop(); redraw(); });
    finishButton.addEventListener("click", finish);
    map.on("click", (e) => { if (draw.on) { draw.points.push(e.latlng); redraw(); } });
    map.on("dblclick", (e) => { if (draw.on) { if (e.originalEvent) L.DomEvent.stop(e.originalEvent); finish(); } });
    map.on("mousemove", (e) => {
      if (draw.on && draw.ghost && draw.points.length) draw.ghost.setLatLngs([draw.points[draw.points.length - 1], e.latlng, draw.points[0]]);
    });
    document.addEventListener("keydown", (ev) => { if (ev.key === "Escape" && draw.on) cancel(); });
    form.querySelector("[data-action=discard]").addEventListener("click", cancel);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!draw.shape) return;
      const ring = draw.shape.map((p) => [Number(p.lng.toFixed(6)), Number(p.lat.toFixed(6))]);
      ring.push(ring[0]);
      const f = form.elements;
      const props = {
        code: f.code.value.trim(), name: f.name.value.trim(), kind: f.kind.value,
        alert_on_enter: f.alert_on_enter.checked, alert_on_exit: f.alert_on_exit.checked,
        applies_to: [...form.querySelectorAll("[name=applies_to]:checked")].map((x) => x.value),
        level: f.level.value,
      };
      if (f.max_dwell_min.value) props.max_dwell_s = Number(f.max_dwell_min.value) * 60;
      // Sent as the user set it: the API explains what is wrong (e.g. no vessel kind ticked, a crossed outline).
      const ok = await post({ type: "FeatureCollection", features: [{ type: "Feature", geometry: { type: "Polygon", coordinates: [ring] }, properties: props }] });
      if (ok) { form.reset(); cancel(); }
    });
    document.getElementById("area-import").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const file = ev.target.file.files[0];
      if (!file) return;
      let collection;
      try { collection = JSON.parse(await file.text()); } catch (e) { say(T.bad_json, "error"); return; }
      if (await post(collection)) ev.target.reset();
    });
    window.pinganAreas = { map, draw, start, finish, load };
  } else {
    window.pinganAreas = { map, load };
  }
  load().then(() => { if (areas.getBounds().isValid()) map.fitBounds(areas.getBounds(), { padding: [30, 30], maxZoom: 12 }); });
})();
