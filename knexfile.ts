// For tools that expect a knexfile (e.g. `node --import tsx node_modules/knex/bin/cli.js`).
// The project's own CLI (`provdb-worker migrate`) is the supported way to migrate.
import type { Knex } from 'knex';
import { loadConfig } from './src/config';
import { migrationConfig } from './src/db/migrator';

const config: Knex.Config = {
  client: 'pg',
  connection: { connectionString: loadConfig().databaseUrl, options: '-c TimeZone=UTC' },
  migrations: migrationConfig,
};

export default config;
