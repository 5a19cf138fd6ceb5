// The local stack's Kafka settings (KAFKA_* variables), read and validated in one place:
// without KAFKA_BROKERS Kafka stays off; a wrong value fails the start naming the variable.
import { z } from 'zod';
import { ConfigError } from '../errors.js';

/** SASL mechanisms a self-managed cluster offers that the local consumer speaks. */
export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

/** The highest TCP port. */
const MAX_PORT = 65_535;
/** Kafka's own limit on topic names (`Topic.MAX_NAME_LENGTH`) and their alphabet. */
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
/** `host:port`, with IPv6 hosts in brackets (`[::1]:9092`). */
const BROKER_ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]/]+):(\d{1,5})$/;

/** Comma-separated values, blanks dropped (a trailing comma is no mistake worth failing on). */
const commaList = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== ''),
);

const settingsSchema = z
  .object({
    KAFKA_BROKERS: commaList
      .refine((brokers) => brokers.length > 0, 'list at least one broker as host:port, e.g. 127.0.0.1:9092')
      .superRefine((brokers, ctx) => {
        for (const broker of brokers) {
          const port = Number(BROKER_ADDRESS.exec(broker)?.[2] ?? Number.NaN);
          if (!(port >= 1 && port <= MAX_PORT)) ctx.addIssue({ code: 'custom', message: `"${broker}" is not host:port (e.g. 127.0.0.1:9092)` });
        }
      }),
    KAFKA_TOPICS: commaList
      .superRefine((topics, ctx) => {
        for (const topic of topics) {
          if (!TOPIC_NAME.test(topic)) ctx.addIssue({ code: 'custom', message: `"${topic}" is not a Kafka topic name (letters, digits, '.', '_', '-', at most 249)` });
        }
      })
      .optional(),
    KAFKA_SASL_MECHANISM: z
      .string()
      .trim()
      .toLowerCase()
      .transform((v) => (v === '' ? undefined : v))
      .pipe(z.enum(KAFKA_SASL_MECHANISMS, { message: `must be one of ${KAFKA_SASL_MECHANISMS.join(', ')}` }).optional())
      .optional(),
    KAFKA_USERNAME: z.string().optional(),
    KAFKA_PASSWORD: z.string().optional(),
    KAFKA_SSL: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(['true', 'false', ''], { message: 'must be true or false' }))
      .optional(),
  })
  .superRefine((e, ctx) => {
    const credentials = Boolean(e.KAFKA_USERNAME || e.KAFKA_PASSWORD);
    if (e.KAFKA_SASL_MECHANISM) {
      for (const name of ['KAFKA_USERNAME', 'KAFKA_PASSWORD'] as const) {
        if (!e[name]) ctx.addIssue({ code: 'custom', path: [name], message: `required with KAFKA_SASL_MECHANISM=${e.KAFKA_SASL_MECHANISM}` });
      }
    } else if (credentials) {
      // Credentials without a mechanism would silently connect unauthenticated.
      ctx.addIssue({ code: 'custom', path: ['KAFKA_SASL_MECHANISM'], message: `set it (${KAFKA_SASL_MECHANISMS.join(', ')}) to use KAFKA_USERNAME and KAFKA_PASSWORD` });
    }
  });

/** SASL credentials for the brokers. */
export interface KafkaSasl {
  readonly mechanism: (typeof KAFKA_SASL_MECHANISMS)[number];
  readonly username: string;
  readonly password: string;
}

/** How the local stack reaches a Kafka cluster. */
export interface KafkaSettings {
  /** `host:port` of each bootstrap broker, in the order given. */
  readonly brokers: readonly string[];
  /** Topics to consume; undefined: the ingest function's own topic (serverless.yml). */
  readonly topics: readonly string[] | undefined;
  readonly sasl: KafkaSasl | undefined;
  readonly ssl: boolean;
}

/**
 * Parses the KAFKA_* variables; undefined when KAFKA_BROKERS is unset or empty (Kafka off).
 * Throws {@link ConfigError} naming each bad variable.
 *
 * @example parseKafkaSettings({ KAFKA_BROKERS: '127.0.0.1:9092', KAFKA_TOPICS: 'events,clicks' })
 * // { brokers: ['127.0.0.1:9092'], topics: ['events', 'clicks'], sasl: undefined, ssl: false }
 */
export function parseKafkaSettings(env: Record<string, string | undefined>): KafkaSettings | undefined {
  if ((env['KAFKA_BROKERS'] ?? '').trim() === '') return undefined;
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid Kafka settings: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return Object.freeze({
    brokers: Object.freeze(e.KAFKA_BROKERS),
    topics: e.KAFKA_TOPICS && e.KAFKA_TOPICS.length > 0 ? Object.freeze(e.KAFKA_TOPICS) : undefined,
    sasl: e.KAFKA_SASL_MECHANISM
      ? Object.freeze({ mechanism: e.KAFKA_SASL_MECHANISM, username: e.KAFKA_USERNAME!, password: e.KAFKA_PASSWORD! })
      : undefined,
    ssl: e.KAFKA_SSL === 'true',
  });
}
