/** An API error as `code: message`, or nothing. */
import { errorText } from '../format.js';

export function ErrorLine(props: { error?: unknown }) {
  if (props.error === undefined) return null;
  return (
    <p className="error" role="alert">
      {errorText(props.error)}
    </p>
  );
}
