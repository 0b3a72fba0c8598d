/**
 * The dashboard's only stylesheet and script, sent inline with the page's CSP nonce: no build
 * step, no CDN, nothing fetched from elsewhere.
 */

export const STYLES = `
:root { --bg:#f5f6f8; --card:#fff; --ink:#1d2330; --muted:#667085; --line:#e3e6eb; --accent:#4f46e5;
  --ok:#16a34a; --bad:#dc2626; --warn:#d97706; --info:#2563eb; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; background:var(--bg); color:var(--ink); }
header.top { background:#111827; color:#e5e7eb; display:flex; align-items:center; gap:20px; padding:0 24px; height:52px; }
header.top .brand { font-weight:700; font-size:16px; color:#fff; letter-spacing:.2px; }
header.top nav { display:flex; gap:4px; }
header.top nav a { color:#cbd5e1; text-decoration:none; padding:6px 12px; border-radius:6px; }
header.top nav a:hover { background:#1f2937; color:#fff; }
header.top nav a.active { background:#374151; color:#fff; }
header.top .meta { margin-left:auto; display:flex; gap:12px; align-items:center; font-size:12px; color:#9ca3af; }
header.top .meta form { margin:0; }
header.top .meta button { background:transparent; color:#cbd5e1; border:1px solid #4b5563; }
main { max-width:1200px; margin:0 auto; padding:20px 24px 48px; }
h1 { font-size:20px; margin:4px 0 16px; }
h2 { font-size:16px; margin:24px 0 10px; }
a { color:var(--accent); }
.muted { color:var(--muted); font-weight:normal; }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:16px; margin-bottom:16px; }
.notice { background:#ecfdf5; border:1px solid #a7f3d0; color:#065f46; padding:10px 14px; border-radius:8px; margin-bottom:16px; }
.warning { background:#fffbeb; border:1px solid #fde68a; color:#92400e; padding:10px 14px; border-radius:8px; margin-bottom:16px; }
.tiles { display:grid; grid-template-columns:repeat(5,1fr); gap:12px; margin-bottom:16px; }
.tile { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:12px 14px; }
.tile .n { font-size:24px; font-weight:650; font-variant-numeric:tabular-nums; }
.tile .k { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.5px; }
.tile.failed .n { color:var(--bad); } .tile.completed .n { color:var(--ok); } .tile.processing .n { color:var(--info); }
.tile.retrying .n { color:var(--warn); }
table { width:100%; border-collapse:collapse; background:var(--card); }
th, td { text-align:left; padding:8px 10px; border-bottom:1px solid var(--line); vertical-align:middle; }
.nowrap { white-space:nowrap; }
th { font-size:12px; color:var(--muted); text-transform:uppercase; letter-spacing:.4px; font-weight:600; background:#fafbfc; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
tr:last-child td { border-bottom:none; }
.table-wrap { border:1px solid var(--line); border-radius:10px; overflow-x:auto; margin-bottom:16px; background:var(--card); }
code, pre, .mono { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:12.5px; }
pre { background:#0f172a; color:#e2e8f0; padding:12px 14px; border-radius:8px; overflow:auto; max-height:420px; white-space:pre-wrap; word-break:break-word; margin:0; }
pre.error { background:#1f0f12; color:#fecaca; }
.badge { display:inline-block; padding:1px 8px; border-radius:999px; font-size:12px; font-weight:600; background:#eef2ff; color:#3730a3; }
.badge.pending { background:#f1f5f9; color:#334155; } .badge.processing { background:#dbeafe; color:#1e40af; }
.badge.retrying { background:#fef3c7; color:#92400e; } .badge.completed { background:#dcfce7; color:#166534; }
.badge.failed { background:#fee2e2; color:#991b1b; } .badge.paused { background:#fde68a; color:#78350f; }
.charts { display:grid; grid-template-columns:1fr 1fr; gap:16px; }
figure.chart { margin:0; background:var(--card); border:1px solid var(--line); border-radius:10px; padding:12px 14px 8px; }
figure.chart figcaption { font-weight:600; margin-bottom:6px; }
figure.chart svg { width:100%; height:auto; display:block; }
svg .bar.ok { fill:var(--ok); } svg .bar.bad { fill:var(--bad); }
svg .grid { stroke:#eef0f3; } svg .axis { stroke:#cbd0d8; }
svg .label { fill:#8a93a3; font-size:11px; }
button, .button { font:inherit; font-size:13px; padding:5px 12px; border-radius:6px; border:1px solid var(--line); background:#fff; color:var(--ink); cursor:pointer; text-decoration:none; display:inline-block; }
button.primary { background:var(--accent); border-color:var(--accent); color:#fff; }
button.danger { background:#fff; border-color:#fca5a5; color:var(--bad); }
button:hover { filter:brightness(.96); }
form.inline { display:inline; margin:0; }
.actions { display:flex; gap:8px; flex-wrap:wrap; align-items:center; }
.card > .actions { margin-top:14px; }
.filters { display:flex; gap:8px; align-items:center; margin-bottom:12px; flex-wrap:wrap; }
.filters input[type=search] { padding:6px 10px; border:1px solid var(--line); border-radius:6px; min-width:280px; font:inherit; }
.filters select { padding:5px 8px; border:1px solid var(--line); border-radius:6px; font:inherit; background:#fff; }
.tabs { display:flex; gap:4px; margin-bottom:12px; flex-wrap:wrap; }
.tabs a { padding:5px 12px; border-radius:999px; text-decoration:none; color:var(--ink); border:1px solid var(--line); background:#fff; }
.tabs a.active { background:var(--ink); color:#fff; border-color:var(--ink); }
.pager { display:flex; gap:10px; align-items:center; justify-content:flex-end; color:var(--muted); }
dl.facts { display:grid; grid-template-columns:160px 1fr; gap:6px 16px; margin:0; }
dl.facts dt { color:var(--muted); } dl.facts dd { margin:0; }
.empty { color:var(--muted); padding:18px; text-align:center; }
.login { max-width:380px; margin:80px auto; }
.login input { width:100%; padding:8px 10px; border:1px solid var(--line); border-radius:6px; font:inherit; margin:8px 0 12px; }
.truncate { max-width:300px; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
svg .slot .hit { fill:transparent; } svg .slot:hover .hit { fill:#eef2ff; } svg .slot:hover .bar { filter:brightness(.85); }
svg .bar.info { fill:var(--info); } svg .tick { stroke:#cbd0d8; }
.charts:has(> :nth-child(3)) { grid-template-columns:1fr 1fr 1fr; }
details.msg summary { cursor:pointer; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; max-width:520px; }
td.error-cell details.msg summary, td.error-cell span.msg { max-width:230px; }
#error-groups button, #failed button { white-space:nowrap; }
#error-groups td.group-error summary { max-width:420px; }
#error-groups .actions, #failed .actions { flex-wrap:nowrap; }
details.msg[open] summary { white-space:normal; }
details.msg pre { margin-top:6px; max-height:300px; }
span.msg { display:inline-block; max-width:520px; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; vertical-align:bottom; }
ul.current { list-style:none; margin:0; padding:0; } ul.current li { white-space:nowrap; }
ul.current .runtime { font-variant-numeric:tabular-nums; font-weight:600; }
tr.stale td { background:#fff7ed; }
h1 a.class-link { color:inherit; text-decoration:none; border-bottom:1px dashed var(--muted); }
@media (max-width: 900px) { .tiles { grid-template-columns:repeat(2,1fr); } .charts { grid-template-columns:1fr; } }
`;

/**
 * Refreshes the page's <main> while it is open and visible (skipped while the user types), and
 * asks before destructive actions. Only the <main> element is fetched (a page's <style> parsed
 * here would carry another response's nonce), as server-escaped HTML, parsed inert.
 */
export const SCRIPT = `
(() => {
  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
  // Run times of running jobs count up between updates (workers page).
  const runtime = (ms) => {
    const s = Math.max(0, Math.round(ms / 1000));
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (s < 60) return s + ' s';
    const m = Math.floor(s / 60);
    if (m < 60) return m + ' min ' + (s % 60) + ' s';
    return Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
  };
  setInterval(() => {
    for (const el of document.querySelectorAll('.runtime[data-started]')) {
      el.textContent = runtime(Date.now() - Number(el.dataset.started));
    }
  }, 1000);
  const seconds = Number(document.body.dataset.refresh || 0);
  if (!seconds) return;
  let busy = false;
  let again = false;
  // A form being filled in (focused, or changed and not sent) is never replaced under the user:
  // checked before the fetch and again before the swap, since the user goes on while it is in flight.
  const editing = () => {
    const active = document.activeElement;
    if (active && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName)) return true;
    for (const el of document.querySelectorAll('main input, main textarea')) {
      if (el.type === 'hidden') continue;
      const changed = el.type === 'checkbox' || el.type === 'radio' ? el.checked !== el.defaultChecked : el.value !== el.defaultValue;
      if (changed) return true;
    }
    for (const el of document.querySelectorAll('main select')) {
      // With no option marked selected, the first one is the default.
      const initial = Math.max(0, Array.from(el.options).findIndex((o) => o.defaultSelected));
      if (!el.multiple && el.selectedIndex !== initial) return true;
    }
    return false;
  };
  // An open error (details) stays open too: the refresh waits until it is closed.
  const held = () => editing() || document.querySelector('main details[open]') !== null;
  const tick = async () => {
    if (document.hidden) return;
    if (held()) {
      document.body.dataset.refreshHeld = String(Date.now());
      return;
    }
    if (busy) { again = true; return; }
    busy = true;
    try {
      const response = await fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html', 'x-jobwright-fragment': '1' } });
      const type = response.headers.get('content-type') || '';
      if (!response.ok || !type.startsWith('text/html')) return;
      const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
      const fresh = doc.querySelector('main');
      const current = document.querySelector('main');
      if (fresh && current && held()) {
        document.body.dataset.refreshHeld = String(Date.now());
      } else if (fresh && current) {
        current.replaceWith(document.adoptNode(fresh));
        document.body.dataset.refreshedAt = String(Date.now());
      }
    } catch (error) {
      // The server may be restarting: try again at the next tick.
    } finally {
      busy = false;
      if (again) { again = false; setTimeout(tick, 50); }
    }
  };
  // Live: the server says when something changed (server-sent events). Without EventSource, or
  // when the stream is refused (too many open, live updates off), poll every few seconds instead.
  const state = document.getElementById('live-state');
  let polling = null;
  const poll = () => {
    if (polling === null) polling = setInterval(tick, seconds * 1000);
    if (state) state.textContent = 'refreshes every ' + seconds + ' s';
  };
  if (typeof EventSource !== 'function' || !document.body.dataset.events) return poll();
  const events = new EventSource(document.body.dataset.events);
  events.addEventListener('ready', () => {
    if (state) state.textContent = 'live';
    tick();
  });
  events.addEventListener('change', () => tick());
  events.addEventListener('error', () => {
    if (events.readyState === EventSource.CLOSED) poll();
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) tick();
  });
})();
`;
