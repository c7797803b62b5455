/**
 * The part of `leadgate check` that asks the portal about the users assignment pools name: a lead
 * assigned to a user who does not exist or was dismissed reaches nobody.
 */
import type { AssignConfig } from '../config/assign-consent-config';
import type { Config } from '../config/config';
import { configuredFieldUses } from '../config/field-uses';
import type { Bitrix24Client } from '../clients/bitrix24/bitrix24-client';
import { DeliveryError } from '../clients/delivery-errors';

/** Per destination: each user id some pool names, with the settings that name it. */
export function assignedUsers(config: Config): Map<string, Map<number, string[]>> {
  const out = new Map<string, Map<number, string[]>>();
  const note = (destination: string, assign: AssignConfig | undefined, usedBy: string): void => {
    for (const user of assign?.users ?? []) {
      const id = typeof user === 'number' ? user : user.id;
      const users = out.get(destination) ?? new Map<number, string[]>();
      users.set(id, [...(users.get(id) ?? []), usedBy]);
      out.set(destination, users);
    }
  };
  for (const [name, destination] of Object.entries(config.destinations)) note(name, destination.assign, `destinations.${name}.assign`);
  for (const [id, form] of Object.entries(config.forms)) note(form.destination, form.assign, `forms.${id}.assign`);
  const sources = config.sources;
  for (const [name, partner] of Object.entries(sources?.partners ?? {})) note(partner.destination, partner.assign, `sources.partners.${name}.assign`);
  // field-uses lists each ad source's tracking field once per destination it delivers to.
  for (const use of configuredFieldUses(config).fields) {
    if (use.usedBy === 'sources.meta.trackingField') note(use.destination, sources?.meta?.assign, 'sources.meta.assign');
    if (use.usedBy === 'sources.google.trackingField') note(use.destination, sources?.google?.assign, 'sources.google.assign');
  }
  return out;
}

interface PortalUser {
  ID: string | number;
  ACTIVE?: boolean | string;
}

/**
 * `problems` for users missing or dismissed; `unchecked` set (not a failure) when the webhook
 * lacks the `user` scope user.get needs. One user.get per id: the filter on a single ID is the
 * form the REST help documents.
 */
export async function assigneeProblems(
  client: Pick<Bitrix24Client, 'call'>,
  users: Map<number, string[]>,
): Promise<{ problems: string[]; checked: number; unchecked?: string }> {
  const problems: string[] = [];
  let checked = 0;
  for (const [id, usedBy] of users) {
    let found: PortalUser[];
    try {
      found = (await client.call<PortalUser[]>('user.get', { FILTER: { ID: id } })) ?? [];
    } catch (err) {
      if (err instanceof DeliveryError && err.code === 'insufficient_scope') {
        return { problems, checked, unchecked: `could not check the assigned users (${[...users.keys()].join(', ')}): the webhook has no \`user\` scope, which user.get needs` };
      }
      throw err;
    }
    checked++;
    const user = found.find((u) => Number(u.ID) === id);
    const where = usedBy.join(', ');
    if (!user) problems.push(`assigned user ${id} (${where}) does not exist on this portal`);
    else if (user.ACTIVE === false || user.ACTIVE === 'N') problems.push(`assigned user ${id} (${where}) is inactive (dismissed); leads assigned to them reach nobody`);
  }
  return { problems, checked };
}
