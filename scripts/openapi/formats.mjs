// Facts kubernetes-types cannot carry: which integer fields are int64 (Go int64) rather than
// int32. From the Go types of k8s.io/api and k8s.io/apimachinery (field names, all groups).
export const INT64_FIELDS = new Set([
  'activeDeadlineSeconds',
  'advancedSeconds', // kubelab.dev ClockStatus
  'deletionGracePeriodSeconds',
  'expirationSeconds',
  'fsGroup',
  'generation',
  'gracePeriodSeconds',
  'limitBytes',
  'observedGeneration',
  'revision',
  'runAsGroup',
  'runAsUser',
  'sinceSeconds',
  'supplementalGroups',
  'tailLines',
  'terminationGracePeriodSeconds',
  'tolerationSeconds',
]);
