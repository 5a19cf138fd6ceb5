// Shapes shared by the webhook modules: a partner as the webhook sees it, and the limits
// and settings a request is checked against.

/** Size and count limits of one partner's requests. */
export interface PartnerLimits {
  /** Body bytes, both as sent and after gzip inflation. */
  readonly maxBodyBytes: number;
  readonly maxRecords: number;
  /** Bytes of one record as enqueued (one NDJSON line). */
  readonly maxRecordBytes: number;
}

/** A partner allowed to POST, with the secrets that currently verify its signatures. */
export interface Partner {
  readonly id: string;
  /** The current secret first; during a rotation also the previous one, until it expires. */
  readonly secrets: readonly string[];
  /** Event types the partner may send; empty means any. */
  readonly allowedEventTypes: ReadonlySet<string>;
  readonly limits: PartnerLimits;
  readonly disabled: boolean;
}

/** A record refused at the edge, by its position in the request. */
export interface RejectedRecord {
  readonly index: number;
  readonly reason: string;
}
