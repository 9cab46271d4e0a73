// Small helpers shared by the sea pages' scripts (live map, alert console, typhoon board, restricted waters):
// escaping, message formatting, JSON requests that carry the CSRF token and surface the API's error message,
// and times shown in the display zone (Asia/Shanghai). No framework.
(function () {
  "use strict";
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const fmt = (s, values) => String(s).replace(/%\((\w+)\)s/g, (m, k) => (k in values ? values[k] : m));
  const num = (v, digits) => (v === null || v === undefined || Number.isNaN(Number(v)) ? "—" : Number(v).toFixed(digits));
  const readJSON = (id) => JSON.parse(document.getElementById(id).textContent);

  // An Error carrying the HTTP status and the API's own message ({"error": {"code", "message"}}).
  async function request(method, url, body) {
    const headers = { Accept: "application/json" };
    const init = { method, credentials: "same-origin", headers };
    if (method !== "GET") {
      const meta = document.querySelector('meta[name="csrf-token"]');
      if (meta) headers["X-CSRF-Token"] = meta.content;
    }
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = typeof body === "string" ? body : JSON.stringify(body);
    }
    const r = await fetch(url, init);
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    if (!r.ok) {
      const err = new Error((data && data.error && data.error.message) || `${r.status} ${url}`);
      err.status = r.status;
      err.code = data && data.error ? data.error.code : null;
      throw err;
    }
    return data;
  }

  function zoneTools(timezone) {
    const parts = new Intl.DateTimeFormat("en-CA", {
      timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
    });
    function zoned(ms) {
      const p = {};
      for (const part of parts.formatToParts(new Date(ms))) p[part.type] = part.value;
      return p;
    }
    function offset(ms) {
      const p = zoned(ms);
      return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(ms / 1000) * 1000;
    }
    return {
      // "2026-08-01 14:05:00" in the display zone ("—" for nothing).
      show(iso, withDate = true) {
        if (!iso) return "—";
        const p = zoned(Date.parse(iso));
        return (withDate ? `${p.year}-${p.month}-${p.day} ` : "") + `${p.hour}:${p.minute}:${p.second}`;
      },
      short(iso) {
        if (!iso) return "—";
        const p = zoned(Date.parse(iso));
        return `${p.month}-${p.day} ${p.hour}:${p.minute}`;
      },
      // The value of a datetime-local input, in the display zone.
      toInput(ms) { const p = zoned(ms); return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`; },
      // A datetime-local value read in the display zone, as Unix milliseconds (NaN when empty or malformed).
      fromInput(value) {
        const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || "");
        if (!m) return NaN;
        const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
        return wall - offset(wall - offset(wall));
      },
    };
  }

  window.pinganKit = {
    esc, fmt, num, readJSON, zoneTools,
    getJSON: (url) => request("GET", url),
    postJSON: (url, body) => request("POST", url, body ?? {}),
    del: (url) => request("DELETE", url),
  };
})();
