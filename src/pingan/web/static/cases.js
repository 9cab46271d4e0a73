// Case hub pages: the case location map, the report form's GPS pin, and the 大类 → 小类 picker.
// Data comes only from this server; CSP forbids inline scripts, so strings arrive as a JSON block.
(function () {
  "use strict";
  const getJSON = (url) => fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((r) => { if (!r.ok) throw new Error(r.status + " " + url); return r.json(); });
  const strings = () => {
    const el = document.getElementById("case-strings");
    return el ? JSON.parse(el.textContent) : {};
  };
  const gridStyle = { color: "#2e7d32", weight: 0.8, fillColor: "#a5d6a7", fillOpacity: 0.25 };
  const islandStyle = { color: "#8d6e63", weight: 1, fillColor: "#efebe9", fillOpacity: 1, interactive: false };

  // 大类 then 小类: the second list shows only the chosen main category's subcategories.
  function categoryPicker() {
    const big = document.getElementById("cat-big");
    const small = document.getElementById("cat-small");
    if (!big || !small) return;
    function filter(keepValue) {
      let firstMatch = null;
      for (const group of small.querySelectorAll("optgroup")) {
        const show = !big.value || group.dataset.parent === big.value;
        group.hidden = !show;
        group.disabled = !show;
        if (show && !firstMatch) firstMatch = group.querySelector("option");
      }
      const chosen = small.selectedOptions[0];
      if (!keepValue || (chosen && chosen.parentElement.disabled)) small.value = "";
      if (big.value && !small.value && firstMatch && firstMatch.parentElement.children.length === 1) small.value = firstMatch.value;
    }
    big.addEventListener("change", () => filter(false));
    small.addEventListener("change", () => {
      const group = small.selectedOptions[0] && small.selectedOptions[0].parentElement;
      if (group && group.dataset.parent && big.value !== group.dataset.parent) { big.value = group.dataset.parent; filter(true); }
    });
    filter(true);
  }

  // The case page: a small map with the case's point and, for grid readers, the grids around it.
  function caseMap() {
    const el = document.getElementById("case-map");
    if (!el || !window.L) return;
    const lat = parseFloat(el.dataset.lat), lon = parseFloat(el.dataset.lon);
    const map = L.map(el, { attributionControl: false, zoomSnap: 0.25 }).setView([lat, lon], 16);
    if (el.dataset.layer) {
      getJSON(el.dataset.layer).then((d) => {
        L.geoJSON(d, {
          style: (f) => (f.properties.code === el.dataset.grid ? { ...gridStyle, color: "#c62828", weight: 2 } : gridStyle),
          onEachFeature: (f, layer) => layer.bindTooltip(f.properties.code + " " + f.properties.name),
        }).addTo(map).bringToBack();
      }).catch(() => {});
    }
    L.circleMarker([lat, lon], { radius: 8, color: "#c62828", fillColor: "#ef5350", fillOpacity: 0.9 }).addTo(map);
    L.control.scale({ imperial: false }).addTo(map);
  }

  // The report form: tap the map (or use the device's position) to set lon/lat.
  function pinMap() {
    const el = document.getElementById("pin-map");
    if (!el || !window.L) return;
    const T = strings();
    const lonInput = document.getElementById("lon"), latInput = document.getElementById("lat");
    const status = document.getElementById("pin-status");
    const map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
    const center = JSON.parse(el.dataset.center || "null");
    const bounds = JSON.parse(el.dataset.bounds || "null");
    if (center) map.setView([center[1], center[0]], 16);
    else if (bounds && bounds[0] !== null) map.fitBounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]]);
    else map.setView([30.0, 122.2], 9);
    for (const url of JSON.parse(el.dataset.layers || "[]")) {
      const style = url.indexOf("islands") >= 0 ? islandStyle : gridStyle;
      getJSON(url).then((d) => {
        const layer = L.geoJSON(d, { style: style, interactive: false }).addTo(map);
        if (style === islandStyle) layer.bringToBack();
      }).catch(() => {});
    }
    L.control.scale({ imperial: false }).addTo(map);
    let marker = null;
    let asked = 0;  // only the latest point's grid lookup may write the status
    function place(lat, lon, zoom) {
      lonInput.value = lon.toFixed(6);
      latInput.value = lat.toFixed(6);
      if (marker) marker.setLatLng([lat, lon]);
      else marker = L.circleMarker([lat, lon], { radius: 9, color: "#c62828", fillColor: "#ef5350", fillOpacity: 0.9 }).addTo(map);
      if (zoom) map.setView([lat, lon], Math.max(map.getZoom(), 16));
      status.textContent = T.located + " " + latInput.value + ", " + lonInput.value;
      el.dataset.pinned = "1";
      if (el.dataset.locate) {
        const ticket = ++asked;
        getJSON(el.dataset.locate + "?lon=" + lon + "&lat=" + lat).then((loc) => {
          if (ticket !== asked) return;
          const grid = loc.land_grid;
          status.textContent = T.located + " · " + (grid ? T.in_grid + " " + grid : T.outside);
          status.dataset.grid = grid || "";
        }).catch(() => {});
      }
    }
    map.on("click", (ev) => place(ev.latlng.lat, ev.latlng.lng, false));
    const typed = () => {
      const lat = parseFloat(latInput.value), lon = parseFloat(lonInput.value);
      if (isFinite(lat) && isFinite(lon)) place(lat, lon, true);
    };
    lonInput.addEventListener("change", typed);
    latInput.addEventListener("change", typed);
    if (lonInput.value && latInput.value) typed();
    const button = document.getElementById("use-location");
    button.addEventListener("click", () => {
      if (!navigator.geolocation) { status.textContent = T.no_geolocation; return; }
      status.textContent = T.locating;
      navigator.geolocation.getCurrentPosition(
        (pos) => place(pos.coords.latitude, pos.coords.longitude, true),
        () => { status.textContent = T.geo_failed; },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
      );
    });
  }

  categoryPicker();
  caseMap();
  pinMap();
})();
