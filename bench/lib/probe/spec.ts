/** What a probe (./child.ts) runs, and what it answers. */
import type { AwsService } from '../../../test/kit/call-counter';

export type ProbeCase = { kind: 'rebuild' } | { kind: 'schedule' } | { kind: 'rotation'; secretArn: string; inventory: 'index' | 'scan' };

export interface ProbeSpec {
  case: ProbeCase;
  /** The function's environment (AWS_ENDPOINT_URL, AWS_REGION, STATE_TABLE, EVENT_BUS_NAME, ...). */
  env: Record<string, string>;
  account: string;
}

export type ProbeResult =
  | { kind: 'rebuild'; services: number; taskDefinitions: number; secrets: number; unresolved: string[] }
  | {
      kind: 'schedule';
      secrets: number;
      outcomes: Record<string, number>;
      drift: Array<{ secret: string; services: string[] }>;
      errors: Array<{ secret: string; error: string }>;
    }
  | { kind: 'rotation'; redeployed: string[]; failed: string[] };

export interface ProbeOutput {
  counts: Array<[string, number]>;
  services: Array<[string, AwsService]>;
  wallMs: number;
  /** CPU time the handler's process spent on the case (user + system): its own work, without moto's. */
  cpuMs: number;
  /** The process's peak resident set (getrusage), its resident set before the case, and the peak V8 heap in use (sampled every 5 ms). */
  peakRssBytes: number;
  startRssBytes: number;
  peakHeapUsedBytes: number;
  result: ProbeResult;
}
