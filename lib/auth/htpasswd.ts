/**
 * HTTP basic authentication against Apache htpasswd entries, bcrypt only (as upstream's
 * `http_basic` strategy: `htpasswd -B`). The entries live in a Secrets Manager secret in AWS.
 *
 * @example
 * ```ts
 * const users = parseHtpasswd('admin:$2y$05$…\n');
 * await checkBasicAuthorization(users, 'Basic YWRtaW46c2VjcmV0'); // { ok: true, user: 'admin' }
 * ```
 */
import bcrypt from 'bcryptjs';

/** User name → bcrypt hash. */
export type HtpasswdUsers = ReadonlyMap<string, string>;

const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

/**
 * Parse htpasswd text. Lines that are empty or comments are skipped; a non-bcrypt entry is refused,
 * as upstream refuses it at start.
 *
 * @throws Error naming the line
 */
export function parseHtpasswd(text: string): HtpasswdUsers {
  const users = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    if (colon <= 0 || !BCRYPT.test(hash)) {
      throw new Error(`htpasswd line ${index + 1}: only bcrypt entries (htpasswd -B) are supported`);
    }
    users.set(user, hash);
  });
  return users;
}

const dummies = new Map<number, string>();

/** A hash of the same cost as the entries (the highest), made once per cost. */
function dummyHash(users: HtpasswdUsers): string {
  const cost = Math.max(4, ...[...users.values()].map((h) => Number(h.slice(4, 6))));
  let dummy = dummies.get(cost);
  if (dummy === undefined) {
    dummy = bcrypt.hashSync('not a password', cost);
    dummies.set(cost, dummy);
  }
  return dummy;
}

export type BasicAuthResult = { ok: true; user: string } | { ok: false; reason: string };

/** Check an `Authorization` header against the users. */
export async function checkBasicAuthorization(
  users: HtpasswdUsers,
  header: string | undefined,
): Promise<BasicAuthResult> {
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing credentials' };
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header.trim());
  if (match === null) return { ok: false, reason: 'not HTTP basic credentials' };
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { ok: false, reason: 'malformed credentials' };
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const hash = users.get(user);
  if (hash === undefined) {
    // Spend the time a real check of these entries takes, so user names cannot be probed by timing.
    await bcrypt.compare(password, dummyHash(users));
    return { ok: false, reason: 'unknown user or wrong password' };
  }
  return (await bcrypt.compare(password, hash))
    ? { ok: true, user }
    : { ok: false, reason: 'unknown user or wrong password' };
}
