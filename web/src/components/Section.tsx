/** A view's frame: title, refresh note, the latest error, and a note when only the first page is shown. */
import type { ReactNode } from 'react';
import { ErrorLine } from './ErrorLine.js';

export function Section(props: {
  title: string;
  error?: unknown;
  loading?: boolean;
  more?: boolean;
  actions?: ReactNode;
  children: ReactNode;
}) {
  return (
    <section>
      <header className="section-head">
        <h2>{props.title}</h2>
        {props.loading && <span className="muted">loading…</span>}
        {props.actions}
      </header>
      <ErrorLine error={props.error} />
      {props.children}
      {props.more && <p className="muted">Showing the first page only.</p>}
    </section>
  );
}
