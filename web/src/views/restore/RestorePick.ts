/** What the operator chose to restore in one of the restore views, handed to the restore form. */
export interface RestorePick {
  scenario: string;
  sessionId: string;
  /** By tree: the master paths to restore. */
  paths?: string[];
  /** By query: the file-name pattern. */
  pattern?: string;
  /** What the pick says, for the form's heading. */
  label: string;
}
