/**
 * The console's views, addressed by the URL fragment (`#/jobs/j-1`) so a
 * reload or a shared link lands on the same view. Pure.
 */
export type View =
  | { name: 'hosts' }
  | { name: 'scenarios' }
  | { name: 'events'; scenarioId: string }
  | { name: 'rewind'; scenarioId: string }
  | { name: 'jobs' }
  | { name: 'activity'; jobId: string }
  | { name: 'sessions' }
  | { name: 'restore' };

export const NAV: ReadonlyArray<{ name: View['name']; label: string }> = [
  { name: 'hosts', label: 'Hosts' },
  { name: 'scenarios', label: 'Scenarios' },
  { name: 'jobs', label: 'Jobs' },
  { name: 'sessions', label: 'Sessions' },
  { name: 'restore', label: 'Restore' },
];

export function parseView(hash: string): View {
  const parts = hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter(Boolean)
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    });
  const [head, id, tail] = parts;
  if (head === 'scenarios' && id && tail === 'events') return { name: 'events', scenarioId: id };
  if (head === 'scenarios' && id && tail === 'rewind') return { name: 'rewind', scenarioId: id };
  if (head === 'jobs' && id) return { name: 'activity', jobId: id };
  if (
    head === 'hosts' ||
    head === 'scenarios' ||
    head === 'jobs' ||
    head === 'sessions' ||
    head === 'restore'
  ) {
    return { name: head };
  }
  return { name: 'scenarios' };
}

export function hashOf(view: View): string {
  switch (view.name) {
    case 'events':
      return `#/scenarios/${encodeURIComponent(view.scenarioId)}/events`;
    case 'rewind':
      return `#/scenarios/${encodeURIComponent(view.scenarioId)}/rewind`;
    case 'activity':
      return `#/jobs/${encodeURIComponent(view.jobId)}`;
    default:
      return `#/${view.name}`;
  }
}
