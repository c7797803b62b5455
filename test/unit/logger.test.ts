import { Writable } from 'node:stream';
import { createLogger, scrubText, withoutRedaction } from '../../src/shared/logger';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, stream };
}

describe('logs', () => {
  it('censor contact fields, whole field sets and secrets by name', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ destination: stream });
    logger.info({ lead: { fields: { NAME: 'Jane', EMAIL: [{ VALUE: 'jane@example.com' }] } }, email: 'jane@example.com', token: 'EAAB-secret', webhookUrl: 'https://p.bitrix24.com/rest/1/abc123/' }, 'lead queued');
    const line = lines.join('');
    expect(line).not.toMatch(/jane@example\.com|EAAB-secret|abc123|Jane/);
    expect(line).toContain('[redacted]');
    expect(JSON.parse(lines[0]!)).toMatchObject({ service: 'leadgate', msg: 'lead queued' });
  });

  it('mask emails, phones and webhook codes inside free text such as a CRM error description', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ destination: stream });
    logger.warn({ reason: 'Bitrix24 400: Invalid email "jane.doe@example.com" for phone +49 30 1234567' }, 'dead-lettered: https://p.bitrix24.com/rest/1/s3cr3tcode/crm.lead.add');
    const line = lines.join('');
    expect(line).not.toMatch(/jane\.doe@|1234567|s3cr3tcode/);
    expect(line).toContain('j***@example.com');
    expect(line).toContain('/rest/1/***');
  });

  it('leave timestamps, lead ids and counts alone', () => {
    for (const text of ['lead lg_mwy1pj9if744968826cf035c after 1500 ms at 2026-11-26T21:09:25Z', 'Bitrix24 lead 3465 created on 2026-11-26']) expect(scrubText(text)).toBe(text);
  });

  it('still scrub free text on a line written without the redaction pass', () => {
    const { lines, stream } = capture();
    const logger = withoutRedaction(createLogger({ destination: stream }));
    logger.info({ leadId: 'lg_1', source: 'form:jane@example.com', destination: 'main' }, 'lead queued');
    expect(JSON.parse(lines[0]!)).toMatchObject({ service: 'leadgate', leadId: 'lg_1', source: 'form:j***@example.com', destination: 'main', msg: 'lead queued' });
  });
});
