// dynalite ships no types; this covers the one call the local stack makes.
declare module 'dynalite' {
  import type { Server } from 'node:http';

  /** Options of dynalite's factory; without `path` the tables live in memory. */
  interface DynaliteOptions {
    path?: string;
    /** Milliseconds a table stays CREATING (DELETING, UPDATING for the others). */
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
  }

  /**
   * Creates (does not start) dynalite's HTTP server.
   *
   * @example const server = dynalite({ createTableMs: 0 }); server.listen(4568, '127.0.0.1');
   */
  function dynalite(options?: DynaliteOptions): Server;

  export = dynalite;
}
