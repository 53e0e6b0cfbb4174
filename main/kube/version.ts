/**
 * The one Kubernetes version Kubelab's embedded cluster is (DESIGN.md: "one constant"). The
 * served `/version`, node `kubeletVersion`, defaults, messages and schemas all follow it. It is
 * 1.30 because the schema source, `kubernetes-types`, stops at 1.30: serving 1.30 schemas under
 * another version would be a lie to `kubectl explain` and to the editor.
 */
export const KUBERNETES_VERSION = {
  major: '1',
  minor: '30',
  gitVersion: 'v1.30.14',
  /** Kind's node image for this release uses containerd; the embedded nodes report the same. */
  containerRuntimeVersion: 'containerd://1.7.27',
} as const;

/** The `/version` body (k8s.io/apimachinery/pkg/version.Info). */
export function versionInfo(platform: string): Record<string, string> {
  return {
    major: KUBERNETES_VERSION.major,
    minor: KUBERNETES_VERSION.minor,
    gitVersion: KUBERNETES_VERSION.gitVersion,
    gitCommit: '',
    gitTreeState: 'clean',
    buildDate: '',
    goVersion: 'go1.22.12',
    compiler: 'gc',
    platform,
  };
}
