import { describe, expect, it } from 'vitest';
import { NameIndex } from '../../core/file-index/name-index.js';
import {
  buildNameIndex,
  CorruptNameIndexError,
  decodeNameIndex,
  encodeNameIndex,
} from '../../core/file-index/name-index-codec.js';
import { compilePattern } from '../../core/file-index/wildcard.js';

const FILES = [
  '/srv/share/report-2024.txt',
  '/srv/share/report-2025.txt',
  '/srv/share/report-25.txt',
  '/srv/share/Report-2025.TXT',
  '/srv/share/docs/a.doc',
  '/srv/share/docs/deep/b.doc',
  '/srv/share-old/report-2024.txt',
  '/srv/share/weird [1] (x).txt',
  '/srv/share/ünïcode-名前.txt',
  '/top.txt',
];

const index = new NameIndex(decodeNameIndex(encodeNameIndex(buildNameIndex(FILES, ['/srv/empty']))));

function matches(pattern: string): string[] {
  const found: string[] = [];
  index.match(compilePattern(pattern), (path) => {
    found.push(path);
    return true;
  });
  return found.sort();
}

describe('file-name index encoding', () => {
  it('round-trips every file path and keeps empty directories', () => {
    const data = decodeNameIndex(encodeNameIndex(buildNameIndex(FILES, ['/srv/empty'])));
    const paths = data.dirs.flatMap((dir, i) =>
      (data.files[i] ?? []).map((n) => (dir === '/' ? `/${n}` : `${dir}/${n}`)),
    );
    expect(paths.sort()).toEqual([...FILES].sort());
    expect(data.dirs).toContain('/srv/empty');
    expect(data.dirs).toEqual([...data.dirs].sort());
    expect(index.files).toBe(FILES.length);
  });

  it('is smaller than the paths it holds', () => {
    const many = Array.from({ length: 20_000 }, (_, i) => `/data/projects/p${i % 50}/files/file-${i}.bin`);
    const bytes = encodeNameIndex(buildNameIndex(many));
    expect(bytes.length).toBeLessThan(many.join('\n').length / 5);
  });

  it.each([
    ['a wrong header', (b: Buffer) => Buffer.concat([Buffer.from('XXXX'), b.subarray(4)]), /TMNI header/],
    ['a truncated body', (b: Buffer) => b.subarray(0, b.length - 10), /does not decompress/],
    [
      'an unknown version',
      (b: Buffer) => Buffer.concat([b.subarray(0, 4), Buffer.from([9]), b.subarray(5)]),
      /version 9/,
    ],
    [
      'a flipped checksum byte',
      (b: Buffer) => {
        const copy = Buffer.from(b);
        copy[12] = (copy[12] ?? 0) ^ 0xff;
        return copy;
      },
      /checksum/,
    ],
    [
      'a wrong count',
      (b: Buffer) => {
        const copy = Buffer.from(b);
        copy.writeUInt32BE(999, 5);
        return copy;
      },
      /header says 999/,
    ],
  ])('refuses %s with a clear error', (_, damage, message) => {
    const good = encodeNameIndex(buildNameIndex(FILES));
    let caught: unknown;
    try {
      decodeNameIndex(damage(good));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CorruptNameIndexError);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).toMatch(/^the file-name index is corrupt/);
  });

  it('refuses a body whose text does not hold the names its tables count', () => {
    // A NUL inside a name (which no path may hold) splits it in two: one string too many.
    const bytes = encodeNameIndex({ dirs: ['/'], files: [['a\0b']] });
    expect(() => decodeNameIndex(bytes)).toThrow(/holds 3 strings, not 1 directories and 1 names/);
  });

  it('refuses a relative path when building', () => {
    expect(() => buildNameIndex(['relative/x'])).toThrow(/not an absolute path/);
  });
});

describe('wildcard matching', () => {
  it('matches base names anywhere with * and ?', () => {
    expect(matches('report-20??.txt')).toEqual([
      '/srv/share-old/report-2024.txt',
      '/srv/share/report-2024.txt',
      '/srv/share/report-2025.txt',
    ]);
    expect(matches('*.doc')).toEqual(['/srv/share/docs/a.doc', '/srv/share/docs/deep/b.doc']);
    expect(matches('report-2?.txt')).toEqual(['/srv/share/report-25.txt']);
  });

  it('is case-sensitive and treats regex characters literally', () => {
    expect(matches('Report*')).toEqual(['/srv/share/Report-2025.TXT']);
    expect(matches('weird [1] (x).txt')).toEqual(['/srv/share/weird [1] (x).txt']);
    expect(matches('report.2024.txt')).toEqual([]);
  });

  it('matches one character with ? even outside ASCII', () => {
    expect(matches('ünïcode-??.txt')).toEqual(['/srv/share/ünïcode-名前.txt']);
  });

  it('matches absolute path patterns without * crossing a /', () => {
    expect(matches('/srv/*/report-2024.txt')).toEqual([
      '/srv/share-old/report-2024.txt',
      '/srv/share/report-2024.txt',
    ]);
    expect(matches('/srv/*/*.doc')).toEqual([]);
    expect(matches('/srv/share/*/*.doc')).toEqual(['/srv/share/docs/a.doc']);
    expect(matches('/top.txt')).toEqual(['/top.txt']);
  });

  it('stops when the caller has enough', () => {
    let seen = 0;
    index.match(compilePattern('*'), () => ++seen < 3);
    expect(seen).toBe(3);
  });

  it.each([
    ['', /must not be empty/],
    ['share/*.txt', /absolute path pattern/],
    ['/srv/', /file name pattern/],
    ['a\0b', /NUL/],
  ])('refuses the pattern %j naming the field', (pattern, message) => {
    expect(() => compilePattern(pattern)).toThrow(message);
    try {
      compilePattern(pattern);
    } catch (error) {
      expect(error).toMatchObject({ status: 400, field: 'pattern', code: 'BadRequest' });
    }
  });
});

describe('tree browsing', () => {
  it('lists the children of a directory, directories first', () => {
    expect(index.children('/srv/share')).toEqual([
      { name: 'docs', path: '/srv/share/docs', type: 'directory' },
      { name: 'Report-2025.TXT', path: '/srv/share/Report-2025.TXT', type: 'file' },
      { name: 'report-2024.txt', path: '/srv/share/report-2024.txt', type: 'file' },
      { name: 'report-2025.txt', path: '/srv/share/report-2025.txt', type: 'file' },
      { name: 'report-25.txt', path: '/srv/share/report-25.txt', type: 'file' },
      { name: 'weird [1] (x).txt', path: '/srv/share/weird [1] (x).txt', type: 'file' },
      { name: 'ünïcode-名前.txt', path: '/srv/share/ünïcode-名前.txt', type: 'file' },
    ]);
    expect(index.children('/srv')?.map((e) => e.name)).toEqual(['empty', 'share', 'share-old']);
    expect(index.children('/')?.map((e) => e.path)).toEqual(['/srv', '/top.txt']);
    expect(index.children('/srv/empty')).toEqual([]);
    expect(index.children('/srv/share/report-2024.txt')).toBeUndefined();
    expect(index.children('/nope')).toBeUndefined();
  });

  it('knows which paths it holds', () => {
    expect(index.has('/srv/share/docs/deep/b.doc')).toBe(true);
    expect(index.has('/srv/share/docs')).toBe(true);
    expect(index.has('/srv/share/docs/c.doc')).toBe(false);
  });
});
