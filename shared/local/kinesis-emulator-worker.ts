// Runs the Kinesis emulator on its own thread: kinesalite is CPU-heavy JavaScript, and on the
// stack's main thread it competed with the event source mappings for one core.
import { parentPort, workerData } from 'node:worker_threads';
import { startKinesisEmulator, type KinesisEmulatorOptions } from './kinesis-emulator.js';

const emulator = await startKinesisEmulator(workerData as KinesisEmulatorOptions).catch((error: unknown) => {
  parentPort!.postMessage({ type: 'error', message: (error as Error).message, name: (error as Error).name });
  return undefined;
});
if (emulator) {
  parentPort!.postMessage({ type: 'ready', endpoint: emulator.endpoint, port: emulator.port });
  parentPort!.on('message', (message: { type: string }) => {
    if (message.type === 'stop') void emulator.stop().then(() => parentPort!.postMessage({ type: 'stopped' }));
  });
}
