import { createHash } from 'node:crypto';

/**
 * The console's stylesheet and script, kept as strings so `tsc` carries them into dist/ without a
 * copy step and the CSP can stay `'self'` with no inline code.
 */
export const CONSOLE_CSS = `
:root { --fg: #1d2330; --muted: #5d6678; --line: #dde2ea; --bg: #f5f7fa; --accent: #2457c5; --ok: #1d7a46; --bad: #b42318; --warn: #a15c00; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 20px; padding: 10px 24px; background: #1d2330; color: #fff; }
header .brand { font-weight: 700; letter-spacing: .02em; }
header nav { display: flex; gap: 14px; flex: 1; }
header a { color: #cfd6e4; text-decoration: none; }
header a[aria-current] { color: #fff; border-bottom: 2px solid #fff; }
header form { margin: 0; }
header .who { color: #cfd6e4; font-size: 13px; }
main { max-width: 1100px; margin: 0 auto; padding: 20px 24px 40px; }
h1 { font-size: 20px; margin: 0 0 16px; }
h2 { font-size: 16px; margin: 24px 0 8px; }
section.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 18px; margin-bottom: 16px; }
section.card > h2:first-child { margin-top: 0; }
.nowrap { white-space: nowrap; }
table { width: 100%; border-collapse: collapse; background: #fff; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); background: #fafbfc; }
dl { display: grid; grid-template-columns: 180px 1fr; gap: 6px 14px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; word-break: break-word; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
a { color: var(--accent); }
button, .button { font: inherit; padding: 6px 12px; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { background: #fff; color: var(--bad); border-color: var(--bad); }
header button { background: transparent; border-color: #5d6678; color: #cfd6e4; padding: 3px 10px; }
input, select { font: inherit; padding: 6px 8px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
form.inline { display: inline; margin: 0; }
form.bar { display: flex; gap: 8px; align-items: center; margin-bottom: 14px; flex-wrap: wrap; }
form.bar input[type=search] { min-width: 340px; }
form.search input[type=search] { flex: 1 1 100%; }
nav.pager { display: flex; gap: 18px; margin-top: 12px; }
progress { width: 100%; height: 16px; margin: 6px 0 12px; }
ul.jobs { margin: 10px 0 0; padding-left: 18px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; background: #e8ebf1; }
.badge.delivered, .badge.closed, .badge.sent { background: #dcf3e5; color: var(--ok); }
.badge.dead, .badge.open { background: #fde4e1; color: var(--bad); }
.badge.queued, .badge.retrying { background: #fff0d6; color: var(--warn); }
.notice { padding: 10px 14px; border-radius: 6px; background: #e6effd; border: 1px solid #b7cdf5; margin-bottom: 16px; }
.notice.error { background: #fde4e1; border-color: #f4b4ab; }
.muted { color: var(--muted); }
.actions { display: flex; gap: 8px; }
.login { max-width: 380px; margin: 12vh auto; }
nav.tabs { display: flex; gap: 4px; margin-bottom: 14px; align-items: center; }
nav.tabs a { padding: 4px 12px; border-radius: 6px; border: 1px solid var(--line); background: #fff; text-decoration: none; }
nav.tabs a[aria-current] { background: var(--accent); border-color: var(--accent); color: #fff; }
nav.tabs .spacer { flex: 1; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(96px, 1fr)); gap: 8px; margin-bottom: 16px; }
.tile { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; display: flex; flex-direction: column; white-space: nowrap; }
.tile .muted { font-size: 12px; }
.tile strong { font-size: 18px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 12px; }
.chart-card { margin-bottom: 0; }
svg.chart { width: 100%; height: 106px; display: block; }
.chart-frame { position: relative; }
.chart-frame .axis-max { position: absolute; right: 0; top: -18px; font-size: 11px; }
.chart-frame .axis { display: flex; justify-content: space-between; font-size: 11px; }
ul.legend { list-style: none; padding: 0; margin: 6px 0 0; display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12.5px; }
svg.meter { vertical-align: middle; }
pre.output { background: #1d2330; color: #e6e9ef; padding: 12px; border-radius: 6px; overflow-x: auto; white-space: pre-wrap; }
.secret { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; background: #fff7e0; border: 1px dashed var(--warn); padding: 8px 10px; border-radius: 6px; word-break: break-all; }
textarea.snippet.short { min-height: 0; height: 3.4em; }
textarea.snippet { width: 100%; min-height: 230px; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; border: 1px solid var(--line); border-radius: 6px; padding: 8px; }
.login input { width: 100%; margin: 6px 0 14px; }
`;

/**
 * Asks before destructive actions (forms with data-confirm) and keeps a lead page that is still on
 * its way fresh (body[data-refresh-ms]); everything else works without script.
 */
export const CONSOLE_JS = `
document.addEventListener('submit', function (event) {
  var message = event.target.getAttribute('data-confirm');
  if (message && !window.confirm(message)) event.preventDefault();
});
var refresh = Number(document.body.getAttribute('data-refresh-ms'));
if (refresh > 0) setTimeout(function () { window.location.reload(); }, refresh);
// Live parts (the overview): the server renders them again; a signed-out session reloads into sign-in.
document.querySelectorAll('[data-live-url]').forEach(function (part) {
  var url = part.getAttribute('data-live-url');
  var every = Number(part.getAttribute('data-live-ms')) || 5000;
  function poll() {
    fetch(url, { credentials: 'same-origin', headers: { accept: 'text/html' } }).then(function (response) {
      if (response.redirected || response.status === 401) { window.location.reload(); return; }
      if (!response.ok) throw new Error('HTTP ' + response.status);
      return response.text().then(function (text) { part.innerHTML = text; part.setAttribute('data-updated', String(Date.now())); });
    }).catch(function () { part.setAttribute('data-stale', 'true'); }).then(function () { setTimeout(poll, every); });
  }
  setTimeout(poll, every);
});
`;

/** Content hashes in the asset URLs: a new release is fetched at once, an unchanged one cached. */
export const ASSET_VERSION = createHash('sha256').update(CONSOLE_CSS + CONSOLE_JS).digest('hex').slice(0, 12);
