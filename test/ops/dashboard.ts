/** The Grafana dashboard file, read with the parts the tests look at. */
import { z } from 'zod';
import { readText } from './files';

export const DASHBOARD_FILE = 'grafana/provdb-worker.dashboard.json';

/** How every panel names its data source: Grafana's `datasource` variable. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
export const DATASOURCE_VARIABLE = '${datasource}';

const DataSourceRef = z.object({ type: z.string(), uid: z.string() });

const Target = z.object({ refId: z.string(), expr: z.string(), datasource: DataSourceRef.optional() });

const Panel = z.object({
  id: z.number(),
  type: z.string(),
  title: z.string(),
  gridPos: z.object({ h: z.number(), w: z.number(), x: z.number(), y: z.number() }),
  datasource: DataSourceRef.optional(),
  targets: z.array(Target).optional(),
  panels: z.array(z.unknown()).optional(),
});

const Variable = z.object({
  name: z.string(),
  type: z.string(),
  query: z.union([z.string(), z.object({ query: z.string() })]).optional(),
  datasource: DataSourceRef.optional(),
});

const Dashboard = z.object({
  uid: z.string(),
  title: z.string(),
  panels: z.array(Panel),
  templating: z.object({ list: z.array(Variable) }),
});

export type Dashboard = z.infer<typeof Dashboard>;
export type Panel = z.infer<typeof Panel>;

export function readDashboard(): Dashboard {
  const raw: unknown = JSON.parse(readText(DASHBOARD_FILE));
  const result = Dashboard.safeParse(raw);
  if (!result.success) throw new Error(`${DASHBOARD_FILE} has an unexpected shape: ${result.error.message}`);
  return result.data;
}

export interface DashboardQuery {
  /** Where the query is, for messages: a panel title or a variable name. */
  where: string;
  expr: string;
}

/** Every PromQL expression of the dashboard: panel targets and query variables. */
export function dashboardQueries(dashboard: Dashboard): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) {
      queries.push({ where: `panel "${panel.title}" ${target.refId}`, expr: target.expr });
    }
  }
  for (const variable of dashboard.templating.list) {
    if (variable.type !== 'query' || variable.query === undefined) continue;
    const query = typeof variable.query === 'string' ? variable.query : variable.query.query;
    // label_values(<selector>, <label>): the selector is the PromQL part.
    const match = /^label_values\((.*),\s*(\w+)\)$/.exec(query);
    queries.push({ where: `variable ${variable.name}`, expr: match ? match[1]! : query });
  }
  return queries;
}

/** Values for Grafana's variables that make the queries plain PromQL, for promtool. */
export const VARIABLE_VALUES: Readonly<Record<string, string>> = {
  job: 'provdb-worker',
  instance: '.*',
  window: '7d',
  __rate_interval: '1m',
  __interval: '15s',
  __range: '6h',
};
