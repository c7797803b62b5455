export interface FieldError {
  field: string;
  message: string;
}

/**
 * The form's live region: the page's own `[data-leadgate-status]` element, or one added at the end.
 * The attribute's value (`ok`, `error`) is the state to style; the page's classes stay its own.
 */
export function showStatus(form: HTMLFormElement, kind: 'ok' | 'error' | '', text: string): void {
  let region = form.querySelector<HTMLElement>('[data-leadgate-status]');
  if (!region) {
    region = document.createElement('p');
    region.setAttribute('role', 'status');
    region.setAttribute('aria-live', 'polite');
    form.append(region);
  }
  region.setAttribute('data-leadgate-status', kind);
  region.textContent = text;
}

export function clearFieldErrors(form: HTMLFormElement): void {
  form.querySelectorAll('.lg-error').forEach((message) => message.remove());
  form.querySelectorAll('[aria-invalid]').forEach((input) => {
    input.removeAttribute('aria-invalid');
    // Only our own ids go: the page's aria-describedby stays as the author wrote it.
    const rest = (input.getAttribute('aria-describedby') || '').replace(/\s*lg-err-\S+/g, '').trim();
    if (rest) input.setAttribute('aria-describedby', rest);
    else input.removeAttribute('aria-describedby');
  });
}

/** Each error next to its input (by name); errors no input shows go to the status line. */
export function showFieldErrors(form: HTMLFormElement, errors: FieldError[], fallback: string): void {
  const unplaced: string[] = [];
  let first: HTMLElement | undefined;
  for (const error of errors) {
    const named = form.elements.namedItem(error.field);
    const input = named instanceof RadioNodeList ? named[0] : named;
    if (!(input instanceof HTMLElement)) {
      unplaced.push(error.message);
      continue;
    }
    const message = document.createElement('span');
    message.className = 'lg-error';
    message.id = ('lg-err-' + form.getAttribute('data-leadgate') + '-' + error.field).replace(/[^\w-]/g, '_');
    message.textContent = error.message;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', ((input.getAttribute('aria-describedby') || '') + ' ' + message.id).trim());
    input.after(message);
    first = first || input;
  }
  if (first) first.focus();
  showStatus(form, 'error', unplaced.join(' ') || fallback);
}
