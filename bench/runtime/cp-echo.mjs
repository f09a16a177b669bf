// Benchmark peer: a child_process (fork) that echoes every IPC message; the
// peer a user would pick instead of tsmig for Node↔child messages.
process.on('message', (message) => process.send(message));
