/** A set of keys with O(1) add, remove and uniform random pick (array + index, swap-remove). */
import type { Random } from '../../datasets/random';

export class KeyPool<V> {
  private readonly keys: string[] = [];
  private readonly index = new Map<string, { position: number; value: V }>();

  get size(): number {
    return this.keys.length;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  get(key: string): V | undefined {
    return this.index.get(key)?.value;
  }

  set(key: string, value: V): void {
    const entry = this.index.get(key);
    if (entry) {
      entry.value = value;
      return;
    }
    this.index.set(key, { position: this.keys.length, value });
    this.keys.push(key);
  }

  delete(key: string): V | undefined {
    const entry = this.index.get(key);
    if (!entry) return undefined;
    const last = this.keys.pop()!;
    if (last !== key) {
      this.keys[entry.position] = last;
      this.index.get(last)!.position = entry.position;
    }
    this.index.delete(key);
    return entry.value;
  }

  /** A uniformly random key, or undefined when empty. */
  pick(random: Random): string | undefined {
    return this.keys.length === 0 ? undefined : this.keys[Math.floor(random() * this.keys.length)];
  }
}
