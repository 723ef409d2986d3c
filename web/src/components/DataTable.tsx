/** A table with a header row; the rows are the caller's. */
import type { ReactNode } from 'react';

export function DataTable(props: { head: readonly string[]; children: ReactNode }) {
  return (
    <table>
      <thead>
        <tr>
          {props.head.map((title, index) => (
            // Column titles may be blank (action columns); their position is their identity.
            // biome-ignore lint/suspicious/noArrayIndexKey: see above
            <th key={index}>{title}</th>
          ))}
        </tr>
      </thead>
      <tbody>{props.children}</tbody>
    </table>
  );
}
