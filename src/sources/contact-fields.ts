import type { BitrixMultifield, LeadFields } from '../lead/lead';
import { splitFullName } from '../lead/names';
import { normalisePhone } from '../lead/phone';
import type { FieldError } from '../lead/field-errors';

/** Bitrix24 multifields: the only lead fields whose value is a list of {VALUE, VALUE_TYPE}. */
export const MULTIFIELD_CODES = new Set(['EMAIL', 'PHONE', 'WEB', 'IM']);

const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]{2,}$/;

/**
 * Accumulates mapped values into Bitrix24 fields, shared by every source: multifields append,
 * emails are checked, phones become E.164, full names are split when no last name was given.
 */
export class LeadFieldsBuilder {
  readonly fields: LeadFields = {};
  readonly errors: FieldError[] = [];
  private fullName?: string;

  constructor(private readonly phoneCountry?: string) {}

  set(code: string, value: string, submittedAs: string): void {
    const text = value.trim();
    if (text === '') return;
    if (code === 'EMAIL') {
      if (!EMAIL.test(text) || text.length > 254) {
        this.errors.push({ field: submittedAs, message: 'must be a valid email address' });
        return;
      }
      this.addMulti('EMAIL', text.toLowerCase());
      return;
    }
    if (code === 'PHONE') {
      const phone = normalisePhone(text, this.phoneCountry);
      if (!phone.valid) {
        this.errors.push({ field: submittedAs, message: 'must be a phone number' });
        return;
      }
      this.addMulti('PHONE', phone.value);
      return;
    }
    if (MULTIFIELD_CODES.has(code)) {
      this.addMulti(code, text);
      return;
    }
    if (code === 'FULL_NAME') {
      this.fullName = text;
      return;
    }
    const existing = this.fields[code];
    // Two submitted fields mapped to one text field (message + comments) are joined, not overwritten.
    this.fields[code] = typeof existing === 'string' && existing !== text ? `${existing}\n${text}` : text;
  }

  /** Finalises name splitting: an explicit first/last name always wins over a split full name. */
  build(): LeadFields {
    if (this.fullName !== undefined) {
      const { first, last } = splitFullName(this.fullName);
      if (this.fields.NAME === undefined && this.fields.LAST_NAME === undefined) {
        if (first) this.fields.NAME = first;
        if (last) this.fields.LAST_NAME = last;
      } else if (this.fields.NAME === undefined && first) {
        this.fields.NAME = this.fullName;
      }
    }
    return this.fields;
  }

  hasContact(): boolean {
    return this.fields.EMAIL !== undefined || this.fields.PHONE !== undefined;
  }

  private addMulti(code: string, value: string): void {
    const list = (this.fields[code] as BitrixMultifield | undefined) ?? [];
    if (!list.some((item) => item.VALUE === value)) list.push({ VALUE: value, VALUE_TYPE: 'WORK' });
    this.fields[code] = list;
  }
}
