import pino, { type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger };

/** JSON logs on stdout (or the given stream); one child logger per job adds its context. */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'provdb-worker' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['password', '*.password', 'databaseUrl', 'redisUrl'], censor: '***' },
    },
    destination,
  );
}
