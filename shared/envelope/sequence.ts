// Sequence numbers (Kinesis) and offsets (Kafka) are unsigned decimal strings that can exceed
// 2^53, so they are compared as digit strings, never as JS numbers.

/**
 * Compares two decimal sequence numbers: negative, zero or positive like a sort comparator.
 *
 * @example compareSeq('9', '10') < 0
 */
export function compareSeq(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
