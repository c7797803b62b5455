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
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; background: #e8ebf1; }
.badge.delivered, .badge.closed { background: #dcf3e5; color: var(--ok); }
.badge.dead, .badge.open { background: #fde4e1; color: var(--bad); }
.badge.queued, .badge.retrying { background: #fff0d6; color: var(--warn); }
.notice { padding: 10px 14px; border-radius: 6px; background: #e6effd; border: 1px solid #b7cdf5; margin-bottom: 16px; }
.notice.error { background: #fde4e1; border-color: #f4b4ab; }
.muted { color: var(--muted); }
.actions { display: flex; gap: 8px; }
.login { max-width: 380px; margin: 12vh auto; }
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
`;

/** Content hashes in the asset URLs: a new release is fetched at once, an unchanged one cached. */
export const ASSET_VERSION = createHash('sha256').update(CONSOLE_CSS + CONSOLE_JS).digest('hex').slice(0, 12);
