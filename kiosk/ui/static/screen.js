// Renders /api/screen states pushed over SSE; the texts come from /api/texts.
"use strict";

const ICONS = { PASS: "✓", CHECK: "!", DENY: "✕" };
let texts = null;
let latest = null;

function show(id) {
  for (const panel of ["idle", "reading", "result"]) {
    document.getElementById(panel).hidden = panel !== id;
  }
}

function setText(id, value) {
  document.getElementById(id).textContent = value || "";
}

function reasonText(code) {
  return (texts.reasons[code] || texts.unknown_reason);
}

function offlineText(source) {
  if (source === "cache") return "离线核验（缓存） · Offline (saved result)";
  if (source === "risklist") return "离线核验（名单） · Offline (risk list)";
  return "未能联网核验 · Not verified online";
}

function render(screen) {
  latest = screen;
  if (!texts) return;
  document.body.dataset.state = screen.state;
  document.body.dataset.verdict = screen.verdict || "";
  if (screen.state !== "result") {
    show(screen.state);
    return;
  }
  const words = texts.verdicts[screen.verdict];
  setText("icon", ICONS[screen.verdict]);
  setText("verdict-zh", words.zh);
  setText("verdict-en", words.en);
  setText("name", screen.name);
  const reason = screen.reasons.length ? reasonText(screen.reasons[0]) : { zh: "", en: "" };
  setText("reason-zh", reason.zh);
  setText("reason-en", reason.en);
  const offline = document.getElementById("offline");
  offline.hidden = screen.source === "online";
  offline.textContent = offline.hidden ? "" : offlineText(screen.source);
  show("result");
}

function renderReader(reader) {
  document.body.dataset.reader = reader.ok ? "ok" : "fault";
  document.getElementById("out-of-service").hidden = reader.ok;
}

async function start() {
  texts = await (await fetch("/api/texts")).json();
  setText("out-of-service-zh", texts.out_of_service.zh);
  setText("out-of-service-en", texts.out_of_service.en);
  if (latest) render(latest);
  const events = new EventSource("/api/screen/events");
  events.addEventListener("screen", (e) => render(JSON.parse(e.data)));
  events.addEventListener("reader", (e) => renderReader(JSON.parse(e.data)));
  events.addEventListener("open", () => { document.body.dataset.link = "up"; });
  events.addEventListener("error", () => { document.body.dataset.link = "down"; });
}

start();
