/**
 * The rule set in use by a running worker, with hot reload.
 *
 * The store watches the rules folder (fs.watch, debounced: an editor's save is several events)
 * and offers `reload()` for SIGHUP. A valid new version replaces the whole snapshot at once (one
 * assignment: an evaluation holds the snapshot it started with); an invalid one keeps the last
 * good set, logs every problem, and emits `reloadFailed`. The first load must succeed: a worker
 * does not start without valid rules.
 *
 * Events: `reloaded` after every successful reload (also when nothing changed), `reloadFailed`
 * after a failed one. The metrics in ../metrics/rules.ts hang off them.
 */
import { EventEmitter } from 'node:events';
import { type FSWatcher, watch } from 'node:fs';
import type { Logger } from '../logger';
import { formatRuleFileError, type RuleFileError } from './errors';
import { loadRuleSet } from './load';
import type { RuleSetSnapshot } from './snapshot';

export interface ReloadSuccess {
  readonly revision: string;
  readonly previousRevision: string;
  /** False when the files' content was unchanged (nothing swapped). */
  readonly changed: boolean;
  readonly reason: string;
  readonly at: Date;
}

export interface ReloadFailure {
  readonly errors: readonly RuleFileError[];
  /** The revision still in use. */
  readonly keptRevision: string;
  readonly reason: string;
  readonly at: Date;
}

export type ReloadResult = ({ ok: true } & ReloadSuccess) | ({ ok: false } & ReloadFailure);

type StoreEvents = { reloaded: [ReloadSuccess]; reloadFailed: [ReloadFailure] };

export interface RuleSetStoreOptions {
  readonly dir: string;
  readonly logger?: Logger;
  /** Watch the folder for changes (default true). */
  readonly watch?: boolean;
  /** Quiet time after the last change before reloading, in milliseconds (default 250). */
  readonly debounceMs?: number;
}

/** The rules folder is invalid at start-up; `errors` lists every problem. */
export class RuleSetInvalidError extends Error {
  override readonly name = 'RuleSetInvalidError';
  constructor(
    readonly dir: string,
    readonly errors: readonly RuleFileError[],
  ) {
    super(`the rules in ${dir} are invalid:\n${errors.map((e) => `  ${formatRuleFileError(e)}`).join('\n')}`);
  }
}

export class RuleSetStore extends EventEmitter<StoreEvents> {
  private snapshot: RuleSetSnapshot;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private queued: Promise<ReloadResult> | undefined;
  private closed = false;

  private constructor(
    private readonly options: RuleSetStoreOptions,
    initial: RuleSetSnapshot,
  ) {
    super();
    this.snapshot = initial;
  }

  /** Loads the folder (throws RuleSetInvalidError when invalid) and starts watching it. */
  static async open(options: RuleSetStoreOptions): Promise<RuleSetStore> {
    const loaded = await loadRuleSet(options.dir);
    if (!loaded.ok) throw new RuleSetInvalidError(options.dir, loaded.errors);
    const store = new RuleSetStore(options, loaded.snapshot);
    options.logger?.info({ rulesDir: options.dir, revision: loaded.snapshot.revision }, 'rules loaded');
    if (options.watch ?? true) store.startWatching();
    return store;
  }

  /** The snapshot in use. Hold on to it for the whole of one evaluation. */
  current(): RuleSetSnapshot {
    return this.snapshot;
  }

  get revision(): string {
    return this.snapshot.revision;
  }

  /**
   * Reads the folder again. Reloads never overlap: a call while one runs queues one more (and
   * further calls share that queued one).
   */
  reload(reason = 'requested'): Promise<ReloadResult> {
    if (this.queued) return this.queued;
    const next = this.running.then(() => {
      this.queued = undefined;
      return this.reloadNow(reason);
    });
    this.queued = next;
    this.running = next.catch(() => undefined);
    return next;
  }

  /** Stops watching and waits for a reload in progress. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.watcher?.close();
    this.watcher = undefined;
    await this.running;
  }

  private async reloadNow(reason: string): Promise<ReloadResult> {
    const previous = this.snapshot;
    const at = new Date();
    if (this.closed) {
      return {
        ok: true,
        revision: previous.revision,
        previousRevision: previous.revision,
        changed: false,
        reason,
        at,
      };
    }
    const loaded = await loadRuleSet(this.options.dir);
    if (!this.watcher && !this.closed && (this.options.watch ?? true)) this.startWatching();
    if (!loaded.ok) {
      const failure: ReloadFailure = { errors: loaded.errors, keptRevision: previous.revision, reason, at };
      this.options.logger?.error(
        {
          rulesDir: this.options.dir,
          keptRevision: previous.revision,
          reason,
          errors: loaded.errors.map(formatRuleFileError),
        },
        `rules reload failed (${loaded.errors.length} problem(s)); keeping revision ${previous.revision}`,
      );
      this.emit('reloadFailed', failure);
      return { ok: false, ...failure };
    }
    const changed = loaded.snapshot.revision !== previous.revision;
    if (changed) this.snapshot = loaded.snapshot;
    const success: ReloadSuccess = {
      revision: this.snapshot.revision,
      previousRevision: previous.revision,
      changed,
      reason,
      at,
    };
    if (changed) {
      this.options.logger?.info(
        {
          rulesDir: this.options.dir,
          revision: success.revision,
          previousRevision: previous.revision,
          reason,
        },
        `rules reloaded: revision ${success.revision}`,
      );
    }
    this.emit('reloaded', success);
    return { ok: true, ...success };
  }

  private startWatching(): void {
    try {
      // Any event reloads (after the debounce): unchanged content is a cheap no-op, and
      // config-map style folders swap a `..data` symlink rather than the .json files.
      this.watcher = watch(this.options.dir, () => this.schedule());
      this.watcher.on('error', (error) => {
        this.options.logger?.warn(
          { rulesDir: this.options.dir, err: error },
          'rules folder watch failed; SIGHUP still reloads',
        );
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (error) {
      this.options.logger?.warn(
        { rulesDir: this.options.dir, err: error },
        'cannot watch the rules folder; SIGHUP still reloads',
      );
    }
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reload('file change').catch(() => undefined);
    }, this.options.debounceMs ?? 250);
  }
}
