import { nextTouches, touchField, visitTouch, type Touches } from '../../snippet/src/touches';

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-01T10:00:00Z');
const visit = (href: string, now: number, referrer = '', cookies = '') => visitTouch(href, referrer, cookies, now);

describe("the snippet's touches", () => {
  it('take the campaign parameters, the Meta cookies, the landing page and the referrer of a visit', () => {
    const { touch, campaign } = visit('https://shop.example/a?utm_source=google&utm_medium=cpc&gclid=Cj0-Ab&x=1', T0, 'https://www.google.com/', 'a=1; _fbp=fb.1.1596403881668.1116446470');
    expect(campaign).toBe(true);
    expect(touch).toEqual({ landing: 'https://shop.example/a?utm_source=google&utm_medium=cpc&gclid=Cj0-Ab&x=1', referrer: 'https://www.google.com/', t: T0, utm_source: 'google', utm_medium: 'cpc', gclid: 'Cj0-Ab', _fbp: 'fb.1.1596403881668.1116446470' });
    expect(visit('https://shop.example/b?page=2', T0).campaign).toBe(false);
  });

  it('start with the first visit, campaign or not', () => {
    const plain = visit('https://shop.example/', T0);
    expect(nextTouches(undefined, plain, T0, 90)).toEqual({ f: plain.touch, l: plain.touch });
  });

  it('replace the last touch on a new campaign visit, never the first', () => {
    const a = visit('https://shop.example/a?utm_source=google&gclid=1', T0);
    const later = visit('https://shop.example/c?utm_source=newsletter', T0 + 3 * DAY);
    const stored = nextTouches(nextTouches(undefined, a, T0, 90), later, T0 + 3 * DAY, 90);
    expect(stored).toEqual({ f: a.touch, l: later.touch });
  });

  it('are not changed by pages without campaign parameters', () => {
    const stored: Touches = nextTouches(undefined, visit('https://shop.example/a?utm_source=google', T0), T0, 90);
    expect(nextTouches(stored, visit('https://shop.example/b', T0 + DAY, 'https://shop.example/a'), T0 + DAY, 90)).toEqual(stored);
  });

  it('are forgotten after the window; a first touch outlived by the last falls back to it', () => {
    const a = visit('https://shop.example/a?utm_source=google', T0);
    const b = visit('https://shop.example/b?utm_source=bing', T0 + 20 * DAY);
    const stored = nextTouches(nextTouches(undefined, a, T0, 30), b, T0 + 20 * DAY, 30);
    const plain = visit('https://shop.example/', T0 + 40 * DAY);
    expect(nextTouches(stored, plain, T0 + 40 * DAY, 30)).toEqual({ f: b.touch, l: b.touch });
    expect(nextTouches(stored, plain, T0 + 60 * DAY, 30)).toEqual({ f: plain.touch, l: plain.touch });
  });

  it('are sent with their age in seconds, not the visitor clock', () => {
    const { touch } = visit('https://shop.example/a?utm_source=google', T0);
    expect(JSON.parse(touchField(touch, T0 + 90_500))).toEqual({ landing: 'https://shop.example/a?utm_source=google', utm_source: 'google', age: 91 });
  });
});
