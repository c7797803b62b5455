/** One problem with one submitted field, as answered in a 422's `details`. */
export interface FieldError {
  field: string;
  message: string;
}

export type Mapped<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };
