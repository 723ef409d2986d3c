import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { ComponentGlob } from '../../core/file-index/glob.js';
import { NameIndex } from '../../core/file-index/name-index.js';
import { compilePattern } from '../../core/file-index/wildcard.js';

/** The regular expression the matcher replaced: right on small inputs, exponential on hostile ones. */
function reference(glob: string): RegExp {
  let source = '';
  for (const char of glob) {
    if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'su');
}

/** A small deterministic generator, so a failure names a reproducible case. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function word(next: () => number, alphabet: string[], max: number): string {
  const length = Math.floor(next() * (max + 1));
  return Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
}

/** One million base names in 1,000 directories, as a large session's index holds. */
function millionNames(): NameIndex {
  const dirs: string[] = [];
  const files: string[][] = [];
  for (let d = 0; d < 1000; d++) {
    dirs.push(`/srv/share/d${String(d).padStart(4, '0')}`);
    files.push(Array.from({ length: 1000 }, (_, f) => `report-${d}-${String(f).padStart(4, '0')}.pdf`));
  }
  return new NameIndex({ dirs, files });
}

function timeMatch(index: NameIndex, pattern: string): { ms: number; found: number } {
  const compiled = compilePattern(pattern);
  let found = 0;
  const started = performance.now();
  index.match(compiled, () => {
    found++;
    return true;
  });
  return { ms: performance.now() - started, found };
}

describe('glob matching without a regex', () => {
  it('agrees with the regular expression on 20,000 random patterns and names', () => {
    const next = random(17);
    for (let i = 0; i < 20_000; i++) {
      const glob = word(next, ['a', 'b', '*', '?', '.', 'é', '名'], 7);
      const name = word(next, ['a', 'b', '.', 'é', '名', '😀'], 8);
      const expected = reference(glob).test(name);
      expect(
        new ComponentGlob(glob).test(name),
        `glob ${JSON.stringify(glob)} on ${JSON.stringify(name)}`,
      ).toBe(expected);
    }
  });

  it('matches one code point with ? outside the Basic Multilingual Plane', () => {
    expect(new ComponentGlob('photo-?.jpg').test('photo-😀.jpg')).toBe(true);
    expect(new ComponentGlob('photo-??.jpg').test('photo-😀.jpg')).toBe(false);
    expect(new ComponentGlob('😀*').test('😀-x')).toBe(true);
  });

  it('answers a 1,024-character pattern of *? over a million names within the query budget', () => {
    const index = millionNames();
    const hostile = timeMatch(index, '*?'.repeat(512));
    expect(hostile.found).toBe(0);
    // The regex took longer than any test timeout on the first name; the route's budget is 10 s.
    expect(hostile.ms).toBeLessThan(2000);

    // The matcher's own worst case: many candidate offsets, each checked in full.
    const backtracking = timeMatch(index, `*${'?-'.repeat(8)}*.pdf`);
    expect(backtracking.found).toBe(0);
    expect(backtracking.ms).toBeLessThan(2000);

    const ordinary = timeMatch(index, '/srv/share/d09??/report-*-0999.pdf');
    expect(ordinary.found).toBe(100);
  });
});
