// The command layer of the live sea map: the alert console (告警台) polled from /api/alerts, pulsing alert
// markers by level (distress on top), the alert card with its timeline, addressees and the 签收 / 处置完毕
// buttons, the vessel card's alert history, and "who is near" (附近船舶) on right-click or with the map button.
// Loaded after sea.js only for holders of alert.read; the API checks every permission again.
(function () {
  "use strict";
  const S = window.pinganSea, K = window.pinganKit;
  const consoleEl = document.getElementById("alert-console");
  if (!S || !K || !consoleEl) return;
  const { esc, fmt, num } = K;
  const T = K.readJSON("sea-strings");
  const C = K.readJSON("sea-config");
  const can = C.can || {};
  const time = K.zoneTools(C.timezone);
  const map = S.map;
  const list = document.getElementById("alert-list");
  const filters = document.getElementById("alert-filters");
  const card = document.getElementById("alert-card");
  const kindLabel = (k) => T["alert_kind_" + k] || k;
  const levelLabel = (l) => T["alert_level_" + l] || String(l);
  const statusLabel = (s) => T["status_" + s] || s;

  // ------------------------------------------------------------------ alert markers (two panes: distress on top)
  for (const [name, z] of [["seaAlerts", 620], ["seaAlertsTop", 660]]) map.createPane(name).style.zIndex = z;
  const markers = new Map(); // alert id -> marker
  const markerLayer = L.layerGroup().addTo(map);
  let selectedId = null;

  function markerIcon(a) {
    const size = a.level >= 4 ? 30 : a.level >= 3 ? 24 : 20;
    const cls = `alert-marker level-${a.level} status-${a.status}` + (a.id === selectedId ? " selected" : "");
    return L.divIcon({ className: cls, iconSize: [size, size], html: "<span class='ring'></span><span class='dot'></span>" });
  }
  function placeMarkers(alerts) {
    const keep = new Set();
    for (const a of alerts) {
      if (!Number.isFinite(a.lat) || !Number.isFinite(a.lon)) continue;
      keep.add(a.id);
      const title = `${levelLabel(a.level)} · ${kindLabel(a.kind)} · ${statusLabel(a.status)}`;
      let m = markers.get(a.id);
      const sig = `${a.level}|${a.status}|${a.id === selectedId}`;
      if (!m) {
        m = L.marker([a.lat, a.lon], {
          icon: markerIcon(a), pane: a.level >= 4 ? "seaAlertsTop" : "seaAlerts", keyboard: true, title, riseOnHover: true,
          zIndexOffset: a.level * 1000,
        });
        m.on("click", () => openAlert(a.id, { fly: false }));
        m.sig = sig;
        markers.set(a.id, m);
        markerLayer.addLayer(m);
      } else {
        m.setLatLng([a.lat, a.lon]);
        if (m.sig !== sig) { m.setIcon(markerIcon(a)); m.sig = sig; }
      }
      const icon = m.getElement();
      if (icon) {
        icon.setAttribute("role", "button");
        icon.setAttribute("aria-label", title + " · " + a.message);
        icon.dataset.alertId = a.id;
      }
    }
    for (const [id, m] of markers) if (!keep.has(id)) { markerLayer.removeLayer(m); markers.delete(id); }
  }

  // ------------------------------------------------------------------ the console list, polled
  let alerts = [];
  let seen = null; // ids of the previous answer: what is new gets a mark
  let pollTimer = null, pollTicket = 0;
  function query() {
    const p = new URLSearchParams();
    for (const name of ["kind", "level", "grid", "state"]) {
      const v = filters.elements[name].value;
      if (v) p.set(name, v);
    }
    p.set("limit", "200");
    return "/api/alerts?" + p.toString();
  }
  async function poll() {
    clearTimeout(pollTimer);
    const ticket = ++pollTicket;
    try {
      const d = await K.getJSON(query());
      if (ticket !== pollTicket) return;
      alerts = d.alerts || [];
      renderList(d.total ?? alerts.length);
      document.getElementById("alert-updated").textContent = fmt(T.updated, { time: time.show(new Date(S.serverNow()).toISOString(), false) });
      const open = card.dataset.id ? alerts.find((a) => String(a.id) === card.dataset.id) : null;
      if (open && card.dataset.sig && card.dataset.sig !== `${open.status}|${open.level}|${open.escalated_at}|${open.cleared_at}`) refreshAlert();
    } catch (err) {
      if (ticket !== pollTicket) return;
      document.getElementById("alert-updated").textContent = T.load_failed;
    } finally {
      if (ticket === pollTicket) pollTimer = setTimeout(poll, (document.hidden ? 30 : C.alert_poll_s || 5) * 1000);
    }
  }
  function renderList(total) {
    const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("#alert-list [data-alert-id]");
    const focusId = focused ? focused.dataset.alertId : null;
    const nowIds = new Set(alerts.map((a) => a.id));
    list.innerHTML = alerts.length ? alerts.map((a) => {
      const isNew = seen !== null && !seen.has(a.id);
      return `<li class="alert-item level-${a.level} status-${esc(a.status)}${isNew ? " is-new" : ""}${a.id === selectedId ? " selected" : ""}" data-kind="${esc(a.kind)}">` +
        `<button type="button" class="alert-open" data-alert-id="${a.id}"${a.id === selectedId ? " aria-current='true'" : ""}>` +
        `<span class="level-badge level-${a.level}">${esc(levelLabel(a.level))}</span>` +
        `<span class="alert-kind">${esc(kindLabel(a.kind))}</span>` +
        `<span class="status-tag status-${esc(a.status)}">${esc(statusLabel(a.status))}</span>` +
        (a.escalated_at && a.status === "open" ? `<span class="status-tag escalated">${esc(T.escalated)}</span>` : "") +
        `<span class="alert-text">${esc(a.message)}</span>` +
        `<span class="alert-meta muted">${esc(time.short(a.raised_at))}${a.sea_grid_code ? " · " + esc(a.sea_grid_code) : ""}</span>` +
        `</button></li>`;
    }).join("") : `<li class="muted">${esc(T.no_alerts)}</li>`;
    seen = nowIds;
    document.getElementById("alert-count").textContent = fmt(T.n_alerts, { n: total });
    placeMarkers(alerts);
    if (focusId) { const b = list.querySelector(`[data-alert-id="${focusId}"]`); if (b) b.focus(); }
  }
  filters.addEventListener("change", () => { seen = null; poll(); });
  filters.addEventListener("submit", (ev) => ev.preventDefault());
  list.addEventListener("click", (ev) => {
    const b = ev.target.closest("[data-alert-id]");
    if (b) openAlert(Number(b.dataset.alertId), { fly: true });
  });
  document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(); });
  S.layersReady.then((d) => {
    const select = filters.elements.grid;
    const grids = ((d.sea_grids && d.sea_grids.features) || []).map((f) => f.properties)
      .sort((a, b) => String(a.code).localeCompare(String(b.code)));
    for (const g of grids) {
      const o = document.createElement("option");
      o.value = g.code; o.textContent = `${g.code} ${g.name || ""}`;
      select.appendChild(o);
    }
  });

  // ------------------------------------------------------------------ the alert card
  let cardTicket = 0;
  function selectAlert(id) {
    selectedId = id;
    for (const li of list.querySelectorAll(".alert-item")) {
      const b = li.querySelector("[data-alert-id]");
      const on = b && Number(b.dataset.alertId) === id;
      li.classList.toggle("selected", on);
      if (b) { if (on) b.setAttribute("aria-current", "true"); else b.removeAttribute("aria-current"); }
    }
    placeMarkers(alerts);
  }
  async function openAlert(id, { fly = true } = {}) {
    const ticket = ++cardTicket;
    selectAlert(id);
    card.hidden = false;
    card.dataset.id = id;
    delete card.dataset.sig;
    card.innerHTML = `<p class="muted">…</p>`;
    card.parentElement.scrollTop = 0;
    try {
      const d = await K.getJSON(`/api/alerts/${encodeURIComponent(id)}`);
      if (ticket !== cardTicket) return null;
      renderAlert(d);
      if (fly && Number.isFinite(d.lat) && Number.isFinite(d.lon)) map.flyTo([d.lat, d.lon], Math.max(map.getZoom(), 12), { duration: 0.8 });
      card.focus({ preventScroll: true });
      return d;
    } catch (err) {
      if (ticket !== cardTicket) return null;
      card.innerHTML = closeButton() + `<p class="error" role="alert">${esc(err.status === 404 ? T.not_found : T.load_failed)}</p>`;
      return null;
    }
  }
  async function refreshAlert() {
    const id = card.dataset.id;
    if (!id) return;
    const ticket = ++cardTicket;
    try {
      const d = await K.getJSON(`/api/alerts/${encodeURIComponent(id)}`);
      if (ticket === cardTicket && card.dataset.id === String(d.id)) renderAlert(d);
    } catch (err) { /* the next poll tries again */ }
  }
  const closeButton = () => `<button type="button" class="sea-close" data-action="close" aria-label="${esc(T.close)}" title="${esc(T.close)}">×</button>`;
  function facts(rows) {
    return "<dl class='facts'>" + rows.filter(Boolean).map(([k, v, field]) =>
      `<dt>${esc(k)}</dt><dd${field ? ` data-field="${field}"` : ""}>${v}</dd>`).join("") + "</dl>";
  }
  function detailRows(d) {
    const x = d.details || {};
    const rows = [];
    if (x.dcpa_m !== undefined) rows.push(["DCPA", `${num(x.dcpa_m / 1852, 2)} nmi`]);
    if (x.tcpa_s !== undefined) rows.push(["TCPA", `${num(Math.max(0, x.tcpa_s) / 60, 1)} min`]);
    if (x.range_m !== undefined) rows.push([T.range_nm, num(x.range_m / 1852, 2)]);
    if (x.area_name) rows.push([T.areas, esc(x.area_name)]);
    if (x.typhoon) rows.push([T.typhoons, esc(x.typhoon)]);
    return rows;
  }
  function renderAlert(d) {
    card.dataset.sig = `${d.status}|${d.level}|${d.escalated_at}|${d.cleared_at}`;
    const stateTags = `<span class="status-tag status-${esc(d.status)}" data-test="alert-status">${esc(statusLabel(d.status))}</span>` +
      (d.escalated_at && d.status === "open" ? `<span class="status-tag escalated">${esc(T.escalated)}</span>` : "") +
      (d.cleared_at && d.status !== "closed" ? `<span class="status-tag cleared">${esc(T.cleared)}</span>` : "");
    let html = closeButton() +
      `<h2 id="alert-card-title"><span class="level-badge level-${d.level}">${esc(levelLabel(d.level))}</span> ${esc(kindLabel(d.kind))}</h2>` +
      `<p class="alert-state" data-status="${esc(d.status)}">${stateTags}</p>` +
      `<p class="alert-message">${esc(d.message)}</p>` +
      facts([
        [T.level, esc(levelLabel(d.level))],
        [T.kind, esc(kindLabel(d.kind))],
        d.target_key ? [T.vessel, `<button type="button" class="link-button" data-action="target" data-key="${esc(d.target_key)}">${esc(T.show_on_map)}</button>` +
          (d.vessel_id ? ` · <a href="/fleet/vessels/${encodeURIComponent(d.vessel_id)}">${esc(T.open_vessel)}</a>` : "")] : null,
        [T.sea_grid, esc(d.sea_grid_code || "—")],
        [T.raised_at, esc(time.show(d.raised_at))],
        d.acknowledged_at ? [T.acknowledged_at, esc(time.show(d.acknowledged_at))] : null,
        d.closed_at ? [T.closed_at, esc(time.show(d.closed_at))] : null,
        d.case_number ? [T.case, `<a class="case-link" href="/cases/${encodeURIComponent(d.case_number)}">${esc(d.case_number)}</a>`] : null,
        ...detailRows(d),
      ]);
    const buttons = [];
    if (can.handle && d.status === "open") buttons.push(`<button type="button" data-action="acknowledge">${esc(T.acknowledge)}</button>`);
    if (can.handle && d.status !== "closed") buttons.push(`<button type="button" class="secondary" data-action="resolve" aria-expanded="false" aria-controls="alert-resolve">${esc(T.resolve)}</button>`);
    if (Number.isFinite(d.lat) && Number.isFinite(d.lon)) buttons.push(`<button type="button" class="secondary" data-action="near">${esc(T.near)}</button>`);
    html += `<div class="alert-actions">${buttons.join("")}</div>`;
    if (can.handle && d.status !== "closed") {
      html += `<form id="alert-resolve" class="alert-resolve stack" hidden>` +
        `<label>${esc(T.resolve_note)}<textarea name="note" rows="3" maxlength="2000" required></textarea></label>` +
        `<div><button type="submit">${esc(T.resolve_submit)}</button> <button type="button" class="secondary" data-action="cancel-resolve">${esc(T.cancel)}</button></div></form>`;
    }
    html += `<p class="alert-error error" role="alert" hidden></p>`;
    const who = (d.recipients || []).map((r) => {
      const name = r.cadre_name || r.user_name || "";
      const account = r.user_id ? "" : ` <span class="muted">（${esc(T.no_account)}）</span>`;
      return `<li data-role="${esc(r.role)}"><span class="tag">${esc(T["role_" + r.role] || r.role)}</span>${esc(name || "—")}${account}</li>`;
    }).join("");
    html += `<h3>${esc(T.addressees)}</h3><ul class="alert-recipients">${who || `<li class="muted">${esc(T.no_addressees)}</li>`}</ul>`;
    const steps = (d.timeline || []).map((s) => {
      const by = s.actor_id ? esc(s.actor_name || `#${s.actor_id}`) : esc(T.engine);
      const extra = s.action === "case_opened" && s.details && s.details.case_number ? ` ${esc(s.details.case_number)}` : "";
      return `<li data-step="${esc(s.action)}"><time datetime="${esc(s.at)}">${esc(time.show(s.at))}</time> ` +
        `<strong>${esc(T["act_" + s.action] || s.action)}</strong>${extra} <span class="muted">· ${by}</span>` +
        (s.note ? `<div class="step-note">${esc(s.note)}</div>` : "") + "</li>";
    }).join("");
    html += `<h3>${esc(T.timeline)}</h3><ol class="alert-timeline">${steps}</ol>`;
    card.innerHTML = html;
  }
  function showError(err) {
    const p = card.querySelector(".alert-error");
    if (!p) return;
    p.hidden = false;
    p.textContent = fmt(T.error, { message: err.message });
  }
  async function act(id, verb, note, button) {
    if (button) { button.disabled = true; button.textContent = T.saving; }
    try {
      await K.postJSON(`/api/alerts/${encodeURIComponent(id)}/${verb}`, { note });
      await refreshAlert();
      poll();
    } catch (err) {
      if (button) { button.disabled = false; button.textContent = verb === "acknowledge" ? T.acknowledge : T.resolve_submit; }
      showError(err);
    }
  }
  function closeAlert() {
    cardTicket += 1;
    card.hidden = true;
    card.innerHTML = "";
    delete card.dataset.id;
    selectAlert(null);
  }
  card.addEventListener("click", (ev) => {
    const btn = ev.target.closest("[data-action]");
    if (!btn) return;
    const id = Number(card.dataset.id);
    const action = btn.dataset.action;
    if (action === "close") closeAlert();
    else if (action === "acknowledge") act(id, "acknowledge", "", btn);
    else if (action === "resolve" || action === "cancel-resolve") {
      const form = card.querySelector("#alert-resolve");
      form.hidden = action === "cancel-resolve" ? true : !form.hidden;
      const toggle = card.querySelector("[data-action=resolve]");
      if (toggle) toggle.setAttribute("aria-expanded", String(!form.hidden));
      if (!form.hidden) form.note.focus();
    } else if (action === "target") S.goToKey(Number(btn.dataset.key));
    else if (action === "near") {
      const a = alerts.find((x) => x.id === id);
      const at = a || null;
      if (at) near(L.latLng(at.lat, at.lon));
      else K.getJSON(`/api/alerts/${id}`).then((d) => near(L.latLng(d.lat, d.lon)));
    }
  });
  card.addEventListener("submit", (ev) => {
    const form = ev.target.closest("#alert-resolve");
    if (!form) return;
    ev.preventDefault();
    const note = form.note.value.trim();
    if (!note) { showError(new Error(T.note_required)); form.note.focus(); return; }
    act(Number(card.dataset.id), "resolve", note, form.querySelector("button[type=submit]"));
  });
  card.addEventListener("keydown", (ev) => { if (ev.key === "Escape") { ev.stopPropagation(); closeAlert(); } });

  // ------------------------------------------------------------------ a vessel card's alert history
  document.getElementById("sea-card").addEventListener("sea:card", (ev) => {
    const d = ev.detail, seaCard = ev.currentTarget;
    if (!d.vessel) return;
    const key = String(d.target.key);
    const section = document.createElement("section");
    section.className = "alert-history";
    section.setAttribute("aria-labelledby", "alert-history-title");
    section.innerHTML = `<h3 id="alert-history-title">${esc(T.alert_history)}</h3><p class="muted">…</p>`;
    const replay = seaCard.querySelector("section.replay");
    seaCard.insertBefore(section, replay || null);
    K.getJSON(`/api/alerts?vessel_id=${encodeURIComponent(d.vessel.id)}&limit=20`).then((r) => {
      if (seaCard.dataset.key !== key) return;
      const rows = (r.alerts || []).slice().sort((a, b) => Date.parse(b.raised_at) - Date.parse(a.raised_at)).map((a) =>
        `<tr><td>${esc(time.short(a.raised_at))}</td><td><button type="button" class="link-button" data-alert-id="${a.id}">${esc(kindLabel(a.kind))}</button></td>` +
        `<td><span class="level-badge level-${a.level}">${esc(levelLabel(a.level))}</span></td><td>${esc(statusLabel(a.status))}</td></tr>`).join("");
      section.innerHTML = `<h3 id="alert-history-title">${esc(T.alert_history)}</h3>` + (rows
        ? `<div class="table-wrap"><table class="grid compact"><thead><tr><th scope="col">${esc(T.raised_at)}</th><th scope="col">${esc(T.kind)}</th>` +
          `<th scope="col">${esc(T.level)}</th><th scope="col">${esc(T.state)}</th></tr></thead><tbody>${rows}</tbody></table></div>`
        : `<p class="muted">${esc(T.no_alerts)}</p>`);
    }).catch(() => { section.querySelector("p").textContent = T.load_failed; });
    section.addEventListener("click", (e) => {
      const b = e.target.closest("[data-alert-id]");
      if (b) openAlert(Number(b.dataset.alertId), { fly: true });
    });
  });

  // ------------------------------------------------------------------ who is near (附近船舶)
  const nearLayer = L.layerGroup().addTo(map);
  const banner = L.DomUtil.create("div", "near-banner");
  banner.setAttribute("role", "status");
  banner.hidden = true;
  map.getContainer().parentElement.appendChild(banner);
  let nearButton = null;
  function setPicking(on) {
    S.modes.picking = on;
    map.getContainer().classList.toggle("picking", on);
    banner.hidden = !on;
    banner.textContent = on ? T.near_pick : "";
    if (nearButton) nearButton.setAttribute("aria-pressed", String(on));
  }
  const NearControl = L.Control.extend({
    options: { position: "topleft" },
    onAdd() {
      const box = L.DomUtil.create("div", "leaflet-bar near-control");
      nearButton = L.DomUtil.create("button", "", box);
      nearButton.type = "button";
      nearButton.dataset.test = "near-button";
      nearButton.textContent = T.near;
      nearButton.title = T.near_pick;
      nearButton.setAttribute("aria-pressed", "false");
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.on(nearButton, "click", () => setPicking(!S.modes.picking));
      return box;
    },
  });
  new NearControl().addTo(map);
  map.on("click", (e) => { if (S.modes.picking) { setPicking(false); near(e.latlng); } });
  map.on("contextmenu", (e) => {
    if (e.originalEvent) e.originalEvent.preventDefault();
    near(e.latlng);
  });
  document.addEventListener("keydown", (ev) => { if (ev.key === "Escape" && S.modes.picking) setPicking(false); });

  let nearTicket = 0;
  async function near(latlng) {
    const ticket = ++nearTicket;
    nearLayer.clearLayers();
    const dot = L.circleMarker(latlng, { radius: 6, color: "#6a1b9a", weight: 2, fillColor: "#fff", fillOpacity: 1, interactive: false, pane: "seaAlertsTop" }).addTo(nearLayer);
    const popup = L.popup({ maxWidth: 360, minWidth: 280, className: "near-popup", autoPanPadding: [20, 20] })
      .setLatLng(latlng).setContent(`<p class="muted">…</p>`).openOn(map);
    popup.on("remove", () => nearLayer.removeLayer(dot));
    const where = `${num(latlng.lat, 4)}°N ${num(latlng.lng, 4)}°E`;
    try {
      const d = await K.getJSON(`/api/maritime/near?lon=${latlng.lng.toFixed(6)}&lat=${latlng.lat.toFixed(6)}&limit=10`);
      if (ticket !== nearTicket) return;
      const rows = (d.nearest || []).map((v) =>
        `<tr><td><button type="button" class="link-button" data-key="${esc(v.key)}">${esc(v.name || v.key)}</button>` +
        (v.patrol ? ` <span class="tag">${esc(T.patrol)}</span>` : "") + `</td>` +
        `<td class="num">${num(v.range_nm, 2)}</td><td class="num">${num(v.eta_min, 0)}</td></tr>`).join("");
      const box = document.createElement("section");
      box.className = "near-result";
      box.setAttribute("aria-labelledby", "near-title");
      box.innerHTML = `<h3 id="near-title">${esc(T.near_here)}</h3><p class="muted small">${esc(where)}</p>` + (rows
        ? `<table class="grid compact"><thead><tr><th scope="col">${esc(T.vessel)}</th><th scope="col" class="num">${esc(T.range_nm)}</th>` +
          `<th scope="col" class="num">${esc(T.eta_min)}</th></tr></thead><tbody>${rows}</tbody></table>`
        : `<p>${esc(T.near_none)}</p>`);
      // Leaflet stops clicks at the popup, so the rows listen on the popup's own content.
      box.addEventListener("click", (ev) => {
        const b = ev.target.closest("[data-key]");
        if (b) S.goToKey(Number(b.dataset.key));
      });
      popup.setContent(box);
      const first = box.querySelector("button");
      if (first) first.focus({ preventScroll: true });
    } catch (err) {
      if (ticket === nearTicket) popup.setContent(`<p class="error" role="alert">${esc(T.load_failed)}</p>`);
    }
  }

  // For tests and the console.
  Object.assign(S, { alerts: () => alerts, openAlert, near, alertMarkers: markers, poll });
  poll();
})();
