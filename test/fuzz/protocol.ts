/** Messages between the fuzz harness and its worker thread. */
import type { ReaderId } from './seeds.ts';

export interface CaseJob {
  id: number;
  reader: ReaderId;
  /** The mutated file, written by the harness. */
  input: string;
  /** An empty folder for anything the entry point writes; it must be empty again afterwards. */
  outDir: string;
}

export type WorkerReply =
  | { id: number; outcome: 'ok'; summary: string; ms: number }
  | { id: number; outcome: 'bad-result'; message: string; ms: number }
  | { id: number; outcome: 'threw'; isError: boolean; errorName: string; message: string; length: number; ms: number };
