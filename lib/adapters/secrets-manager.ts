/**
 * Ironic credentials from a Secrets Manager secret, fetched once per container (the first Ironic call
 * waits for it; a failed fetch is tried again on the next call).
 *
 * @example
 * ```ts
 * const auth = secretBackedIronicAuth(new SecretsManagerClient({}), secretArn, 'keystone');
 * await auth.headers(); // fetches the secret, then a Keystone token
 * ```
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type IronicAuth, ironicAuth } from '#lib/adapters/ironic/auth.ts';
import { lazyIronicAuth } from '#lib/adapters/lazy.ts';
import { ConfigurationError } from '#lib/domain/errors.ts';

/** The secret's text (SecretString). */
export async function fetchSecretString(client: SecretsManagerClient, secretId: string): Promise<string> {
  const secret = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (secret.SecretString === undefined) {
    throw new ConfigurationError(
      `Invalid configuration: IRONIC_CREDENTIALS_SECRET_ID: ${secretId} has no text value`,
    );
  }
  return secret.SecretString;
}

/** An IronicAuth whose credentials document lives in Secrets Manager. */
export function secretBackedIronicAuth(
  client: SecretsManagerClient,
  secretId: string,
  type: 'http_basic' | 'keystone',
): IronicAuth {
  return lazyIronicAuth(type, async () => ironicAuth(type, await fetchSecretString(client, secretId)));
}
