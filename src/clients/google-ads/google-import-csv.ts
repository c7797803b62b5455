/**
 * Google Ads' scheduled import of offline click conversions (a CSV fetched from a URL or a Sheet, the
 * "Import conversions from clicks" template): a `Parameters:TimeZone=` line, then `Google Click ID,
 * Conversion Name, Conversion Time, Conversion Value, Conversion Currency`. Google does not count a
 * row twice (same click, name and time), so overlapping exports are safe. The template takes gclid
 * clicks: conversions known only by gbraid/wbraid need the API.
 */
export interface ImportRow {
  clickKey: string;
  clickId: string;
  conversionName: string;
  at: string;
  value?: number;
  currency?: string;
}

export const IMPORT_HEADER = 'Google Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency';

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** `yyyy-MM-dd HH:mm:ss` in the export's UTC offset (`+0200`). */
export function importTime(iso: string, offset: string): string {
  const sign = offset.startsWith('-') ? -1 : 1;
  const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(3, 5)));
  const local = new Date(Date.parse(iso) + minutes * 60_000).toISOString();
  return `${local.slice(0, 10)} ${local.slice(11, 19)}`;
}

/** The file, and how many rows were left out because they have no gclid. */
export function googleImportCsv(rows: ImportRow[], offset: string): { csv: string; skipped: number } {
  const lines = [`Parameters:TimeZone=${offset}`, IMPORT_HEADER];
  let skipped = 0;
  for (const row of rows) {
    if (row.clickKey !== 'gclid') {
      skipped++;
      continue;
    }
    lines.push([row.clickId, row.conversionName, importTime(row.at, offset), row.value !== undefined ? String(row.value) : '', row.currency ?? ''].map(csvField).join(','));
  }
  return { csv: `${lines.join('\n')}\n`, skipped };
}
