/**
 * The base of every model. Objection is in maintenance mode, so its use stays thin: table
 * names, row types and relations, queried with an explicit knex or transaction
 * (`Model.query(trx)`, `$relatedQuery(name, trx)`); no model is ever bound to a global knex.
 * Property names are the column names, camelCase legacy columns (`deviceType`, `Out_Port`)
 * included, so what a query returns is what the database holds.
 */
import { Model, type Pojo } from 'objection';

/** A value of a `json` column, as Postgres returns it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export abstract class BaseModel extends Model {
  /**
   * pg already parses `json` columns. Objection would parse string values a second time, turning
   * a stored JSON string such as `"42"` into the number 42; return rows exactly as pg read them.
   * Writes still go through `jsonAttributes` (declared per model), which stringifies them.
   */
  override $parseDatabaseJson(json: Pojo): Pojo {
    return json;
  }
}
