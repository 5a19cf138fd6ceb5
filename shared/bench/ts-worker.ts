// Starts a TypeScript module on a worker thread under tsx (its loader hooks are per thread,
// so a small bootstrap registers them in the worker before importing the module).
import { Worker } from 'node:worker_threads';

/**
 * @example const worker = startTsWorker(new URL('./load-worker.ts', import.meta.url), data);
 */
export function startTsWorker(entry: URL, workerData: unknown): Worker {
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/** Runs a worker that posts one message and resolves with it. */
export function runTsWorker<T>(entry: URL, workerData: unknown): Promise<T> {
  const worker = startTsWorker(entry, workerData);
  return new Promise<T>((resolve, reject) => {
    worker.once('message', (m: T) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}
