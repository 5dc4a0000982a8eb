/** Typed failures of the embedded emulators. */

/** The AWS services the embedded emulators provide. */
export type EmulatedService = 'kinesis' | 'sqs' | 's3' | 'dynamodb';

/** An emulator did not start (or did not answer in time). */
export class EmulatorStartError extends Error {
  override readonly name: string = 'EmulatorStartError';
  constructor(
    /** The emulator that failed, e.g. `dynamodb`. */
    readonly service: EmulatedService | 'sqs+s3',
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${service} emulator: ${message}`, options);
  }
}

/** DynamoDB Local needs a Java runtime (17 or later) as `java` on the PATH. */
export class JavaNotFoundError extends EmulatorStartError {
  override readonly name = 'JavaNotFoundError';
  constructor(readonly command: string, options?: ErrorOptions) {
    super(
      'dynamodb',
      `cannot run "${command}": DynamoDB Local needs Java 17 or later as \`${command}\` on the PATH ` +
        `(e.g. \`apt-get install openjdk-17-jre-headless\`), or start the emulators without it: startEmulators({ services: ['kinesis', 'sqs', 's3'] })`,
      options,
    );
  }
}

/** An emulator did not stop cleanly. */
export class EmulatorStopError extends Error {
  override readonly name = 'EmulatorStopError';
  constructor(readonly failures: readonly unknown[]) {
    super(`${failures.length} emulator(s) did not stop cleanly: ${failures.map((f) => (f instanceof Error ? f.message : String(f))).join('; ')}`, {
      cause: failures[0],
    });
  }
}
