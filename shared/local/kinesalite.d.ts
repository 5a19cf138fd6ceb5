// kinesalite ships no types; this covers the one call the local stack makes.
declare module 'kinesalite' {
  import type { Server } from 'node:http';

  /** Options of kinesalite's factory; without `path` the streams live in memory. */
  interface KinesaliteOptions {
    /** Directory of a LevelDB store; omit for an in-memory store. */
    path?: string;
    ssl?: boolean;
    /** Milliseconds a stream stays CREATING (DELETING, UPDATING for the others). */
    createStreamMs?: number;
    deleteStreamMs?: number;
    updateStreamMs?: number;
    /** Most open shards across all streams, like the account limit. */
    shardLimit?: number;
  }

  /**
   * Creates (does not start) kinesalite's HTTP/1.1 server; `close()` also closes its store.
   *
   * @example const server = kinesalite({ createStreamMs: 0 }); server.listen(0, '127.0.0.1');
   */
  function kinesalite(options?: KinesaliteOptions): Server;

  export = kinesalite;
}
