import { generateOperatorToken, hashOperatorToken } from '../shared/operator-tokens';

/**
 * `leadgate operators new-token`: a console token for one person (shown once, never stored) and the
 * admin.operators entry that names them in the audit log.
 */
export function newOperatorTokenLines(name = 'OPERATOR_NAME'): string[] {
  const { token, hash } = generateOperatorToken();
  return [
    `token: ${token}`,
    `hash:  ${hash}`,
    '',
    `Give the token to ${name} over a secure channel; leadgate keeps only the hash. Add it to your config:`,
    '',
    'admin:',
    '  operators:',
    `    - name: ${name}`,
    `      tokenHash: "${hash}"`,
    '',
    'To take access away, remove the entry (sessions opened with it end at their next request).',
  ];
}

/** `leadgate operators hash-token <token>`: the tokenHash for a token you already have. */
export function hashOperatorTokenLines(token: string): string[] {
  if (token.trim() === '') throw new Error('give the token to hash');
  return [hashOperatorToken(token)];
}
