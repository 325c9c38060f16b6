import {
  type AdminClient,
  describeRpcError,
  type Identity,
  type IdentityClient,
  ListLinkedPeopleResponse,
  ListLinksResponse,
  RpcError,
  Timestamp,
} from '@parley/rpc';
import type { Io } from '../io/command-context.ts';
import { ExitCode } from '../io/exit-codes.ts';
import { formatTable, formatTime, writeJson, writeLine } from '../io/output.ts';

// `parley link`, `parley links`, `parley unlink`: one person across clients. A code shown here is
// redeemed in Telegram with `/link CODE`; one shown there is redeemed here with `parley link CODE`.

/** `parley link [code]`: shows a one-time code, or redeems one another app showed. */
export async function runLink(
  io: Io,
  client: IdentityClient,
  userId: string,
  code?: string,
): Promise<number> {
  if (!code) {
    const created = await client.createLinkCode({ userId });
    const minutes = created.expiresAt
      ? Math.max(1, Math.round((Timestamp.toDate(created.expiresAt).getTime() - Date.now()) / 60_000))
      : 10;
    writeLine(io.stdout, `link code: ${created.code} (valid for ${minutes} minutes, once)`);
    writeLine(io.stdout, `In Telegram, send the bot: /link ${created.code}`);
    return ExitCode.ok;
  }
  try {
    const { identities } = await client.redeemLinkCode({ userId, code });
    const others = identities.filter((i) => !i.caller).map(identityName);
    writeLine(io.stdout, `linked with ${others.join(', ')}: your conversations, usage and budget are shared`);
    return ExitCode.ok;
  } catch (err) {
    const refusal = redeemRefusal(err);
    if (!refusal) throw err;
    writeLine(io.stderr, `parley: ${refusal}`);
    return ExitCode.failure;
  }
}

/** `parley links`: the identities linked with this user, numbered for `parley unlink <n>`. */
export async function runLinks(
  io: Io,
  client: IdentityClient,
  userId: string,
  options: { json?: boolean },
): Promise<number> {
  const response = await client.listLinks({ userId });
  if (options.json) {
    writeJson(io.stdout, ListLinksResponse.toJson(response));
    return ExitCode.ok;
  }
  if (response.identities.length === 0) {
    writeLine(io.stdout, 'not linked: run `parley link` for a code, or `parley link CODE` to redeem one');
    return ExitCode.ok;
  }
  writeLine(io.stdout, identityTable(response.identities));
  return ExitCode.ok;
}

/** `parley unlink [n]`: takes identity n of `parley links` (default: this user) out of the person. */
export async function runUnlink(
  io: Io,
  client: IdentityClient,
  userId: string,
  index?: number,
): Promise<number> {
  let target: Identity | undefined;
  if (index !== undefined) {
    target = (await client.listLinks({ userId })).identities[index - 1];
    if (!target) {
      writeLine(io.stderr, `parley: no link number ${index}; see parley links`);
      return ExitCode.usage;
    }
  }
  const { wasLinked } = await client.unlink({ userId, ...(target ? { identity: target } : {}) });
  writeLine(
    io.stdout,
    wasLinked ? `unlinked ${target ? identityName(target) : 'this user'}` : 'nothing was linked',
  );
  return ExitCode.ok;
}

/** `parley admin links`: every linked person (of one client with --client). */
export async function runAdminLinks(
  io: Io,
  client: AdminClient,
  options: { client?: string; json?: boolean },
): Promise<number> {
  const response = await client.listLinkedPeople({ ...(options.client ? { clientId: options.client } : {}) });
  if (options.json) {
    writeJson(io.stdout, ListLinkedPeopleResponse.toJson(response));
    return ExitCode.ok;
  }
  const rows = response.people.flatMap((person) =>
    person.identities.map((i) => [person.personId, i.clientId, i.userId, formatTime(i.linkedAt)]),
  );
  writeLine(io.stdout, rows.length ? formatTable(['person', 'client', 'user', 'linked'], rows) : 'no links');
  return ExitCode.ok;
}

/** `parley admin unlink <client> <user>`: undoes a link. */
export async function runAdminUnlink(io: Io, client: AdminClient, who: { client: string; user: string }) {
  const { wasLinked } = await client.unlinkIdentity({ clientId: who.client, userId: who.user });
  writeLine(
    io.stdout,
    wasLinked ? `unlinked ${who.client}:${who.user}` : `${who.client}:${who.user} was not linked`,
  );
  return ExitCode.ok;
}

function identityTable(identities: Identity[]): string {
  const rows = identities.map((identity, i) => [
    String(i + 1),
    identity.clientId,
    identity.userId,
    formatTime(identity.linkedAt),
    identity.caller ? '(you, here)' : '',
  ]);
  return formatTable(['#', 'client', 'user', 'linked', ''], rows);
}

function identityName(identity: Identity): string {
  return `${identity.clientId}:${identity.userId}`;
}

/** Plain words for a code that could not be redeemed; undefined for any other failure. */
function redeemRefusal(err: unknown): string | undefined {
  const { code, retryAfterSeconds } = describeRpcError(err);
  const meta = err instanceof RpcError ? err.meta : {};
  if (code === 'not_found' || code === 'invalid_argument')
    return 'that code is unknown, used or expired; ask for a new one (/link in Telegram)';
  if (code === 'resource_exhausted')
    return `too many tries; wait ${retryAfterSeconds ?? 60} s and ask for a new code`;
  if (code === 'failed_precondition') {
    return meta.max_identities
      ? 'that would link too many apps to one person; unlink one first (parley links)'
      : 'this is your own code: redeem it from the other app';
  }
  return undefined;
}
