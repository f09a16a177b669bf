// Benchmark peer: a worker thread that echoes every message it is posted.
import { parentPort } from 'node:worker_threads';
parentPort.on('message', (message) => parentPort.postMessage(message));
