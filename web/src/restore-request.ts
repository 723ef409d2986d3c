/** The POST /jobs body of a restore the operator picked and placed. Pure: the unit tests cover it. */
import type { SubmitJobRequest } from '../../core/job.js';
import type { RestorePick } from './views/restore/RestorePick.js';

export interface RestorePlacement {
  to: 'alternate' | 'original' | 'replica';
  /** Alternate location only: the folder on the destination host. */
  destination: string;
  /** Alternate location only: the destination host; the master when blank. */
  host: string;
  tier: 'expedited' | 'standard' | 'bulk';
  continueRestoreIfCannotStop: boolean;
}

export function restoreJobRequest(pick: RestorePick, placement: RestorePlacement): SubmitJobRequest {
  const alternate = placement.to === 'alternate';
  const host = placement.host.trim();
  const destination = placement.destination.trim();
  return {
    kind: 'restore',
    scenarios: [pick.scenario],
    restore: {
      sessionId: pick.sessionId,
      to: placement.to,
      ...(alternate && destination ? { destination } : {}),
      ...(alternate && host ? { host } : {}),
      ...(pick.paths ? { paths: pick.paths } : {}),
      ...(pick.pattern ? { pattern: pick.pattern } : {}),
      tier: placement.tier,
      ...(placement.to === 'original' && placement.continueRestoreIfCannotStop
        ? { continueRestoreIfCannotStop: true }
        : {}),
    },
  };
}
