// Where the CLIs find the partner signing key: PARTNER_SIGNING_KEY, an SSM parameter named by
// PARTNER_SIGNING_KEY_PARAMETER (deployed stages), or the local stack's key file.
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import type { SigningKeySource } from '../webhook/signing-key.js';

/** The local stack keeps its signing key here (git-ignored), so it survives restarts. */
export const LOCAL_SIGNING_KEY_FILE = '.local/partner-signing-key';

/**
 * The signing key source from the environment, else the local stack's key file.
 *
 * @example const key = await resolveSigningKey(signingKeySourceFor(process.env));
 */
export function signingKeySourceFor(env: Record<string, string | undefined>, keyFile = LOCAL_SIGNING_KEY_FILE): SigningKeySource {
  const value = env['PARTNER_SIGNING_KEY']?.trim();
  if (value) return { value };
  const parameter = env['PARTNER_SIGNING_KEY_PARAMETER']?.trim();
  if (parameter) return { parameter };
  if (existsSync(keyFile)) return { value: readFileSync(keyFile, 'utf8').trim() };
  throw new ConfigError(
    `no partner signing key: set PARTNER_SIGNING_KEY_PARAMETER to the stage's SSM parameter (e.g. /event-lake/prod/partner-signing-key), ` +
      `or start the local stack (npm run dev), which keeps one in ${keyFile}`,
  );
}
