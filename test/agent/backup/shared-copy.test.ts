import { describe, expect, it } from 'vitest';
import { copyBytes } from '../../../agent/backup/shared-copy.js';

describe('copyBytes', () => {
  it('copies exactly the source into shared memory at an odd offset, touching nothing around it', () => {
    const target = Buffer.from(new SharedArrayBuffer(64)).fill(0xee);
    const source = Buffer.from(new SharedArrayBuffer(40)).fill(7);
    for (let i = 0; i < 40; i++) source[i] = i;
    expect(copyBytes(source.subarray(3, 30), target, 5)).toBe(27);
    expect([...target.subarray(5, 32)]).toEqual([...source.subarray(3, 30)]);
    expect(target[4]).toBe(0xee);
    expect(target[32]).toBe(0xee);
  });

  it('copies an ordinary Uint8Array too, and an empty source copies nothing', () => {
    const target = Buffer.alloc(8);
    expect(copyBytes(Uint8Array.of(1, 2, 3), target, 1)).toBe(3);
    expect(copyBytes(new Uint8Array(0), target, 8)).toBe(0);
    expect([...target]).toEqual([0, 1, 2, 3, 0, 0, 0, 0]);
  });

  it('refuses a copy that would run past the target instead of truncating it', () => {
    const target = Buffer.from(new SharedArrayBuffer(8));
    expect(() => copyBytes(Buffer.alloc(4, 1), target, 6)).toThrow(RangeError);
    expect([...target]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });
});
