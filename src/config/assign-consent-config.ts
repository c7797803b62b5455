/** Assignment and consent settings, shared by forms, sources and destinations (schemas/config.schema.json). */

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** Local hours in an IANA zone; `to` before `from` is a shift past midnight. */
export interface WorkingHours {
  timezone: string;
  /** Default: mon to fri. */
  days?: Weekday[];
  from: string;
  to: string;
}

/** Who gets a lead (ASSIGNED_BY_ID): a pool of Bitrix24 users, rotated or drawn at delivery time. */
export interface AssignConfig {
  users: Array<number | { id: number; workingHours?: WorkingHours }>;
  strategy: 'round-robin' | 'random';
  workingHours?: WorkingHours;
}

/** Where marketing consent goes in Bitrix24; forms also name the submitted checkbox and its wording. */
export interface ConsentConfig {
  field?: string;
  type: 'boolean' | 'date';
  required: boolean;
}

export interface FormConsentConfig extends ConsentConfig {
  input: string;
  text?: string;
}
