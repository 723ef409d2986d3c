/** The agent log: JSON lines, level filter, and credentials masked even if one slips into a message. */
import { expect, it } from 'vitest';
import { createLogger } from '../../../agent/daemon/logger.js';

it('writes JSON lines at or above its level and masks agent and operator credentials', () => {
  const lines: string[] = [];
  const log = createLogger('info', (line) => lines.push(line));
  const agent = `tma_${'a'.repeat(43)}`;
  const operator = `tmo_${'B'.repeat(43)}`;
  log.debug('hidden');
  log.warn(`bad answer for ${agent}`, { header: `Bearer ${operator}`, scenarioId: 's-1' });
  expect(lines).toHaveLength(1);
  const entry = JSON.parse(lines[0] as string);
  expect(entry).toMatchObject({
    level: 'warn',
    message: 'bad answer for [redacted]',
    header: 'Bearer [redacted]',
    scenarioId: 's-1',
  });
  expect(lines[0]).not.toContain(agent.slice(4));
});
