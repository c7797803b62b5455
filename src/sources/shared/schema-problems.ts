import type { ErrorObject } from 'ajv';
import type { FieldError } from '../../lead/field-errors';

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function describe(error: ErrorObject): FieldError {
  const path = error.instancePath;
  if (error.propertyName !== undefined) {
    // A propertyNames failure: name the offending key itself, as for unknown properties.
    const pattern = (error.params as { pattern?: string }).pattern;
    return { field: `${path}/${escapePointer(error.propertyName)}`, message: `is not an allowed name${pattern ? ` (must match ${pattern})` : ''}` };
  }
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = (error.params as { additionalProperty: string }).additionalProperty;
      return { field: `${path}/${escapePointer(name)}`, message: 'is not a known property' };
    }
    case 'required': {
      const name = (error.params as { missingProperty: string }).missingProperty;
      return { field: `${path}/${escapePointer(name)}`, message: 'is required' };
    }
    case 'maxLength':
      return { field: path || '/', message: `must be at most ${(error.params as { limit: number }).limit} characters` };
    case 'format':
      return { field: path || '/', message: `must be a valid ${(error.params as { format: string }).format}` };
    case 'enum':
      return { field: path || '/', message: `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` };
    default:
      return { field: path || '/', message: error.message ?? 'is invalid' };
  }
}

/**
 * Ajv errors as `{field: JSON pointer, message}`, one per problem. An `anyOf` of `required`s
 * ("an email or a phone") becomes one readable line instead of Ajv's three.
 */
export function schemaProblems(errors: ErrorObject[] | null | undefined): FieldError[] {
  const list = errors ?? [];
  const anyOfs = list.filter((e) => e.keyword === 'anyOf');
  const branchOf = (anyOf: ErrorObject, e: ErrorObject): boolean =>
    e.keyword === 'required' && e.instancePath === anyOf.instancePath && e.schemaPath.startsWith(`${anyOf.schemaPath}/`);

  const problems: FieldError[] = [];
  const seen = new Set<string>();
  for (const error of list) {
    let problem: FieldError;
    if (error.keyword === 'anyOf') {
      const names = list.filter((e) => branchOf(error, e)).map((e) => (e.params as { missingProperty: string }).missingProperty);
      problem = { field: error.instancePath || '/', message: names.length > 0 ? `must have at least one of: ${names.join(', ')}` : 'is invalid' };
    } else if (error.keyword === 'if' || error.keyword === 'propertyNames' || anyOfs.some((anyOf) => branchOf(anyOf, error))) {
      // "must match then schema" and "property name must be valid" only repeat the problems found inside.
      continue;
    } else {
      problem = describe(error);
    }
    const key = `${problem.field}\u0000${problem.message}`;
    if (!seen.has(key)) problems.push(problem);
    seen.add(key);
  }
  return problems;
}
