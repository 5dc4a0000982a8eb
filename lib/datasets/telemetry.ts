/**
 * Deterministic IoT telemetry readings (schemas/telemetry.json), for the main job, the producer
 * CLI, tests and benchmarks. A fleet of devices reporting in turn, each with its own clock
 * offset, slow-drifting sensors, a battery that drains, and a few devices without a barometer.
 */
import type { Random } from './random';
import { intBetween, pick, seededRandom } from './random';

/** One reading, with the schema's field names. */
export interface TelemetryReading {
  device_id: string;
  timestamp: string;
  seq: number;
  temperature_c: number;
  humidity_pct: number;
  pressure_hpa: number | null;
  battery_pct: number;
  rssi_dbm: number;
  status: 'ok' | 'warning' | 'fault';
  firmware: string;
}

export interface TelemetryOptions {
  readonly seed?: number;
  /** Fleet size (default 50). */
  readonly devices?: number;
  /** Readings start here; each device reports about once a second. */
  readonly startMs?: number;
}

export const TELEMETRY_START_MS = Date.UTC(2026, 10, 25, 22, 0, 0);
const FIRMWARE = ['1.4.2', '1.4.2', '1.5.0', '2.0.1'] as const;
const ZONES = ['Z', 'Z', 'Z', '+01:00', '-04:00'] as const;

interface DeviceState {
  readonly id: string;
  readonly zone: (typeof ZONES)[number];
  readonly firmware: string;
  readonly barometer: boolean;
  seq: number;
  temperature: number;
  humidity: number;
  pressure: number;
  battery: number;
}

const round = (value: number, digits: number): number => Math.round(value * 10 ** digits) / 10 ** digits;
const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value));

function isoWithZone(epochMs: number, zone: DeviceState['zone']): string {
  if (zone === 'Z') return new Date(epochMs).toISOString();
  const offsetMin = (zone[0] === '-' ? -1 : 1) * (+zone.slice(1, 3) * 60 + +zone.slice(4, 6));
  return new Date(epochMs + offsetMin * 60_000).toISOString().slice(0, 23) + zone;
}

function fleet(random: Random, size: number): DeviceState[] {
  return Array.from({ length: size }, (_, i) => ({
    id: `sensor-${String(i + 1).padStart(4, '0')}`,
    zone: pick(random, ZONES),
    firmware: pick(random, FIRMWARE),
    barometer: random() > 0.2,
    seq: 0,
    temperature: 15 + random() * 15,
    humidity: 30 + random() * 40,
    pressure: 990 + random() * 40,
    battery: 60 + random() * 40,
  }));
}

/**
 * `count` readings, valid against the telemetry schema, in publishing order: devices take turns,
 * and every (device_id, timestamp) pair is unique.
 */
export function* generateTelemetry(count: number, options: TelemetryOptions = {}): Generator<TelemetryReading> {
  const random = seededRandom(options.seed ?? 7);
  const devices = fleet(random, Math.max(1, options.devices ?? 50));
  const start = options.startMs ?? TELEMETRY_START_MS;
  for (let i = 0; i < count; i++) {
    const device = devices[i % devices.length]!;
    const round_ = Math.floor(i / devices.length);
    // About one reading a second per device, with jitter that never reorders a device's readings.
    const epochMs = start + round_ * 1_000 + (i % devices.length) * 7 + intBetween(random, 0, 5);
    device.temperature = clamp(device.temperature + (random() - 0.5) * 0.4, -20, 60);
    device.humidity = clamp(device.humidity + (random() - 0.5), 5, 95);
    device.pressure = clamp(device.pressure + (random() - 0.5) * 0.3, 950, 1050);
    device.battery = clamp(device.battery - random() * 0.01, 0, 100);
    const fault = random() < 0.002;
    yield {
      device_id: device.id,
      timestamp: isoWithZone(epochMs, device.zone),
      seq: device.seq++,
      temperature_c: round(device.temperature, 2),
      humidity_pct: round(device.humidity, 1),
      pressure_hpa: device.barometer ? round(device.pressure, 1) : null,
      battery_pct: round(device.battery, 1),
      rssi_dbm: intBetween(random, -95, -40),
      status: fault ? 'fault' : device.battery < 15 || device.temperature > 45 ? 'warning' : 'ok',
      firmware: device.firmware,
    };
  }
}
