/**
 * The simulated kubelet of the embedded cluster (see controller.ts): node heartbeats, pod
 * stages as data, images, container programs and logs.
 */
export { KubeletController, type KubeletControllerOptions } from './controller';
export { SimulatedLogs, type LogRuntimeDeps } from './logs';
export { CONTAINER_STAGES, POD_STAGES, PACES } from './stages';
export { IMAGE_CATALOGUE, decidePull, parseImage } from './images';
