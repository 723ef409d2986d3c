/** The console's pure parts: the token hand-over, view addresses, formatting and the restore job body. */
import { describe, expect, it } from 'vitest';
import { SubmitJobRequest } from '../../core/job.js';
import { takeTokenFromFragment, tokenProblem, tokenStore } from '../../web/src/auth/token.js';
import {
  childOutcomeText,
  formatAge,
  formatBytes,
  formatPaths,
  formatTime,
  jobStatusText,
  parentPath,
} from '../../web/src/format.js';
import { restoreJobRequest } from '../../web/src/restore-request.js';
import { hashOf, parseView } from '../../web/src/route.js';

const TOKEN = `tmo_${'a'.repeat(43)}`;

describe('token hand-over', () => {
  it('takes the token out of the fragment and keeps the rest', () => {
    expect(takeTokenFromFragment(`#token=${TOKEN}`)).toEqual({ token: TOKEN, hash: '' });
    expect(takeTokenFromFragment(`#token=${TOKEN}&/jobs`)).toEqual({ token: TOKEN, hash: '#/jobs' });
    expect(takeTokenFromFragment(`#/jobs&token=${TOKEN}`)).toEqual({ token: TOKEN, hash: '#/jobs' });
    expect(takeTokenFromFragment('#/hosts')).toEqual({ hash: '#/hosts' });
    expect(takeTokenFromFragment('#token=')).toEqual({ token: undefined, hash: '' });
  });

  it('refuses agent credentials and things that are not tokens', () => {
    expect(tokenProblem(TOKEN)).toBeUndefined();
    expect(tokenProblem(`tma_${'a'.repeat(43)}`)).toMatch(/agent credential/);
    expect(tokenProblem('hunter2')).toMatch(/tmo_/);
  });

  it('keeps the token in the given storage and forgets it', () => {
    const map = new Map<string, string>();
    const store = tokenStore({
      getItem: (key) => map.get(key) ?? null,
      setItem: (key, value) => void map.set(key, value),
      removeItem: (key) => void map.delete(key),
    });
    expect(store.get()).toBeUndefined();
    store.set(TOKEN);
    expect(store.get()).toBe(TOKEN);
    store.clear();
    expect(store.get()).toBeUndefined();
    expect(map.size).toBe(0);
  });
});

describe('view addresses', () => {
  it('round-trips every view through the fragment', () => {
    for (const view of [
      { name: 'hosts' },
      { name: 'scenarios' },
      { name: 'events', scenarioId: 's-1 a/b' },
      { name: 'jobs' },
      { name: 'activity', jobId: 'j-42' },
      { name: 'sessions' },
      { name: 'restore' },
    ] as const) {
      expect(parseView(hashOf(view))).toEqual(view);
    }
  });

  it('falls back to scenarios for an empty or unknown fragment', () => {
    expect(parseView('')).toEqual({ name: 'scenarios' });
    expect(parseView('#/nope')).toEqual({ name: 'scenarios' });
    expect(parseView('#/jobs/%E0%A4%A')).toEqual({ name: 'activity', jobId: '%E0%A4%A' });
  });
});

describe('formatting', () => {
  it('writes sizes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(250 * 1024 ** 3)).toBe('250.0 GiB');
    expect(formatBytes(-1)).toBe('—');
  });

  it('writes ages and times', () => {
    const now = Date.parse('2026-05-01T12:00:00Z');
    expect(formatAge(undefined, now)).toBe('never');
    expect(formatAge('2026-05-01T11:59:18Z', now)).toBe('42 s ago');
    expect(formatAge('2026-05-01T11:55:00Z', now)).toBe('5 min ago');
    expect(formatAge('2026-05-01T09:00:00Z', now)).toBe('3 h ago');
    expect(formatAge('2026-04-29T12:00:00Z', now)).toBe('2 d ago');
    expect(formatTime('2026-05-01T12:03:04.123Z')).toBe('2026-05-01 12:03:04 UTC');
    expect(formatTime('garbage')).toBe('—');
  });

  it('writes job outcomes with catalogue codes', () => {
    expect(jobStatusText({ status: 'active' })).toBe('active');
    expect(jobStatusText({ status: 'done', result: 'failed' })).toBe('done (failed)');
    expect(
      childOutcomeText({
        scenarioId: 's-1',
        scenarioName: 'web',
        status: 'done',
        result: 'failed',
        error: { code: 'AE0465', message: 'scenario web is not replicating' },
      }),
    ).toBe('web: done failed — AE0465: scenario web is not replicating');
  });

  it('shortens path lists and finds parents', () => {
    expect(formatPaths(['/a', '/b'])).toBe('/a, /b');
    expect(formatPaths(['/a', '/b', '/c', '/d', '/e'])).toBe('/a, /b, /c and 2 more');
    expect(parentPath('/srv/share/docs')).toBe('/srv/share');
    expect(parentPath('/srv')).toBe('/');
    expect(parentPath('/')).toBe('/');
  });
});

describe('restore job body', () => {
  const placement = {
    to: 'alternate' as const,
    destination: ' /restore/here ',
    host: '',
    tier: 'standard' as const,
    continueRestoreIfCannotStop: true,
  };

  it('by tree to an alternate folder: paths, destination, the master as host (absent)', () => {
    const body = restoreJobRequest(
      { scenario: 's-1', sessionId: '7', paths: ['/srv/a'], label: '' },
      placement,
    );
    expect(body).toEqual({
      kind: 'restore',
      scenarios: ['s-1'],
      restore: {
        sessionId: '7',
        to: 'alternate',
        destination: '/restore/here',
        paths: ['/srv/a'],
        tier: 'standard',
      },
    });
    expect(SubmitJobRequest.safeParse(body).success).toBe(true);
  });

  it('by query to the original location: pattern, no destination, continue only when asked', () => {
    const body = restoreJobRequest(
      { scenario: 'web', sessionId: '9', pattern: '*.docx', label: '' },
      { ...placement, to: 'original', host: 'elsewhere' },
    );
    expect(body.kind === 'restore' && body.restore).toEqual({
      sessionId: '9',
      to: 'original',
      pattern: '*.docx',
      tier: 'standard',
      continueRestoreIfCannotStop: true,
    });
    expect(SubmitJobRequest.safeParse(body).success).toBe(true);
  });

  it('an alternate restore without a folder is left for the API to refuse, naming the field', () => {
    const body = restoreJobRequest(
      { scenario: 'web', sessionId: '9', label: '' },
      { ...placement, destination: '' },
    );
    const parsed = SubmitJobRequest.safeParse(body);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['restore', 'destination']);
  });
});
