import { describe, expect, it } from 'vitest';
import { SharedSlots } from '../../../agent/backup/shared-slots.js';

describe('SharedSlots', () => {
  it('creates at most `count` shared slots, reuses them, and serves waiters in order', async () => {
    const slots = new SharedSlots(1024, 2);
    const a = await slots.acquire();
    const b = await slots.acquire();
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(a.length).toBe(1024);
    // Slots of one pool share its memory, each on its own page (direct I/O needs them aligned).
    expect(a.buffer).toBe(b.buffer);
    expect([a.byteOffset % 4096, b.byteOffset % 4096]).toEqual([0, 0]);
    expect(Math.abs(a.byteOffset - b.byteOffset)).toBeGreaterThanOrEqual(4096);
    const served: string[] = [];
    const first = slots.acquire().then((slot) => {
      served.push('first');
      return slot;
    });
    const second = slots.acquire().then((slot) => {
      served.push('second');
      return slot;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(served).toEqual([]);
    slots.release(b);
    expect((await first).byteOffset).toBe(b.byteOffset);
    slots.release(a);
    expect((await second).byteOffset).toBe(a.byteOffset);
    expect(served).toEqual(['first', 'second']);
  });

  it('refuses a pool without slots', () => {
    expect(() => new SharedSlots(1024, 0)).toThrow('at least one slot');
  });
});
