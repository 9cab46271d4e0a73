// The city map: islands, administrative areas, land grids and sea grids as switchable Leaflet layers,
// drill-down from district to grid, grid cards, and searches. Data comes only from this server.
(function () {
  "use strict";
  const el = document.getElementById("map");
  if (!el || !window.L) return;
  const T = JSON.parse(document.getElementById("map-strings").textContent);
  const bounds = JSON.parse(el.dataset.bounds);
  const map = L.map(el, { preferCanvas: true, zoomSnap: 0.25, attributionControl: false });
  if (bounds[0] !== null) map.fitBounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]]);
  else map.setView([30.0, 122.2], 9);

  const getJSON = (url) => fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((r) => { if (!r.ok) throw new Error(r.status + " " + url); return r.json(); });
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

  const styles = {
    islands: { color: "#8d6e63", weight: 1, fillColor: "#efebe9", fillOpacity: 1 },
    areas: { color: "#0b5394", weight: 2, fillOpacity: 0.05 },
    grids: { color: "#2e7d32", weight: 0.8, fillColor: "#a5d6a7", fillOpacity: 0.35 },
    static: { color: "#1565c0", weight: 1, dashArray: "4 3", fillOpacity: 0.04 },
    control: { color: "#ef6c00", weight: 1.5, fillOpacity: 0.03 },
    patrol: { color: "#6a1b9a", weight: 2, dashArray: "8 4", fillOpacity: 0.02 },
  };
  const islands = L.geoJSON(null, { style: styles.islands, interactive: false });
  const areas = L.geoJSON(null, { style: styles.areas, onEachFeature: bindArea });
  const grids = L.geoJSON(null, { style: styles.grids, onEachFeature: bindGrid });
  const sea = {};
  for (const [family, key] of [["static", "sea_static"], ["control", "sea_control"], ["patrol", "sea_patrol"]]) {
    sea[family] = L.geoJSON(null, { style: styles[family], onEachFeature: (f, layer) => layer.bindTooltip(esc(f.properties.code + " " + f.properties.name)) });
    getJSON("/api/grids/layers/sea-grids?family=" + family).then((d) => sea[family].addData(d));
  }
  getJSON("/api/grids/layers/islands").then((d) => islands.addData(d));
  islands.addTo(map); areas.addTo(map); grids.addTo(map); sea.static.addTo(map);
  const overlays = {};
  overlays[T.islands] = islands; overlays[T.areas] = areas; overlays[T.land_grids] = grids;
  overlays[T.sea_static] = sea.static; overlays[T.sea_control] = sea.control; overlays[T.sea_patrol] = sea.patrol;
  L.control.layers(null, overlays, { collapsed: false }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);

  const nextLevel = { city: "district", district: "township", township: "community" };
  const trail = [];
  function bindArea(feature, layer) {
    layer.bindTooltip(esc(feature.properties.name));
    layer.on("click", () => drill(feature.properties, layer.getBounds()));
  }
  function bindGrid(feature, layer) {
    layer.bindTooltip(esc(feature.properties.code + " " + feature.properties.name));
    layer.on("click", () => openCard(feature.properties.code));
  }
  function showAreas(level, parent) {
    const q = "/api/grids/layers/areas?level=" + level + (parent ? "&parent=" + encodeURIComponent(parent) : "");
    return getJSON(q).then((d) => { areas.clearLayers(); areas.addData(d); });
  }
  function showGrids(areaCode) {
    return getJSON("/api/grids/layers/land-grids?area=" + encodeURIComponent(areaCode)).then((d) => { grids.clearLayers(); grids.addData(d); });
  }
  function drill(props, b) {
    const idx = trail.findIndex((t) => t.code === props.code);
    if (idx >= 0) trail.length = idx + 1; else trail.push({ code: props.code, name: props.name, level: props.level, bounds: b });
    if (b) map.fitBounds(b, { padding: [10, 10] });
    const next = nextLevel[props.level];
    if (next) showAreas(next, props.code);
    else areas.clearLayers();
    if (props.level === "township" || props.level === "community") showGrids(props.code);
    else grids.clearLayers();
    renderCrumbs();
  }
  function renderCrumbs() {
    const nav = document.getElementById("crumbs");
    nav.innerHTML = "";
    const home = document.createElement("a");
    home.href = "#"; home.textContent = T.all_city; home.dataset.code = "";
    nav.appendChild(home);
    trail.forEach((t) => {
      nav.appendChild(document.createTextNode(" › "));
      const a = document.createElement("a"); a.href = "#"; a.textContent = t.name; a.dataset.code = t.code; nav.appendChild(a);
    });
  }
  document.getElementById("crumbs").addEventListener("click", (ev) => {
    const a = ev.target.closest("a"); if (!a) return; ev.preventDefault();
    if (!a.dataset.code) { trail.length = 0; showAreas("district"); grids.clearLayers(); renderCrumbs(); if (bounds[0] !== null) map.fitBounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]]); return; }
    const t = trail.find((x) => x.code === a.dataset.code); if (t) drill(t, t.bounds);
  });

  function openCard(code) {
    const card = document.getElementById("grid-card");
    return getJSON("/api/grids/" + encodeURIComponent(code)).then((g) => {
      const team = g.team.map((m) => "<li>" + esc(m.role_label) + "：" + esc(m.name) + (m.phone ? " <span class='muted'>" + esc(m.phone) + "</span>" : "") + "</li>").join("");
      card.innerHTML =
        "<h2 class='grid-title'>" + esc(g.name) + "</h2>" +
        "<p><code class='grid-code'>" + esc(g.code) + "</code> · " + esc(g.kind === "dedicated" ? T.kind_dedicated : T.kind_basic) + "</p>" +
        "<p class='muted'>" + g.areas.map((a) => esc(a.name)).join(" › ") + "</p>" +
        "<dl class='facts'><dt>" + esc(T.area) + "</dt><dd>" + g.area_km2.toFixed(3) + " km²</dd>" +
        "<dt>" + esc(T.buildings) + "</dt><dd class='n-buildings'>" + g.buildings + "</dd>" +
        "<dt>" + esc(T.households) + "</dt><dd class='n-households'>" + g.households + "</dd>" +
        "<dt>" + esc(T.residents) + "</dt><dd class='n-residents'>" + g.residents + "</dd></dl>" +
        "<h3>" + esc(T.team) + "</h3><ul class='team'>" + team + "</ul>" +
        "<p><a href='/grids/" + encodeURIComponent(g.code) + "'>" + esc(T.open_grid) + "</a></p>";
      card.hidden = false;
      const [x0, y0, x1, y1] = g.bbox;
      map.fitBounds([[y0, x0], [y1, x1]], { maxZoom: 15 });
      const village = g.areas[g.areas.length - 1];
      return showGrids(village.code).then(() => { highlight(g.code); return g; });
    });
  }

  function highlight(code) {
    grids.eachLayer((layer) => {
      const selected = layer.feature.properties.code === code;
      layer.setStyle(selected ? { color: "#c62828", weight: 3, fillColor: "#ef9a9a", fillOpacity: 0.5 } : styles.grids);
      if (selected) layer.bringToFront();
    });
  }

  function list(ul, items, render) {
    ul.innerHTML = items.length ? "" : "<li class='muted'>" + esc(T.no_results) + "</li>";
    items.forEach((it) => { const li = document.createElement("li"); li.innerHTML = render(it); ul.appendChild(li); });
  }
  document.getElementById("grid-search").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = ev.target.q.value.trim(); if (!q) return;
    const ul = document.getElementById("grid-results");
    getJSON("/api/grids/search?q=" + encodeURIComponent(q)).then((items) => {
      list(ul, items, (g) => "<a href='#' data-grid='" + esc(g.code) + "'>" + esc(g.code) + " " + esc(g.name) + "</a>");
    });
  });
  document.getElementById("grid-results").addEventListener("click", (ev) => {
    const a = ev.target.closest("a[data-grid]"); if (!a) return; ev.preventDefault(); openCard(a.dataset.grid);
  });
  const people = document.getElementById("person-search");
  if (people) {
    people.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const q = ev.target.q.value.trim(); if (!q) return;
      const ul = document.getElementById("person-results");
      const param = /^\d{17}[\dXx]$/.test(q) ? "id_number=" : "name=";
      getJSON("/api/people/residents?" + param + encodeURIComponent(q)).then((res) => {
        const items = Array.isArray(res) ? res : (res.items || []);
        list(ul, items, (p) => esc(p.name) + " <span class='muted'>" + esc(p.id_number || "") + "</span> " +
          (p.grid_code ? "<a href='#' data-grid='" + esc(p.grid_code) + "'>" + esc(p.grid_code) + "</a>" : ""));
      }).catch(() => list(ul, [], () => ""));
    });
    document.getElementById("person-results").addEventListener("click", (ev) => {
      const a = ev.target.closest("a[data-grid]"); if (!a) return; ev.preventDefault(); openCard(a.dataset.grid);
    });
  }
  showAreas("district");
  renderCrumbs();
  window.pinganMap = { map, openCard, drill };
})();
