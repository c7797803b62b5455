import type { Touches } from './touches';

const KEY = 'leadgate_touches';

/** localStorage can be absent or throw (blocked storage, private modes): the page keeps working either way. */
export function loadTouches(): Touches | undefined {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) || 'null') as Touches | null;
    return stored && stored.f && stored.l ? stored : undefined;
  } catch {
    return undefined;
  }
}

export function saveTouches(touches: Touches | undefined): void {
  try {
    if (touches) localStorage.setItem(KEY, JSON.stringify(touches));
    else localStorage.removeItem(KEY);
  } catch {
    /* nothing stored: this page's submissions still carry this visit */
  }
}
