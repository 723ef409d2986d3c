import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, isCatalogueCode, renderError, TidemarkError } from '../../core/error-catalogue.js';

describe('error catalogue', () => {
  it('has every code of the architecture, and the codes added to it, with template, reason and action', () => {
    const expected = ['E3370', 'E3371', 'AE0457', 'AE0458', 'AE0459', 'AE0460', 'AE0461', 'AE0463', 'AE0464'];
    expected.push('AE0465', 'AE0467', 'AE0468', 'AE0469', 'AE0470', 'AE0471', 'AE0472');
    // Not in the architecture's table: a full file system on a restore target or local repository (docs/agent.md).
    expected.push('AE0473');
    // Nor this: the agent stopped (killed, crashed) before a command finished (docs/agent.md).
    expected.push('AE0474');
    // Nor this: a rewind to a point the replica's undo journal does not hold (docs/api.md, data rewind).
    expected.push('AE0475');
    expect(Object.keys(ERROR_CATALOGUE).sort()).toEqual(expected.sort());
    for (const entry of Object.values(ERROR_CATALOGUE)) {
      expect(entry.template.length).toBeGreaterThan(10);
      expect(entry.reason.length).toBeGreaterThan(10);
      expect(entry.action.length).toBeGreaterThan(10);
    }
  });

  it('fills the template and marks AE0461 as a warning', () => {
    const rendered = renderError('AE0465', { scenario: 'files', scenarioId: 's-1', state: 'stopped' });
    expect(rendered.message).toBe(
      'Scenario files (s-1) is not replicating (state stopped); the backup cannot start.',
    );
    expect(rendered.severity).toBe('error');
    expect(renderError('AE0461').severity).toBe('warning');
  });

  it('renders a missing parameter as ? instead of failing', () => {
    expect(renderError('AE0470', { scenario: 'db' }).message).toBe(
      'Scenario db (?) is already held by job ?.',
    );
  });

  it('makes errors named by their code, so Step Functions can catch them by name', () => {
    const error = TidemarkError.fromCatalogue('AE0467', { host: 'h-1' });
    expect(error.name).toBe('AE0467');
    expect(error.status).toBe(409);
    expect(isCatalogueCode('AE0467')).toBe(true);
    expect(isCatalogueCode('Conflict')).toBe(false);
  });
});
