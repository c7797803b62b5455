import { ASSET_VERSION } from './assets';
import { html, type SafeHtml } from './html';

export type Section = 'overview' | 'leads' | 'dead-letters' | 'destinations' | 'sources' | 'audit';

const NAV: Array<[Section, string, string]> = [
  ['overview', 'Overview', '/admin/overview'],
  ['leads', 'Leads', '/admin/leads'],
  ['dead-letters', 'Dead letters', '/admin/dead-letters'],
  ['destinations', 'Destinations', '/admin/destinations'],
  ['sources', 'Sources', '/admin/sources'],
  ['audit', 'Audit log', '/admin/audit'],
];

export interface PageOptions {
  title: string;
  /** Signed-in pages carry the nav and the sign-out form (which needs the CSRF token). */
  section?: Section;
  csrf?: string;
  /** Who is signed in: a named operator, or `admin` for the shared token. */
  operator?: string;
  notice?: { text: string; error?: boolean };
  refreshMs?: number;
}

export function page(options: PageOptions, body: SafeHtml): string {
  const header = options.csrf
    ? html`<header>
  <span class="brand">leadgate</span>
  <nav>${NAV.map(([id, label, href]) => html`<a href="${href}"${id === options.section ? html` aria-current="page"` : ''}>${label}</a>`)}</nav>
  ${options.operator ? html`<span class="who" data-operator="${options.operator}">Signed in as <strong>${options.operator}</strong></span>` : ''}
  <form method="post" action="/admin/logout">${csrfField(options.csrf)}<button type="submit">Sign out</button></form>
</header>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · leadgate</title>
<link rel="stylesheet" href="/admin/assets/console.css?v=${ASSET_VERSION}">
<script src="/admin/assets/console.js?v=${ASSET_VERSION}" defer></script>
</head>
<body${options.refreshMs ? html` data-refresh-ms="${options.refreshMs}"` : ''}>
${header}
<main>
${options.notice ? html`<p class="notice${options.notice.error ? ' error' : ''}" role="status">${options.notice.text}</p>` : ''}
${body}
</main>
</body>
</html>
`.text;
}

export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${token}">`;
}

/** A POST button: every console action is a form carrying the session's CSRF token. */
export function actionButton(options: { action: string; label: string; csrf: string; style?: 'secondary' | 'danger'; confirm?: string }): SafeHtml {
  return html`<form class="inline" method="post" action="${options.action}"${options.confirm ? html` data-confirm="${options.confirm}"` : ''}>${csrfField(options.csrf)}<button type="submit"${options.style ? html` class="${options.style}"` : ''}>${options.label}</button></form>`;
}
