// Packs accepted records into as few SQS messages as the size limit allows: each message
// body is NDJSON, and SendMessageBatch calls carry at most 10 messages and, summed, no more
// bytes than one message may have.

/** SQS limits (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html). */
export const SQS_BATCH_MAX_ENTRIES = 10;
/** The classic 256 KiB message limit, which every SQS endpoint accepts (AWS now takes 1 MiB). */
export const SQS_DEFAULT_MAX_MESSAGE_BYTES = 262_144;
/**
 * Room kept in each message for its fixed attributes (source, request id, arrival, encoding);
 * a replay's `source_record` attribute has its own size and comes off its message's body budget.
 */
const ATTRIBUTE_RESERVE_BYTES = 1_024;

/**
 * Bytes a message body may take on a queue whose messages may hold `maxMessageBytes`.
 *
 * @example maxMessageBodyBytes(262_144) // 261_120
 */
export function maxMessageBodyBytes(maxMessageBytes: number): number {
  return maxMessageBytes - ATTRIBUTE_RESERVE_BYTES;
}

/**
 * Groups NDJSON lines into message bodies of at most `maxBodyBytes` bytes, in order.
 * A single line longer than that is a caller bug (records are size-checked first).
 *
 * @example packMessageBodies(['{"a":1}', '{"a":2}'], 262_000) // ['{"a":1}\n{"a":2}']
 */
export function packMessageBodies(lines: readonly string[], maxBodyBytes: number): string[] {
  const bodies: string[] = [];
  let current: string[] = [];
  let currentBytes = 0;
  for (const line of lines) {
    const bytes = Buffer.byteLength(line) + 1; // the newline joining it to the next
    if (bytes - 1 > maxBodyBytes) throw new RangeError(`a record of ${bytes - 1} bytes cannot fit a message of ${maxBodyBytes}`);
    if (currentBytes + bytes > maxBodyBytes + 1 && current.length > 0) {
      bodies.push(current.join('\n'));
      current = [];
      currentBytes = 0;
    }
    current.push(line);
    currentBytes += bytes;
  }
  if (current.length > 0) bodies.push(current.join('\n'));
  return bodies;
}

/**
 * Groups messages (with their byte sizes) into SendMessageBatch calls under both limits.
 *
 * @example groupIntoBatches([{ bytes: 200_000 }, { bytes: 100_000 }], 262_144).length // 2
 */
export function groupIntoBatches<T extends { readonly bytes: number }>(messages: readonly T[], maxBatchBytes: number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let currentBytes = 0;
  for (const message of messages) {
    const full = current.length === SQS_BATCH_MAX_ENTRIES || currentBytes + message.bytes > maxBatchBytes;
    if (full && current.length > 0) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(message);
    currentBytes += message.bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
