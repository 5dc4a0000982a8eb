/**
 * Local typings for kinesalite 3.x (the package ships none): the options this project uses.
 * Not named kinesalite.d.ts: beside kinesalite.ts, TypeScript would take it for that file's
 * output and leave it out.
 */
declare module 'kinesalite' {
  import type { Server } from 'node:http';

  interface KinesaliteOptions {
    /** Milliseconds a stream stays CREATING (default 500). */
    createStreamMs?: number;
    /** Milliseconds a stream stays DELETING (default 500). */
    deleteStreamMs?: number;
    /** Milliseconds a stream stays UPDATING (default 500). */
    updateStreamMs?: number;
    /** Shards allowed across all streams (default 10). */
    shardLimit?: number;
    /** A LevelDB directory; in memory when absent. */
    path?: string;
    ssl?: boolean;
  }

  /** Creates the (not yet listening) HTTP server; `close()` also closes its store. */
  function kinesalite(options?: KinesaliteOptions): Server;
  export = kinesalite;
}
