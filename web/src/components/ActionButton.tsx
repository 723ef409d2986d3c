/** A button that calls the API once (run, stop, hold, cancel…) and shows the API's error beside it when it fails. */
import { errorText } from '../format.js';
import { useSubmit } from '../use-submit.js';

export function ActionButton(props: {
  label: string;
  action(): Promise<unknown>;
  onDone(): void;
  confirm?: string;
}) {
  const { busy, error, run } = useSubmit();
  const click = async () => {
    if (props.confirm && !window.confirm(props.confirm)) return;
    if (await run(props.action)) props.onDone();
  };
  return (
    <span className="action">
      <button type="button" disabled={busy} onClick={click}>
        {props.label}
      </button>
      {error !== undefined && <span className="error">{errorText(error)}</span>}
    </span>
  );
}
