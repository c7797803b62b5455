/**
 * How the portal's administrator set it up, beyond the stock schema: lead fields made required,
 * list (enumeration) custom fields and their items, and the portal's users. Kept by reset(), like
 * the scopes: it is the portal, not what happened on it.
 */
import { CONTACT_IDS_SPEC, MULTIFIELD_TITLES, MULTIFIELD_VALUE_TYPES, SCALAR_FIELDS, isCustomField } from './lead-fields';
import type { LeadDraft } from './lead-record';
import { restErrors } from './rest-error';
import type { ListFieldItem, SimulatedUser } from './types';

/** Fields Bitrix fills itself when absent, so requiring them never refuses an add. */
const PORTAL_FILLED = new Set(['TITLE', 'STATUS_ID', 'ASSIGNED_BY_ID', 'CURRENCY_ID', 'OPENED', 'OPPORTUNITY', 'IS_MANUAL_OPPORTUNITY']);

export interface StoredUser {
  ID: string;
  ACTIVE: boolean;
  NAME: string;
  LAST_NAME: string;
  EMAIL: string;
}

export class PortalSetup {
  private required = new Set<string>();
  private lists = new Map<string, ListFieldItem[]>();
  private userList: StoredUser[];
  private categories: number[];
  private addsLeads = true;

  constructor(
    opts: { requiredFields?: string[]; listFields?: Record<string, ListFieldItem[]>; users?: SimulatedUser[]; dealCategories?: number[] },
    ownUserId: number,
  ) {
    if (!Array.isArray(opts.dealCategories ?? []) || !(opts.dealCategories ?? []).every((n) => Number.isInteger(n) && n > 0)) {
      throw new Error('dealCategories must be an array of positive integer pipeline ids (0, the general pipeline, always exists)');
    }
    this.categories = [...(opts.dealCategories ?? [])];
    this.setListFields(opts.listFields ?? {});
    this.setRequiredFields(opts.requiredFields ?? []);
    // Without a configured list the portal has one user: the webhook's owner.
    this.userList = checkedUsers(opts.users ?? [{ ID: ownUserId, NAME: 'Leadgate', LAST_NAME: 'Simulator', EMAIL: 'simulator@leadgate.invalid' }]);
  }

  setRequiredFields(codes: string[]): void {
    if (!Array.isArray(codes)) throw new Error('requiredFields must be an array of lead field codes');
    for (const code of codes) {
      const writable = (SCALAR_FIELDS.has(code) && !SCALAR_FIELDS.get(code)?.readOnly) || MULTIFIELD_VALUE_TYPES.has(code) || code === 'CONTACT_IDS' || isCustomField(code);
      if (typeof code !== 'string' || !writable) throw new Error(`requiredFields: ${String(code)} is not a writable lead field`);
    }
    this.required = new Set(codes);
  }

  setListFields(lists: Record<string, ListFieldItem[]>): void {
    const next = new Map<string, ListFieldItem[]>();
    for (const [code, items] of Object.entries(lists ?? {})) {
      if (!isCustomField(code)) throw new Error(`listFields: ${code} is not a custom field (UF_CRM_…)`);
      if (!Array.isArray(items) || !items.every((i) => typeof i === 'object' && i !== null && String(i.ID ?? '') !== '' && typeof i.VALUE === 'string')) {
        throw new Error(`listFields.${code} must be an array of {ID, VALUE}`);
      }
      next.set(code, items.map((i) => ({ ID: String(i.ID), VALUE: i.VALUE })));
    }
    this.lists = next;
  }

  setUsers(users: SimulatedUser[]): void {
    this.userList = checkedUsers(users);
  }

  /** Whether the webhook's user has the CRM right to add leads (an administrator can take it away). */
  setLeadAddAllowed(allowed: boolean): void {
    if (typeof allowed !== 'boolean') throw new Error('leadAdd must be true or false');
    this.addsLeads = allowed;
  }

  leadAddAllowed(): boolean {
    return this.addsLeads;
  }

  /** Deal pipelines besides the general one (0). */
  dealCategories(): number[] {
    return [...this.categories];
  }

  users(): StoredUser[] {
    return this.userList.map((u) => ({ ...u }));
  }

  requiredFields(): string[] {
    return [...this.required];
  }

  listFields(): Record<string, ListFieldItem[]> {
    return Object.fromEntries([...this.lists].map(([code, items]) => [code, items.map((i) => ({ ...i }))]));
  }

  /** Custom fields the setup defines: they exist on the portal whatever `customFields` says. */
  customFieldNames(): string[] {
    return [...new Set([...this.lists.keys(), ...[...this.required].filter(isCustomField)])];
  }

  /** Adds `isRequired` and the list fields' `type: enumeration` + `items` to a crm.lead.fields answer. */
  describe(fields: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> {
    for (const [code, items] of this.lists) {
      const base = fields[code];
      if (base) fields[code] = { ...base, type: 'enumeration', items: items.map((i) => ({ ...i })) };
    }
    for (const code of this.required) if (fields[code]) fields[code] = { ...fields[code], isRequired: true };
    return fields;
  }

  /**
   * Before the lead is stored: a list value that is not one of the items' IDs is dropped without an
   * error (Bitrix24 saves nothing for it), then a required field left empty refuses the whole add.
   */
  apply(draft: LeadDraft): void {
    for (const [code, items] of this.lists) {
      const value = draft.custom.get(code);
      if (value === undefined) continue;
      const ids = new Set(items.map((i) => i.ID));
      if (typeof value !== 'string' || !ids.has(value)) draft.custom.delete(code);
    }
    const missing = [...this.required].filter((code) => !PORTAL_FILLED.has(code) && !isFilled(draft, code));
    if (missing.length > 0) throw restErrors.crm(missing.map((code) => `Field "${fieldTitle(code)}" (${code}) is required.`).join('\n'));
  }
}

function isFilled(draft: LeadDraft, code: string): boolean {
  if (MULTIFIELD_VALUE_TYPES.has(code)) return (draft.multifields.get(code) ?? []).length > 0;
  if (code === 'CONTACT_IDS') return draft.contactIds.length > 0;
  if (isCustomField(code)) {
    const value = draft.custom.get(code);
    return Array.isArray(value) ? value.length > 0 : typeof value === 'string' ? value.trim() !== '' : value !== undefined && value !== null;
  }
  const value = draft.scalars.get(code);
  if (code === 'CONTACT_ID' && draft.contactIds.length > 0) return true;
  return typeof value === 'string' && value.trim() !== '';
}

function fieldTitle(code: string): string {
  return SCALAR_FIELDS.get(code)?.title ?? MULTIFIELD_TITLES[code] ?? (code === 'CONTACT_IDS' ? CONTACT_IDS_SPEC.title : code);
}

function checkedUsers(users: SimulatedUser[]): StoredUser[] {
  if (!Array.isArray(users)) throw new Error('users must be an array of {ID, ACTIVE?, NAME?, LAST_NAME?, EMAIL?}');
  return users.map((u) => {
    const id = Number(u?.ID);
    if (!Number.isInteger(id) || id <= 0) throw new Error('users: every user needs a positive integer ID');
    return { ID: String(id), ACTIVE: u.ACTIVE !== false, NAME: u.NAME ?? '', LAST_NAME: u.LAST_NAME ?? '', EMAIL: u.EMAIL ?? '' };
  });
}
