/**
 * The fuzz worker thread: runs one case at a time (entries.ts) and answers with what happened.
 * A worker, not the test's own thread, so that a case that loops or allocates without end can be
 * stopped (Worker.terminate) and the run goes on with a fresh one.
 */
import { parentPort } from 'node:worker_threads';
import { ResultError, runEntry } from './entries.ts';
import { fullGc } from './gc.ts';
import type { CaseJob, WorkerReply } from './protocol.ts';

/** What was thrown, without stringifying a hostile object and without shipping a 30 MB message. */
function thrown(e: unknown): Omit<Extract<WorkerReply, { outcome: 'threw' }>, 'id' | 'ms'> {
  const isError = e instanceof Error;
  const text = isError ? e.message : typeof e === 'string' ? e : `a thrown ${typeof e}`;
  return { outcome: 'threw', isError, errorName: isError ? e.name : typeof e, message: text.slice(0, 4000), length: text.length };
}

const port = parentPort!;
port.on('message', async (job: CaseJob | { type: 'gc' }) => {
  if ('type' in job) {
    fullGc();
    const m = process.memoryUsage(); // heapUsed and external: this worker's isolate
    port.postMessage({ type: 'gc-done', held: m.heapUsed + m.external });
    return;
  }
  const t0 = performance.now();
  let reply: WorkerReply;
  try {
    const summary = await runEntry(job.reader, job.input, job.outDir);
    reply = { id: job.id, outcome: 'ok', summary, ms: performance.now() - t0 };
  } catch (e) {
    reply = e instanceof ResultError
      ? { id: job.id, outcome: 'bad-result', message: e.message.slice(0, 4000), ms: performance.now() - t0 }
      : { id: job.id, ms: performance.now() - t0, ...thrown(e) };
  }
  port.postMessage(reply);
});
port.postMessage({ type: 'ready' });
