import { UTM_KEYS, type Utm, type UtmKey } from '../../lead/lead';
import type { UtmRule } from '../../config/sources-config';
import { ownValue } from '../../lead/own-value';

export type UtmDefaults = Readonly<Record<UtmKey, string | null>>;
export type UtmVars = Readonly<Record<string, string | undefined>>;

const PLACEHOLDER = /\{([a-z_]+)\}/g;

/** A template with every placeholder filled, or undefined when one of them has no value. */
export function renderTemplate(template: string, vars: UtmVars): string | undefined {
  let missing = false;
  const text = template.replace(PLACEHOLDER, (_match, name: string) => {
    const value = ownValue(vars, name)?.trim();
    if (!value) missing = true;
    return value ?? '';
  });
  const trimmed = text.trim();
  return missing || trimmed === '' ? undefined : trimmed;
}

/**
 * UTM values from an ad platform's campaign data: the configured rule over the source's defaults.
 * A key whose template lacks data is left out rather than sent empty (Bitrix24 keeps '' as a value).
 * Shared by the Meta and Google sources.
 */
export function applyUtmRule(defaults: UtmDefaults, rule: UtmRule | undefined, vars: UtmVars): Utm {
  const utm: Utm = {};
  for (const key of UTM_KEYS) {
    const template = rule && key in rule ? rule[key] : defaults[key];
    if (template === null || template === undefined) continue;
    const value = renderTemplate(template, vars);
    if (value !== undefined) utm[key] = value.slice(0, 255);
  }
  return utm;
}
