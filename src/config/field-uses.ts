import type { Config } from './config';

/** A Bitrix24 lead field the configuration writes to, and where it is configured. */
export interface FieldUse {
  destination: string;
  code: string;
  usedBy: string;
}

/** A value of a crm_status field (SOURCE_ID, STATUS_ID) the configuration sets. */
export interface StatusUse {
  destination: string;
  entity: 'SOURCE' | 'STATUS';
  value: string;
  usedBy: string;
}

/** leadgate's own mapping target that is not a Bitrix24 field: split into NAME and LAST_NAME. */
const PSEUDO_CODES = new Set(['FULL_NAME']);

/**
 * Every lead field and crm_status value the configuration names, per destination: Bitrix24 silently
 * ignores a field it does not have, so a typo here would lose data without an error.
 */
export function configuredFieldUses(config: Config): { fields: FieldUse[]; statuses: StatusUse[] } {
  const fields: FieldUse[] = [];
  const statuses: StatusUse[] = [];
  const field = (destination: string, code: string, usedBy: string): void => {
    if (!PSEUDO_CODES.has(code)) fields.push({ destination, code, usedBy });
  };
  const status = (destination: string, entity: StatusUse['entity'], value: unknown, usedBy: string): void => {
    if (value !== undefined && value !== '') statuses.push({ destination, entity, value: String(value), usedBy });
  };

  for (const [id, form] of Object.entries(config.forms)) {
    const at = `forms.${id}`;
    for (const [name, code] of Object.entries(form.fields ?? {})) field(form.destination, code, `${at}.fields.${name}`);
    for (const code of Object.keys(form.set ?? {})) field(form.destination, code, `${at}.set`);
    field(form.destination, form.trackingField, `${at}.trackingField`);
    status(form.destination, 'SOURCE', form.set?.SOURCE_ID, `${at}.set.SOURCE_ID`);
    status(form.destination, 'STATUS', form.set?.STATUS_ID, `${at}.set.STATUS_ID`);
  }

  const meta = config.sources?.meta;
  if (meta) {
    const destinations = new Set([meta.destination]);
    for (const [pageId, page] of Object.entries(meta.pages)) {
      if (page.destination) destinations.add(page.destination);
      for (const [formId, form] of Object.entries(page.forms ?? {})) {
        const destination = form.destination ?? page.destination ?? meta.destination;
        for (const [key, code] of Object.entries(form.fieldMap ?? {})) field(destination, code, `sources.meta.pages.${pageId}.forms.${formId}.fieldMap.${key}`);
      }
    }
    for (const destination of destinations) {
      for (const [key, code] of Object.entries(meta.fieldMap)) field(destination, code, `sources.meta.fieldMap.${key}`);
      field(destination, meta.trackingField, 'sources.meta.trackingField');
      status(destination, 'SOURCE', meta.sourceId, 'sources.meta.sourceId');
    }
  }

  const google = config.sources?.google;
  if (google) {
    const destinations = new Set([google.destination]);
    for (const [formId, form] of Object.entries(google.forms)) {
      const destination = form.destination ?? google.destination;
      destinations.add(destination);
      for (const [column, code] of Object.entries(form.columnMap ?? {})) field(destination, code, `sources.google.forms.${formId}.columnMap.${column}`);
    }
    for (const destination of destinations) {
      for (const [column, code] of Object.entries(google.columnMap)) field(destination, code, `sources.google.columnMap.${column}`);
      field(destination, google.trackingField, 'sources.google.trackingField');
      status(destination, 'SOURCE', google.sourceId, 'sources.google.sourceId');
    }
  }

  for (const [name, partner] of Object.entries(config.sources?.partners ?? {})) {
    for (const [key, code] of Object.entries(partner.fieldMap)) field(partner.destination, code, `sources.partners.${name}.fieldMap.${key}`);
    field(partner.destination, partner.trackingField, `sources.partners.${name}.trackingField`);
    status(partner.destination, 'SOURCE', partner.sourceId, `sources.partners.${name}.sourceId`);
  }
  return { fields, statuses };
}
