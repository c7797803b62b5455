/**
 * `record[key]` when `key` is the record's own property: a visitor's field, column or cookie named
 * `constructor` or `toString` must find nothing rather than what Object.prototype carries.
 */
export function ownValue<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}
