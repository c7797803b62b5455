import fc from 'fast-check';

/** Names that meet Object.prototype if a plain object is used as a map. */
export const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'toLocaleString', '__defineGetter__'];

/** Any text, including astral characters, control characters and lone surrogates. */
export const anyText = fc.string({ unit: 'binary', maxLength: 60 });

/** Field or parameter names as visitors send them: ordinary, prototype-named, or anything. */
export const fieldName = fc.oneof(
  fc.constantFrom(...PROTOTYPE_NAMES),
  fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
);

/** Text a person might put in a name field, with $-patterns that String.replace would expand. */
export const personName = fc
  .array(fc.oneof(fc.stringMatching(/^[A-Za-zÀ-ÿ'-]{1,12}$/), fc.constantFrom('$&', "$'", '$`', '$$', '$1', '{name}', '{form}')), { minLength: 1, maxLength: 4 })
  .map((words) => words.join(' '));
