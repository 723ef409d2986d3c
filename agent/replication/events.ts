/** Numbered replication events, as the console and the activity log show them. */
import type { EventSeverity } from '../scenario-runtime.js';

export const REPLICATION_EVENTS = {
  SR00100: { severity: 'info', text: 'Replication engine started the scenario' },
  SR00101: { severity: 'info', text: 'Replication engine stopped the scenario' },
  SR00104: { severity: 'info', text: 'Connected to the replica' },
  SR00105: { severity: 'info', text: 'Accepted the master connection' },
  SR00110: { severity: 'info', text: 'Synchronization started' },
  SR00111: { severity: 'info', text: 'Synchronization finished' },
  SR00120: { severity: 'info', text: 'Replication suspended' },
  SR00121: { severity: 'info', text: 'Replication resumed' },
  SR00130: { severity: 'warning', text: 'Lost connection to the peer' },
  SR00131: { severity: 'info', text: 'Caught up after reconnecting' },
  SR00140: {
    severity: 'error',
    text: 'Spool over its threshold: held changes dropped, resynchronization follows',
  },
  SR00141: {
    severity: 'error',
    text: 'Spool write failed (disk full or failing): changes refused, resynchronization follows',
  },
  SR00142: { severity: 'info', text: 'Spool writes succeed again' },
  SR00143: {
    severity: 'error',
    text: 'Replica could not apply a record (disk full or failing): the master resends it',
  },
  SR00150: { severity: 'info', text: 'Rewind point created' },
  SR00151: { severity: 'info', text: 'Replica rewound to a rewind point' },
  SR00152: { severity: 'warning', text: 'Rewind points fell off the undo journal' },
  SR00153: { severity: 'warning', text: 'An automatic rewind point could not be taken' },
  SR00180: { severity: 'error', text: 'The master is lost: nothing heard from it' },
  SR00181: { severity: 'info', text: 'The master is heard from again' },
  SR00160: { severity: 'error', text: 'Refused a peer or a record' },
  SR00170: { severity: 'error', text: 'Replication engine error' },
} as const satisfies Record<string, { severity: EventSeverity; text: string }>;

export type ReplicationEventId = keyof typeof REPLICATION_EVENTS;
