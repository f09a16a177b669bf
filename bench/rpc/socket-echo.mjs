// Benchmark peer: the hand-written alternative a user might build — an add
// service over the child's stdin/stdout (net.Socket streams over a socket
// pair) with binary framing: requests of 8 bytes (two int32), replies of 4
// (their sum), reassembled from whatever chunks the stream delivers.

let pending = Buffer.alloc(0);
process.stdin.on('data', (chunk) => {
  pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
  const frames = Math.floor(pending.length / 8);
  if (frames === 0) return;
  const out = Buffer.allocUnsafe(4 * frames);
  for (let i = 0; i < frames; i++) out.writeInt32LE(pending.readInt32LE(8 * i) + pending.readInt32LE(8 * i + 4), 4 * i);
  pending = pending.subarray(8 * frames);
  process.stdout.write(out);
});
process.stdin.on('end', () => process.exit(0));
