// The SQS emulator (fauxqs) on its own thread for benchmarks, so enqueueing does not share
// the measured server's event loop (in AWS, SQS is someone else's machine).
import { parentPort } from 'node:worker_threads';
import { buildApp } from 'fauxqs';

const app = buildApp({ logger: false });
const endpoint = await app.listen({ port: 0, host: '127.0.0.1' });
parentPort!.postMessage({ endpoint });
parentPort!.on('message', () => void app.close().then(() => process.exit(0)));
