/** The embedded PostgreSQL for the CDC source: a fresh cluster set up for logical replication, gone after stop(). */
import { existsSync } from 'node:fs';
import pg from 'pg';
import { startPostgres, type RunningPostgres } from '../../../lib/local/emulators/postgres';

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('embedded PostgreSQL', () => {
  let postgres: RunningPostgres | undefined;
  afterAll(async () => {
    await postgres?.stop();
  });

  test('starts PostgreSQL 17 on loopback with logical replication, UTC, no unix socket, and the requested database', async () => {
    postgres = await startPostgres({ database: 'shop_source' });
    expect(postgres.serverVersion).toMatch(/^17\./);
    expect(postgres.connection).toMatchObject({ host: '127.0.0.1', port: postgres.port, database: 'shop_source' });
    expect(postgres.url).toMatch(new RegExp(`^postgresql://postgres:[^@]+@127\\.0\\.0\\.1:${postgres.port}/shop_source$`));
    const client = new pg.Client(postgres.url);
    await client.connect();
    try {
      const settings = await client.query<{ name: string; setting: string }>(
        `SELECT name, setting FROM pg_settings WHERE name IN ('wal_level', 'listen_addresses', 'unix_socket_directories', 'TimeZone', 'max_replication_slots', 'max_wal_senders', 'server_encoding')`,
      );
      expect(Object.fromEntries(settings.rows.map((r) => [r.name, r.setting]))).toEqual({
        wal_level: 'logical',
        listen_addresses: '127.0.0.1',
        unix_socket_directories: '',
        TimeZone: 'UTC',
        max_replication_slots: '10',
        max_wal_senders: '10',
        server_encoding: 'UTF8',
      });
      expect((await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db).toBe('shop_source');
      // pgoutput is there: a logical slot can be made and dropped.
      await client.query(`SELECT pg_create_logical_replication_slot('probe', 'pgoutput')`);
      await client.query(`SELECT pg_drop_replication_slot('probe')`);
    } finally {
      await client.end();
    }
  }, 60_000);

  test('stop() ends the server and removes its data directory; a second stop() is harmless', async () => {
    const running = postgres!;
    postgres = undefined;
    expect(running.pid).toBeDefined();
    expect(isRunning(running.pid!)).toBe(true);
    await running.stop();
    await running.stop();
    expect(isRunning(running.pid!)).toBe(false);
    expect(existsSync(running.dataDir)).toBe(false);
    const client = new pg.Client({ ...running.connection, connectionTimeoutMillis: 2000 });
    await expect(client.connect()).rejects.toThrow();
  });
});
