import { describe, expect, it } from 'vitest';
import { SharedSlots } from '../../../agent/backup/shared-slots.js';

describe('SharedSlots', () => {
  it('creates at most `count` shared slots, reuses them, and serves waiters in order', async () => {
    const slots = new SharedSlots(1024, 2);
    const a = await slots.acquire();
    const b = await slots.acquire();
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(a.length).toBe(1024);
    expect(a.buffer).not.toBe(b.buffer);
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
    expect((await first).buffer).toBe(b.buffer);
    slots.release(a);
    expect((await second).buffer).toBe(a.buffer);
    expect(served).toEqual(['first', 'second']);
  });

  it('refuses a pool without slots', () => {
    expect(() => new SharedSlots(1024, 0)).toThrow('at least one slot');
  });
});
