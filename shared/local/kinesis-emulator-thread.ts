// Starts the Kinesis emulator (kinesalite behind the HTTP/1.1 + HTTP/2 front) on a worker
// thread, so it gets a core of its own instead of sharing the stack's main thread.
import { Worker } from 'node:worker_threads';
import { PipelineError } from '../errors.js';
import type { KinesisEmulatorOptions } from './kinesis-emulator.js';

/** A running emulator thread. */
export interface KinesisEmulatorThread {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * @example const kinesis = await startKinesisEmulatorThread({ host: '127.0.0.1', port: 4567 });
 */
export async function startKinesisEmulatorThread(options: KinesisEmulatorOptions): Promise<KinesisEmulatorThread> {
  // The worker module is TypeScript like the rest of the dev tooling; tsx's loader hooks are
  // per thread, so a small bootstrap registers them in the worker before importing it.
  const entry = new URL('./kinesis-emulator-worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
  const worker = new Worker(bootstrap, { eval: true, workerData: options });
  const ready = await new Promise<{ endpoint: string; port: number }>((resolve, reject) => {
    worker.once('message', (m: { type: string; endpoint: string; port: number; message: string }) => {
      if (m.type === 'ready') resolve(m);
      else reject(new PipelineError(m.message));
    });
    worker.once('error', reject);
  });
  return {
    ...ready,
    async stop() {
      const stopped = new Promise<void>((resolve) => worker.once('message', () => resolve()));
      worker.postMessage({ type: 'stop' });
      await Promise.race([stopped, new Promise((r) => setTimeout(r, 3000))]);
      await worker.terminate();
    },
  };
}
