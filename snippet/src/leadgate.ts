/**
 * leadgate's browser snippet: keeps the visitor's first and last campaign touch and sends them with
 * every `<form data-leadgate="FORM_ID">`. Settings are attributes of its own script tag:
 * data-days (attribution window, default 90), data-consent="required", data-endpoint (gateway URL
 * when the script is served from elsewhere).
 */
import { loadTouches, saveTouches } from './storage';
import { enhanceForm } from './submit-form';
import { nextTouches, visitTouch } from './touches';

const script = document.currentScript as HTMLScriptElement | null;
const setting = (name: string) => (script && script.getAttribute('data-' + name)) || '';
const days = Number(setting('days')) || 90;
const endpoint = setting('endpoint') || (script && script.src ? new URL(script.src).origin : location.origin);
let consented = setting('consent') !== 'required';

const visit = visitTouch(location.href, document.referrer, document.cookie, Date.now());
// Until storage may be used, this page view is both touches.
let touches = nextTouches(undefined, visit, Date.now(), days);

function remember(): void {
  if (!consented) return;
  touches = nextTouches(loadTouches(), visit, Date.now(), days);
  saveTouches(touches);
}

function scan(): void {
  document.querySelectorAll<HTMLFormElement>('form[data-leadgate]').forEach((form) => {
    if (form.hasAttribute('data-leadgate-ready')) return;
    form.setAttribute('data-leadgate-ready', '');
    // The form's own action is where it posts without JavaScript: the same URL, one source of truth.
    const url = form.getAttribute('action') ? form.action : endpoint + '/v1/forms/' + encodeURIComponent(form.getAttribute('data-leadgate') || '');
    enhanceForm(form, url, () => touches);
  });
}

remember();
(window as unknown as { leadgate: object }).leadgate = {
  /** The page's consent banner calls this on every page once the visitor decided. */
  consent(granted: boolean) {
    consented = granted;
    if (granted) remember();
    else saveTouches(undefined);
  },
  touches: () => touches,
  scan,
};
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', scan);
else scan();

// A module, not a CommonJS file (the repository's package type): esbuild then bundles without wrappers.
export {};
