import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { appConfig, AppConfig } from '../config/configuration';

/**
 * Time-driven transitions (notices ending, vouchers and holds expiring) run on an interval. Each sweep
 * is a guarded, idempotent update, so several API nodes may run it at once; reads also apply the same
 * rule lazily, so correctness never waits for a sweep.
 */
@Injectable()
export class Sweeps implements OnApplicationBootstrap {
  private readonly logger = new Logger(Sweeps.name);
  private readonly sweeps = new Map<string, () => Promise<number>>();

  constructor(
    private readonly scheduler: SchedulerRegistry,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {}

  register(name: string, sweep: () => Promise<number>): void {
    this.sweeps.set(name, sweep);
  }

  /** Runs every sweep once; returns how many records each changed. */
  async runAll(): Promise<Record<string, number>> {
    const changed: Record<string, number> = {};
    for (const [name, sweep] of this.sweeps) {
      try {
        changed[name] = await sweep();
      } catch (e) {
        this.logger.error(`sweep ${name} failed: ${(e as Error).message}`);
      }
    }
    return changed;
  }

  onApplicationBootstrap(): void {
    if (this.config.sweepIntervalSec === 0) return;
    let running = false;
    const timer = setInterval(async () => {
      if (running) return;
      running = true;
      await this.runAll().finally(() => (running = false));
    }, this.config.sweepIntervalSec * 1000);
    timer.unref();
    this.scheduler.addInterval('sweeps', timer);
  }
}
