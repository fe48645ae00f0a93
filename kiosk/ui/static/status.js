// Polls /api/status every two seconds and fills the table.
"use strict";

function put(id, text, cls) {
  const cell = document.getElementById(id);
  cell.textContent = text;
  cell.className = cls || "";
}

function age(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function recent(taps) {
  const rows = taps.map((tap) => {
    const row = document.createElement("tr");
    row.className = tap.verdict;
    const cells = [new Date(tap.at).toLocaleTimeString(), tap.verdict, tap.name || "—",
      tap.reasons.join(", ") || "—"];
    for (const text of cells) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  });
  document.querySelector("#recent tbody").replaceChildren(...rows);
}

function fill(s) {
  put("kiosk", `${s.kiosk_id} @ ${s.site}`);
  put("reader", `${s.reader.state}: ${s.reader.detail}`, s.reader.state);
  const v = s.verifier;
  const latency = v.latency_ms === null ? "" : ` · ${v.latency_ms} ms`;
  put("verifier", `${v.state}${latency} · ${v.url}${v.last_error ? " · " + v.last_error : ""}`, v.state);
  const c = s.counts_today;
  put("counts", `total ${c.total} · 60+ ${c.elder} · PASS ${c.PASS} · CHECK ${c.CHECK} · DENY ${c.DENY}`);
  const o = s.outbox;
  const disk = o.max_bytes ? ` · ${(o.used_bytes / 2 ** 20).toFixed(1)} of ${o.max_bytes / 2 ** 20} MB` : "";
  const refused = o.refused ? ` · ${o.refused} refused (full)` : "";
  put("outbox", `${o.pending} pending · oldest ${age(o.oldest_age_s)}${disk}${refused}${o.alarm ? " · nearly full" : ""}`,
    o.alarm ? "error" : "");
  const r = s.risklist;
  put("risklist", r.version === null ? "none yet" : `v${r.version} · ${r.entries} entries · ${age(r.age_s)} old`);
  put("camera", s.camera.state || JSON.stringify(s.camera));
  put("voice", `${s.voice.state}${s.voice.detail ? " · " + s.voice.detail : ""}`, s.voice.state);
  put("drift", s.clock_drift_s === null ? "—" : `${s.clock_drift_s} s`);
  put("last-error", s.last_error ? `${s.last_error_at} · ${s.last_error}` : "none");
  put("version", s.version);
  put("uptime", age(s.uptime_s));
  recent(s.recent || []);
  put("updated", `updated ${new Date().toLocaleTimeString()}`);
}

async function poll() {
  try {
    const response = await fetch("/api/status");
    fill(await response.json());
  } catch (err) {
    put("updated", `kiosk not answering: ${err}`, "error");
  }
}

poll();
setInterval(poll, 2000);
