/** Progress of a full scan, for a terminal display. */
export interface ScanProgress {
  clusters: number;
  clustersDone: number;
  services: number;
  taskDefinitions: number;
}

/**
 * How far a long use case has come, for a progress display. Use cases report through an optional
 * callback and never know how it is shown: a live line on a terminal, JSON lines, or nothing.
 */
export type Progress = ({ phase: 'scan' } & ScanProgress) | { phase: 'redeploy' | 'describe' | 'reconcile'; done: number; total: number };

export type OnProgress = (progress: Progress) => void;
