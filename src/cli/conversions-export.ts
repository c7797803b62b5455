import { GOOGLE_CLICK_WINDOW_MS } from '../clients/google-ads/data-manager-uploader';
import { googleImportCsv } from '../clients/google-ads/google-import-csv';
import type { Config } from '../config/config';
import { openConversionAdmin } from '../runtime/conversion-admin';

export interface ExportOptions {
  platform: 'google';
  /** The last this many days (default 30), unless `since` is given. */
  days?: number;
  since?: string;
  until?: string;
}

/**
 * `leadgate conversions export --platform google`: the Google conversions leadgate found, as the CSV
 * Google Ads' scheduled imports read (the no-API alternative; also an audit of what was uploaded).
 * Clicks more than 90 days before their conversion are left out: Google would refuse them.
 */
export async function runConversionsExport(config: Config, options: ExportOptions, write: (text: string) => void, note: (line: string) => void): Promise<void> {
  const google = config.conversions?.google;
  if (!google) throw new Error('conversions.google is not configured');
  const until = options.until ? new Date(options.until) : new Date();
  const since = options.since ? new Date(options.since) : new Date(until.getTime() - (options.days ?? 30) * 86_400_000);
  if (!Number.isFinite(since.getTime()) || !Number.isFinite(until.getTime())) throw new Error('--since and --until must be dates (ISO 8601)');
  const admin = await openConversionAdmin(config);
  try {
    const rows = await admin.store.exportRows(since, until);
    const fresh = rows.filter((r) => !r.clickAt || Date.parse(r.at) - Date.parse(r.clickAt) <= GOOGLE_CLICK_WINDOW_MS);
    const { csv, skipped } = googleImportCsv(fresh, google.exportTimeZone);
    write(csv);
    note(`${fresh.length - skipped} conversion(s) exported; ${skipped} known only by gbraid/wbraid (upload those through the API) and ${rows.length - fresh.length} past Google's 90-day click window left out`);
  } finally {
    await admin.close();
  }
}
