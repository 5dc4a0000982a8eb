/** What every embedded emulator wrapper returns once its server answers. */
export interface RunningEmulator {
  /** Base URL for an SDK client's `endpoint`, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  readonly port: number;
  /** The process id, for an emulator that runs as a child process (DynamoDB Local). */
  readonly pid?: number;
  /** Closes the server (or ends its process); resolves once it is gone. Safe to call twice. */
  stop(): Promise<void>;
}
