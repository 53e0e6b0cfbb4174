/**
 * The `app` service: who is answering (name, version, mode) and a heartbeat stream.
 */
import { ok } from '../base/result';
import type { Clock } from '../base/clock';
import type { AppInfo, AppService } from '../bridge/contract';
import packageJson from '../../package.json';

export interface AppServiceDeps {
  readonly clock: Clock;
  readonly mode: AppInfo['mode'];
  readonly platform: string;
}

/** The app's version as package.json states it. */
export const APP_VERSION: string = packageJson.version;

export function createAppService(deps: AppServiceDeps): AppService {
  const startedAt = deps.clock.now();
  const info: AppInfo = {
    name: 'Kubelab',
    version: APP_VERSION,
    mode: deps.mode,
    platform: deps.platform,
  };
  return {
    getInfo: () => Promise.resolve(ok(info)),
    onDidHeartbeat: ({ intervalMs }, sink) => {
      const beat = (): void => sink.next({ serverTime: deps.clock.now(), startedAt });
      beat();
      return deps.clock.setInterval(beat, intervalMs);
    },
  };
}
