// The service signing key partner secrets derive from: given directly (local stack, tests)
// or read from an SSM SecureString (deployed stages), never from the repository.
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { ConfigError } from '../errors.js';

/** Where the signing key comes from. */
export type SigningKeySource = { readonly value: string } | { readonly parameter: string };

/** Shorter keys are refused: the key is the root of every partner secret. */
export const MIN_SIGNING_KEY_LENGTH = 32;

/**
 * The signing key; the SSM value is cached for 5 minutes by Powertools.
 *
 * @example const key = await resolveSigningKey({ parameter: '/event-lake/prod/partner-signing-key' });
 */
export async function resolveSigningKey(source: SigningKeySource): Promise<string> {
  if ('value' in source) return checked(source.value, 'the signing key');
  const value = await getParameter(source.parameter, { decrypt: true, maxAge: 300 });
  return checked(value ?? '', `SSM parameter ${source.parameter}`);
}

function checked(key: string, where: string): string {
  if (key.length < MIN_SIGNING_KEY_LENGTH) {
    throw new ConfigError(`${where} must hold a signing key of at least ${MIN_SIGNING_KEY_LENGTH} characters (e.g. openssl rand -base64 32)`);
  }
  return key;
}
