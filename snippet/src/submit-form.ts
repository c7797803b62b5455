import { clearFieldErrors, showFieldErrors, showStatus, type FieldError } from './inline-messages';
import { cookieValue, touchField, type Touches } from './touches';

interface Answer {
  redirect?: string;
  details?: FieldError[];
}

function setHidden(form: HTMLFormElement, name: string, value: string | undefined, keepExisting?: boolean): void {
  let input = form.querySelector<HTMLInputElement>(`input[name="${name}"]`);
  if (input && keepExisting) return;
  if (value === undefined) return;
  if (!input) {
    input = document.createElement('input');
    input.type = 'hidden';
    input.name = name;
    form.append(input);
  }
  input.value = value;
}

function randomKey(): string {
  // getRandomValues, not randomUUID: the latter needs a secure context and sites still run on http.
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => (b + 256).toString(16).slice(1)).join('');
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends with the same Idempotency-Key and the same body until the gateway answers something other
 * than a 5xx: a lost 202 or a 503 whose lead was stored after all is still one lead.
 */
async function send(url: string, body: URLSearchParams, key: string): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(url, { method: 'POST', body, headers: { accept: 'application/json', 'idempotency-key': key } });
      if (response.status < 500 || attempt === 3) return response;
    } catch (error) {
      if (attempt === 3) throw error;
    }
    await pause(attempt * 1000);
  }
}

/** Takes over a `<form data-leadgate>`: attribution fields, one key per filled form, answers shown inline. */
export function enhanceForm(form: HTMLFormElement, url: string, touches: () => Touches): void {
  const text = (name: string, fallback: string) => form.getAttribute('data-' + name) || fallback;
  let key = '';
  let busy = false;
  const shownAt = Date.now();
  setHidden(form, 'lg_shown_at', String(shownAt));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    const buttons = form.querySelectorAll<HTMLButtonElement | HTMLInputElement>('button, input[type=submit]');
    buttons.forEach((button) => (button.disabled = true));
    if (!key) {
      // Stamped once per key: a retry must send exactly what the first attempt sent.
      key = randomKey();
      const now = Date.now();
      // Elapsed on the browser's own clock: a clock set wrong cannot make a person look like a bot.
      setHidden(form, 'lg_fill_ms', String(now - shownAt));
      const { f, l } = touches();
      setHidden(form, 'lg_first_touch', touchField(f, now));
      setHidden(form, 'lg_last_touch', touchField(l, now));
      setHidden(form, 'page_url', location.href, true);
      setHidden(form, 'fbc', cookieValue(document.cookie, '_fbc'), true);
      setHidden(form, 'fbp', cookieValue(document.cookie, '_fbp'), true);
    }
    clearFieldErrors(form);
    showStatus(form, '', '');
    try {
      const response = await send(url, new URLSearchParams(new FormData(form) as unknown as Record<string, string>), key);
      const answer = (await response.json().catch(() => ({}))) as Answer;
      if (response.ok) {
        key = '';
        if (answer.redirect) return location.assign(answer.redirect);
        form.reset();
        showStatus(form, 'ok', text('success', 'Thank you! We have received your request.'));
      } else if (response.status === 422 && answer.details) {
        showFieldErrors(form, answer.details, text('invalid', 'Please correct the marked fields.'));
      } else {
        // 409: these fields were already sent under this key; the next press is a new submission.
        if (response.status === 409) key = '';
        showStatus(form, 'error', text('error', 'Sorry, your request could not be sent. Please try again.'));
      }
    } catch {
      showStatus(form, 'error', text('error', 'Sorry, your request could not be sent. Please try again.'));
    } finally {
      busy = false;
      buttons.forEach((button) => (button.disabled = false));
    }
  });
}
