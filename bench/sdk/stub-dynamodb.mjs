// A stand-in for DynamoDB that answers every request at once with `{}`, in a process of its own,
// so that a bench counts only what the client side of one request costs. Stops when its parent
// closes stdin.
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'stub' });
    res.end('{}');
  });
});
// Connections idle between the bench's windows stay open, as DynamoDB's do.
server.keepAliveTimeout = 120_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
