// The suite's server pool, run by the global setup in vitest's main process: a small HTTP endpoint on
// 127.0.0.1 that hands each worker its server for a major, starting it on the first request. Servers
// are started from the cached data directory (no initdb per server) and stopped once, at the end.
import { createServer, type Server as HttpServer } from 'node:http';
import { addressOf, SUPPORTED_MAJORS, startServer, type Major, type Server } from '../../src/harness/server.js';

export interface ServerPool {
  url: string;
  /** How many servers were started. */
  started(): number;
  close(): Promise<void>;
}

export async function startServerPool(): Promise<ServerPool> {
  const servers = new Map<string, Promise<Server>>();
  const http: HttpServer = createServer((req, res) => {
    const params = new URL(req.url ?? '/', 'http://pool').searchParams;
    const major = Number(params.get('major')) as Major;
    const worker = params.get('worker') ?? '1';
    if (!SUPPORTED_MAJORS.includes(major) || !/^\d+$/.test(worker)) {
      res.writeHead(400).end(`no such major or worker: ${req.url}`);
      return;
    }
    const key = `${worker}/${major}`;
    if (!servers.has(key)) servers.set(key, startServer(major));
    servers.get(key)!.then(
      (s) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(addressOf(s))),
      (e: Error) => res.writeHead(500).end(e.stack ?? String(e)),
    );
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/server`,
    started: () => servers.size,
    async close() {
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await Promise.all([...servers.values()].map((p) => p.then((s) => s.stop(), () => {})));
    },
  };
}
