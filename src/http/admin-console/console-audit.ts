import type { Request } from 'express';
import { AuditLog, type AuditEntry } from '../../queue/audit-log';
import type { SignedIn } from './console-session';

/** Who is acting: the named operator the session was opened by, else `admin` (the shared admin token). */
export function actorOf(req: Request): string {
  const signed = req.res?.locals.console as SignedIn | undefined;
  return signed?.session.operator ?? 'admin';
}

/** Records an action of the signed-in operator (or a refused sign-in, with the name it claimed). */
export function auditRecorder(log: AuditLog): (req: Request, entry: Omit<AuditEntry, 'at' | 'actor' | 'ip'> & { actor?: string }) => Promise<void> {
  return (req, entry) => log.record({ actor: actorOf(req), ip: req.ip, ...entry });
}
