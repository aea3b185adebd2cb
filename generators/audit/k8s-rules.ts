import type { Rule } from './types.js';

/**
 * Rules for Kubernetes manifests (K8-xx, this tool's own ids): the Pod Security Standard
 * "restricted", probes, resources, secrets, image tags and host access. They apply to any YAML file
 * that holds Kubernetes objects (a Kustomize base, plain manifests), generated or not.
 */
export const K8S_RULES = {
  'K8-01': {
    severity: 'high',
    title: 'Pod may run as root or without a seccomp profile',
    why: 'The restricted Pod Security Standard requires `runAsNonRoot: true` and a `RuntimeDefault` (or Localhost) seccomp profile: a root process escapes more easily through a kernel or runtime bug, and without seccomp every syscall is open. A namespace that enforces the profile refuses such a pod.',
    fix: 'Under the pod `spec:`: `securityContext: {runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: {type: RuntimeDefault}}` (the image must have that user); never `runAsUser: 0`.',
  },
  'K8-02': {
    severity: 'high',
    title: 'Container may escalate privileges or keeps capabilities',
    why: 'Without `allowPrivilegeEscalation: false` a setuid binary can gain root; kept capabilities (or `privileged: true`) give the container powers over the node the restricted profile forbids.',
    fix: 'Each container: `securityContext: {allowPrivilegeEscalation: false, privileged: false, capabilities: {drop: [ALL]}}`; add back only `NET_BIND_SERVICE` if a port below 1024 is needed.',
  },
  'K8-03': {
    severity: 'medium',
    title: 'Writable root filesystem',
    why: 'An intruder who can write to the image\'s files can plant code that survives in the container, and nothing shows what the app writes.',
    fix: '`securityContext: {readOnlyRootFilesystem: true}` on each container, with an `emptyDir` (`medium: Memory` for a tmpfs) mounted at `/tmp` and volumes for what the app writes.',
  },
  'K8-04': {
    severity: 'medium',
    title: 'Long-running container without probes',
    why: 'Without a readiness probe a pod takes traffic before it can answer (and during a rollout the old pods go first); without a liveness probe a hung process is never restarted.',
    fix: 'A `readinessProbe` and a `livenessProbe` (`httpGet: {path: /health, port: http}`), and a `startupProbe` for a slow start; a worker without a port gets an `exec` liveness probe.',
  },
  'K8-05': {
    severity: 'medium',
    title: 'No resource requests or limits',
    why: 'Without a memory limit one container can take the node\'s memory and get other pods killed; without requests the scheduler places pods where they do not fit.',
    fix: '`resources: {requests: {cpu: 250m, memory: 128Mi}, limits: {cpu: "1", memory: 512Mi}}` on every container.',
  },
  'K8-06': {
    severity: 'critical',
    title: 'Secret value in a manifest',
    why: 'A password in an env value, a ConfigMap or a committed Secret is in the repository\'s history for good, and `kubectl get -o yaml` shows it to anyone who may read the object.',
    fix: 'Keep the value out of git: a Kustomize `secretGenerator` over gitignored files (`files: [db_password=secrets/db_password]`), an external secrets operator or Sealed Secrets; read it from a mounted file (`/run/secrets/...`) or `valueFrom.secretKeyRef`.',
  },
  'K8-07': {
    severity: 'high',
    title: 'Image without a tag, or :latest',
    why: 'An untagged or `:latest` image changes under you: two pods of one Deployment can run different code, and a rollback goes nowhere.',
    fix: 'Pin a release tag (`app:1.4.2`), or a digest (`@sha256:...`); retag in an overlay with `kustomize edit set image`.',
  },
  'K8-08': {
    severity: 'high',
    title: 'hostPath volume',
    why: 'A hostPath mount gives the pod the node\'s files: with a writable one, a compromised container can change the node (or read other pods\' data); the restricted profile forbids it.',
    fix: 'Use a PersistentVolumeClaim, an `emptyDir`, a ConfigMap or a Secret volume instead; for devices, the vendor\'s device plugin.',
  },
  'K8-09': {
    severity: 'high',
    title: 'Pod shares the host\'s network, PID or IPC namespace',
    why: '`hostNetwork`, `hostPID` or `hostIPC` put the pod beside the node\'s own processes: it sees (and can reach) what NetworkPolicies and namespaces were meant to hide.',
    fix: 'Drop `hostNetwork`, `hostPID` and `hostIPC` (or set them false); publish through a Service and reach the node\'s services over the network.',
  },
} as const satisfies Record<string, Rule>;
