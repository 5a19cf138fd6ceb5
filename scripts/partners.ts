// npm run partners -- add|list|rotate|disable|enable: the partners allowed to POST to the webhook.
import { formatTable } from '../shared/cli/format-table.js';
import { loadCliConfig } from '../shared/cli/cli-config.js';
import { signingKeySourceFor } from '../shared/cli/partner-signing-key.js';
import { runCli, UsageError } from '../shared/cli/run-cli.js';
import { PgPartnerAdmin, type NewPartner } from '../shared/stores/postgres/pg-partner-admin.js';
import { createPgPool } from '../shared/stores/postgres/pg-pool.js';
import { resolveSigningKey } from '../shared/webhook/signing-key.js';

const usage = `Usage: npm run partners -- <command> [options]

  add <id> [--name TEXT] [--event-types a,b] [--max-body-bytes N] [--max-records N] [--max-record-bytes N]
                    create a partner and print its signing secret (shown this once)
  list              partners with their secret fingerprints, limits and state
  rotate <id> [--grace DURATION]
                    print a new secret; the old one keeps working for the grace period
                    (default 24h; 0 ends it at once, e.g. after a leak)
  disable <id>      refuse the partner's requests (403) from the next webhook cache refresh (<= 30 s)
  enable <id>       accept them again

  --json            machine-readable output

The partner signs each POST to /v1/ingest/<id> with its secret (README "Partner webhooks").
Settings: DATABASE_URL, and PARTNER_SIGNING_KEY_PARAMETER (the stage's SSM parameter) or
PARTNER_SIGNING_KEY; locally the running stack's .local/stack.json and .local/partner-signing-key.`;

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const EVENT_TYPE = /^[a-z][a-z0-9_]{0,63}$/;

await runCli(
  {
    usage,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      'event-types': { type: 'string' },
      'max-body-bytes': { type: 'string' },
      'max-records': { type: 'string' },
      'max-record-bytes': { type: 'string' },
      grace: { type: 'string' },
      json: { type: 'boolean' },
    },
  },
  async ({ values, positionals }) => {
    const [command, id, ...rest] = positionals;
    if (!command) throw new UsageError('give a command');
    if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
    if (command !== 'list' && (!id || !ID.test(id))) throw new UsageError(`${command} needs a partner id (letters, digits, . _ -; up to 64)`);
    const config = loadCliConfig(process.env);
    const pool = createPgPool({ connectionString: config.databaseUrl, max: 1 });
    const print = (value: unknown, text: string): void => {
      process.stdout.write(values['json'] ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
    };
    try {
      const admin = new PgPartnerAdmin(pool, command === 'list' || command === 'disable' || command === 'enable' ? '' : await resolveSigningKey(signingKeySourceFor(process.env)));
      switch (command) {
        case 'add': {
          const options = newPartnerOptions(values);
          const unregistered = await admin.unregisteredTypes(options.allowedEventTypes ?? []);
          if (unregistered.length > 0) {
            process.stderr.write(`warning: no schema is registered for ${unregistered.join(', ')}; such events are held on the queue (then the DLQ) until one is\n`);
          }
          const { secret } = await admin.add(id!, options);
          print({ id, secret }, `partner ${id} added\nsecret: ${secret}\nStore it now (e.g. in the partner's secret manager); it is not shown again.`);
          break;
        }
        case 'list': {
          const partners = await admin.list();
          print(
            partners,
            partners.length === 0
              ? 'no partners yet: npm run partners -- add <id>'
              : formatTable(
                  ['id', 'name', 'secret_fingerprint', 'rotating_until', 'event_types', 'max_body', 'max_records', 'max_record', 'state'],
                  partners.map((p) => ({
                    id: p.id,
                    name: p.displayName ?? '',
                    secret_fingerprint: `${p.fingerprint}…`,
                    rotating_until: p.previousSecretValidUntil?.toISOString() ?? '',
                    event_types: p.allowedEventTypes.join(',') || '(any)',
                    max_body: p.limits.maxBodyBytes,
                    max_records: p.limits.maxRecords,
                    max_record: p.limits.maxRecordBytes,
                    state: p.disabled ? 'disabled' : 'active',
                  })),
                ),
          );
          break;
        }
        case 'rotate': {
          const graceSeconds = parseDuration(String(values['grace'] ?? '24h'));
          const { secret, previousValidUntil } = await admin.rotate(id!, graceSeconds);
          const until = previousValidUntil ? `the old secret works until ${previousValidUntil.toISOString()}` : 'the old secret no longer works';
          print({ id, secret, previousValidUntil }, `partner ${id} rotated; ${until}\nsecret: ${secret}\nStore it now; it is not shown again.`);
          break;
        }
        case 'disable':
        case 'enable':
          await (command === 'disable' ? admin.disable(id!) : admin.enable(id!));
          print({ id, state: command === 'disable' ? 'disabled' : 'active' }, `partner ${id} ${command}d`);
          break;
        default:
          throw new UsageError(`unknown command ${command}`);
      }
    } finally {
      await pool.end();
    }
  },
);

function newPartnerOptions(values: Record<string, string | boolean | undefined>): NewPartner {
  const types = typeof values['event-types'] === 'string' ? values['event-types'].split(',').map((t) => t.trim()).filter(Boolean) : [];
  const bad = types.find((t) => !EVENT_TYPE.test(t));
  if (bad) throw new UsageError(`"${bad}" is not a valid event type`);
  return {
    ...(typeof values['name'] === 'string' ? { displayName: values['name'] } : {}),
    allowedEventTypes: types,
    limits: {
      ...optionalInt(values, 'max-body-bytes', 'maxBodyBytes', 1_024, 4_194_304),
      ...optionalInt(values, 'max-records', 'maxRecords', 1, 100_000),
      ...optionalInt(values, 'max-record-bytes', 'maxRecordBytes', 256, 261_120),
    },
  };
}

function optionalInt(values: Record<string, string | boolean | undefined>, flag: string, key: string, min: number, max: number): Record<string, number> {
  const raw = values[flag];
  if (typeof raw !== 'string') return {};
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}`);
  return { [key]: n };
}

/** Seconds in "24h", "30m", "90s", "7d" or "0". */
function parseDuration(text: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!m) throw new UsageError(`--grace takes a duration like 24h, 30m, 7d or 0, not "${text}"`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  const seconds = Number(m[1]) * unit;
  if (seconds > 30 * 86_400) throw new UsageError('--grace is at most 30 days');
  return seconds;
}
