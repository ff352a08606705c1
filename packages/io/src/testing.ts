// Local servers for tests of the bounded readers (here and in the packages that use them).
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';

/** A local server for tests, on 127.0.0.1 and a free port. */
export interface TestServer {
  /** 'http://127.0.0.1:<port>' */
  readonly origin: string;
  /** Requests received, as 'METHOD /path'. */
  readonly requests: string[];
  close(): Promise<void>;
}

async function listen(server: Server, sockets: Set<Socket>, requests: string[]): Promise<TestServer> {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An HTTP server answering with `handle`; the sockets are destroyed on close, also those kept waiting. */
export function httpServer(handle: (request: IncomingMessage, response: ServerResponse) => void): Promise<TestServer> {
  const requests: string[] = [];
  const server = createHttpServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    handle(request, response);
  });
  return listen(server, new Set(), requests);
}

/** A TCP server that accepts connections and never says a word. */
export function silentServer(): Promise<TestServer> {
  return listen(
    createTcpServer(() => undefined),
    new Set(),
    [],
  );
}

/** An HTTP server of fixed files by path (404 for others); `files` may change while it runs. */
export function staticServer(files: ReadonlyMap<string, Uint8Array | string>): Promise<TestServer> {
  return httpServer((request, response) => {
    const body = files.get(new URL(request.url ?? '/', 'http://x').pathname);
    if (body === undefined) {
      response.writeHead(404).end();
      return;
    }
    const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) }).end(bytes);
  });
}
