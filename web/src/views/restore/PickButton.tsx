/** A small button that hands one restore choice to the restore form. */
import type { RestorePick } from './RestorePick.js';

export function PickButton(props: { label: string; pick: RestorePick; onPick(pick: RestorePick): void }) {
  return (
    <button type="button" className="small" onClick={() => props.onPick(props.pick)}>
      {props.label}
    </button>
  );
}
