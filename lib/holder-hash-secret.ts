import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError, holderHashKeyOf } from './config.ts';
import { DependencyUnavailableError } from './errors.ts';

/**
 * The holder-hash key from its Secrets Manager secret, read once at cold start. The secret's
 * SecretString must be exactly the key as 64 lowercase hex characters (the stack generates it
 * so); anything else stops the function rather than hashing holders with a key no other
 * function shares.
 */
export async function readHolderHashSecret(
  client: SecretsManagerClient,
  secretArn: string,
): Promise<Uint8Array> {
  let secret: string | undefined;
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    secret = out.SecretString;
  } catch (err) {
    throw new DependencyUnavailableError(
      `Secrets Manager (reading the holder-hash secret ${secretArn})`,
      err,
    );
  }
  if (secret === undefined) {
    throw new ConfigError(
      `the holder-hash secret ${secretArn} (ELG_HOLDER_HASH_SECRET_ARN) has no SecretString; store the key as text`,
    );
  }
  return holderHashKeyOf(secret, `the secret ${secretArn} (ELG_HOLDER_HASH_SECRET_ARN)`);
}
