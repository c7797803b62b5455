import type { ExtraField, LeadFields } from '../../lead/lead';
import { LeadFieldsBuilder } from '../contact-fields';

/**
 * LeadFieldsBuilder for leads already captured by an ad platform: a value Bitrix24 would refuse
 * (an email Meta let through, a phone in an odd format) cannot be sent back to the visitor, so it
 * is kept as an extra line instead of failing the lead. Shared by the Meta and Google sources.
 */
export class LenientFields {
  private readonly builder: LeadFieldsBuilder;
  private readonly attempts = new Map<string, ExtraField>();

  constructor(phoneCountry?: string) {
    this.builder = new LeadFieldsBuilder(phoneCountry);
  }

  set(code: string, value: string, label: string): void {
    const key = String(this.attempts.size);
    this.attempts.set(key, { label: `${label} (not valid)`, value: value.trim() });
    this.builder.set(code, value, key);
  }

  /** The Bitrix24 fields, and the refused values as extras. */
  build(): { fields: LeadFields; refused: ExtraField[] } {
    const fields = this.builder.build();
    const refused = this.builder.errors.flatMap((error) => {
      const extra = this.attempts.get(error.field);
      return extra ? [extra] : [];
    });
    return { fields, refused };
  }
}
