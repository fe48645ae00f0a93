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

// A QR code instead of the ID card: its reasons start QR_ (elder card) or CERT_ (certificate).
function identityText(reasons) {
  for (const [prefix, words] of Object.entries(texts.identity)) {
    if (reasons.some((code) => code.startsWith(prefix))) return words;
  }
  return null;
}

const OFFLINE_WORDS = {
  cache: { zh: "离线核验（上次结果）", en: "Offline (saved result)" },
  risklist: { zh: "离线核验（名单）", en: "Offline (risk list)" },
  none: { zh: "未能联网核验", en: "Not verified online" },
};

// How old the data behind an offline verdict is, in whole plain units.
function ageWords(seconds) {
  if (seconds === null || seconds === undefined) return null;
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  const days = Math.floor(hours / 24);
  if (minutes < 1) return { zh: "数据刚刚更新", en: "data under 1 min old" };
  if (hours < 1) return { zh: `数据 ${minutes} 分钟前`, en: `data ${minutes} min old` };
  if (days < 2) return { zh: `数据 ${hours} 小时前`, en: `data ${hours} h old` };
  return { zh: `数据 ${days} 天前`, en: `data ${days} days old` };
}

// The offline badge: Chinese on the first line, English on the second.
function offlineText(source, dataAgeS) {
  const words = OFFLINE_WORDS[source] || OFFLINE_WORDS.none;
  const age = ageWords(dataAgeS);
  if (!age) return `${words.zh}\n${words.en}`;
  return `${words.zh} · ${age.zh}\n${words.en} · ${age.en}`;
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
  const advice = texts.advice[screen.reasons[0]] || { zh: "", en: "" };
  setText("advice-zh", advice.zh);
  setText("advice-en", advice.en);
  const identity = identityText(screen.reasons);
  const badge = document.getElementById("identity");
  badge.hidden = !identity;
  badge.textContent = identity ? `${identity.zh} · ${identity.en}` : "";
  const offline = document.getElementById("offline");
  offline.hidden = screen.source === "online";
  offline.textContent = offline.hidden ? "" : offlineText(screen.source, screen.data_age_s);
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
