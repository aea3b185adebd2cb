// Shapes of the benchmark's raw data (docs/benchmarks.json) and the metrics it reports.
import type { BuildStep } from './lib.js';

export const VARIANTS = ['ours', 'naive', 'docker-init'] as const;
export type VariantName = (typeof VARIANTS)[number];

export const VARIANT_LABELS: Record<VariantName, string> = {
  ours: 'ours (generated)',
  naive: 'naive single-stage',
  'docker-init': '`docker init` template',
};

export interface EnvFacts {
  pythonImage: string;
  pythonVersion: string;
  postgresImage: string;
  postgresVersion: string;
  indexUrl: string;
}

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryBytes: number;
  kernel: string;
  dockerServer: string;
  dockerClient: string;
  /** `docker version`, verbatim. */
  dockerVersion: string;
  dockerInfo: string;
  compose: string;
  buildx: string;
  node: string;
}

/** One timed run of one variant. Seconds are wall-clock; null where a measurement does not apply. */
export interface RunRecord {
  run: number;
  variant: VariantName;
  imageSizeBytes: number;
  coldBuildS: number;
  /** Steps a cold build still found in the cache: empty unless another build on the engine held them. */
  coldCachedSteps: string[];
  /** Every step of the cold build with BuildKit's own duration (stages run in parallel, so they do not add up). */
  coldSteps: BuildStep[];
  noopBuildS: number;
  /** Steps a no-op rebuild ran: empty when everything was cached, as it should be. */
  noopExecutedSteps: string[];
  codeChangeExecutedSteps: number;
  addDependencyExecutedSteps: number;
  addDependencySteps: BuildStep[];
  codeChangeBuildS: number;
  addDependencyBuildS: number;
  /** When `docker compose up -d` returned. */
  upCommandS: number;
  /** From `docker compose up -d` until GET /health answered 200. */
  upToHttpS: number;
  /** Until Docker reported the container healthy (only images with a HEALTHCHECK). */
  upToHealthyS: number | null;
  /** Ours only: the whole generated stack (Postgres first, then the app). */
  fullStackUpToHttpS: number | null;
  fullStackUpToHealthyS: number | null;
  /** Ours, first run: init-db, POST /notes and a read back through Postgres worked. */
  fullStackRoundTripOk: boolean | null;
  idleMemoryBytes: number;
  /** `docker stats --no-stream` MemUsage, verbatim. */
  idleMemoryRaw: string;
  /** Ours only: `du -sb /opt/venv` and `du -sb /app` inside the image. */
  venvBytes: number | null;
  appBytes: number | null;
  wallSeconds: number;
}

export type MetricKey =
  | 'imageSizeBytes'
  | 'coldBuildS'
  | 'noopBuildS'
  | 'codeChangeBuildS'
  | 'addDependencyBuildS'
  | 'upToHttpS'
  | 'upToHealthyS'
  | 'fullStackUpToHealthyS'
  | 'idleMemoryBytes';

export interface Metric {
  key: MetricKey;
  label: string;
  unit: 'bytes' | 'seconds';
  /** Measured for ours only (no comparison, no ratio). */
  oursOnly?: boolean;
}

export const METRICS: readonly Metric[] = [
  { key: 'imageSizeBytes', label: 'final image size', unit: 'bytes' },
  { key: 'coldBuildS', label: 'cold build (no cache)', unit: 'seconds' },
  { key: 'noopBuildS', label: 'no-op rebuild', unit: 'seconds' },
  { key: 'codeChangeBuildS', label: 'rebuild after a one-line code change', unit: 'seconds' },
  { key: 'addDependencyBuildS', label: 'rebuild after adding one dependency', unit: 'seconds' },
  { key: 'upToHttpS', label: '`compose up -d` → GET /health 200 (app only)', unit: 'seconds' },
  { key: 'upToHealthyS', label: '`compose up -d` → Docker reports healthy (app only)', unit: 'seconds', oursOnly: true },
  { key: 'fullStackUpToHealthyS', label: '`compose up -d` → healthy, full stack with Postgres', unit: 'seconds', oursOnly: true },
  { key: 'idleMemoryBytes', label: 'idle memory of the app container', unit: 'bytes' },
];

export interface BenchReport {
  schema: 1;
  /** Fewer than 5 runs: checks the harness, not a result. */
  validationRun: boolean;
  date: string;
  durationSeconds: number;
  runsPerVariant: number;
  command: string;
  machine: MachineInfo;
  inputs: {
    pythonImage: string;
    pythonImageBytes: number;
    postgresImage: string;
    indexUrl: string;
    psycopg2IndexFiles: string[];
    psycopg2FromSource: boolean;
    requirements: string[];
    addedDependency: string;
    webConcurrency: number;
    idleSeconds: number;
    dockerfiles: Partial<Record<VariantName, string>>;
    importChecks: Partial<Record<VariantName, string>>;
    oursLayers: Array<{ bytes: number; createdBy: string }>;
  };
  variants: VariantName[];
  metrics: MetricKey[];
  runs: RunRecord[];
}
