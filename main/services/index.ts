/**
 * Builds the implementation of the whole bridge contract: the one place that knows every service.
 * The Electron composition root and `kubelab serve` both call it, so desktop and browser mode
 * answer with the same code.
 */
import type { Clock } from '../base/clock';
import type { AppInfo, Implementation } from '../bridge/contract';
import { createAppService } from './app-service';
import type { ClusterService } from '../bridge/contract';

export interface ServicesDeps {
  readonly clock: Clock;
  readonly mode: AppInfo['mode'];
  readonly platform: string;
  /** The practice cluster's service (see cluster-service.ts). */
  readonly cluster: ClusterService;
}

export function createServices(deps: ServicesDeps): Implementation {
  return {
    app: createAppService(deps),
    cluster: deps.cluster,
  };
}
