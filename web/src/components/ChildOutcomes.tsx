/** Each scenario's outcome inside a job, errors with their catalogue code. */
import type { Job } from '../api/types.js';
import { childOutcomeText } from '../format.js';

export function ChildOutcomes(props: { job: Job }) {
  return (
    <ul className="plain">
      {props.job.scenarios.map((child) => (
        <li key={child.scenarioId} className={child.error ? 'error' : undefined}>
          {childOutcomeText(child)}
        </li>
      ))}
    </ul>
  );
}
