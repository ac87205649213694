/**
 * The process's HTTP server (node:http): `/healthz` (the process is up), `/readyz` (Postgres,
 * Redis and any registered check answer; 503 with the reasons otherwise) and `/metrics`
 * (Prometheus text format). Binds METRICS_HOST:METRICS_PORT; port 0 picks a free port (tests).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger';
import type { ReadinessChecks } from './readiness';

export interface HttpServerOptions {
  readonly registry: Registry;
  readonly readiness: ReadinessChecks;
  readonly logger: Logger;
  readonly host: string;
  readonly port: number;
}

export interface HttpServer {
  /** Starts listening; resolves with the bound address (the real port when 0 was asked). */
  listen(): Promise<AddressInfo>;
  /** `http://host:port` once listening. */
  readonly url: string | undefined;
  /** Stops accepting and closes open connections; idempotent. */
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { registry, readiness, logger } = options;
  let url: string | undefined;
  let closing: Promise<void> | undefined;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    }
    switch (path) {
      case '/healthz':
        return send(res, 200, 'application/json', `${JSON.stringify({ status: 'ok', pid: process.pid })}\n`);
      case '/readyz': {
        const report = await readiness.run();
        return send(res, report.ready ? 200 : 503, 'application/json', `${JSON.stringify(report)}\n`);
      }
      case '/metrics':
        return send(res, 200, registry.contentType, await registry.metrics());
      default:
        return send(res, 404, 'text/plain; charset=utf-8', 'not found: try /metrics, /healthz or /readyz\n');
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: (error as Error).message, path: req.url }, 'HTTP request failed');
      if (!res.headersSent)
        send(res, 500, 'text/plain; charset=utf-8', `error: ${(error as Error).message}\n`);
      else res.destroy();
    });
  });
  // Probes hold keep-alive connections; they must not keep the process alive at shutdown.
  server.keepAliveTimeout = 5_000;

  return {
    get url() {
      return url;
    },
    listen() {
      return new Promise<AddressInfo>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port, options.host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          url = `http://${host}:${address.port}`;
          logger.info({ url, host: address.address, port: address.port }, `HTTP server listening on ${url}`);
          resolve(address);
        });
      });
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
