/**
 * .gitlab-ci.yml and renovate.json, built as data: audit (Code Quality report), prove (smoke + SBOM
 * as a CycloneDX report), build with a registry cache and, on a tag, publish to the project's
 * registry with the version tag and the digest.
 */
import { Document, isMap, isPair, isScalar } from 'yaml';
import type { StackView } from '../view.js';
import { buildArgs, ciVariables, createPyimage, SBOM_FILE, SCANNER_NOTE, SMOKE_JSON } from './common.js';

export const GITLAB_FILE = '.gitlab-ci.yml';
export const RENOVATE_FILE = 'renovate.json';

/** Docker-in-Docker over TLS, as GitLab documents it; smoke probes the published port on that host. */
const DOCKER = {
  image: 'docker:27',
  services: ['docker:27-dind'],
  variables: { DOCKER_HOST: 'tcp://docker:2376', DOCKER_TLS_CERTDIR: '/certs', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs/client' },
};

function buildScript(view: StackView, push: boolean): string[] {
  // `--build-arg NAME` without a value takes it from the job's environment: CI variables, never literals here.
  const args = buildArgs(view).map((v) => `--build-arg ${v.name}`).join(' ');
  const labels =
    '--label org.opencontainers.image.source="$CI_PROJECT_URL" --label org.opencontainers.image.revision="$CI_COMMIT_SHA" ' +
    '--label org.opencontainers.image.created="$(date -u +%Y-%m-%dT%H:%M:%SZ)"';
  // A release is built without the cache: nothing a branch build left behind reaches it.
  const cache = push ? '--no-cache' : '--cache-from type=registry,ref="$CI_REGISTRY_IMAGE/cache" --cache-to type=registry,ref="$CI_REGISTRY_IMAGE/cache",mode=max';
  const output = push ? '--tag "$CI_REGISTRY_IMAGE:${CI_COMMIT_TAG#v}" --push --metadata-file build.json' : '--tag "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA"';
  return [
    'echo "$CI_REGISTRY_PASSWORD" | docker login --username "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"',
    'docker buildx create --use --driver docker-container',
    `docker buildx build --target runtime ${args} ${labels} ${cache} ${output} .`,
    ...(push ? ['apk add --no-cache jq', 'echo "pushed $CI_REGISTRY_IMAGE:${CI_COMMIT_TAG#v} as $(jq -r \'."containerimage.digest"\' build.json)"'] : []),
  ];
}

export function gitlabObject(view: StackView): Record<string, unknown> {
  const cli = createPyimage(view);
  const variables: Record<string, string> = {};
  for (const v of ciVariables(view)) variables[v.name] = v.fallback;
  const tagRule = { if: '$CI_COMMIT_TAG =~ /^v\\d/' };
  return {
    workflow: {
      rules: [{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"' }, { if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH' }, { if: '$CI_COMMIT_TAG' }],
    },
    stages: ['check', 'build', 'publish'],
    variables,
    audit: {
      stage: 'check',
      image: 'node:20-bookworm-slim',
      script: [`${cli} audit --format codeclimate > gl-code-quality-report.json`],
      artifacts: { when: 'always', reports: { codequality: 'gl-code-quality-report.json' } },
    },
    prove: {
      ...DOCKER,
      stage: 'check',
      before_script: ['apk add --no-cache nodejs npm jq'],
      script: [`${cli} smoke --json --sbom ${SBOM_FILE} > ${SMOKE_JSON}`],
      after_script: [`jq -r '.steps[] | select(.ok | not) | "smoke step failed: \\(.name): \\(.detail | split("\\n") | .[0])"' ${SMOKE_JSON} || true`],
      artifacts: { when: 'always', paths: [SMOKE_JSON, SBOM_FILE], reports: { cyclonedx: [SBOM_FILE] } },
    },
    'sbom-scan': {
      stage: 'check',
      needs: ['prove'],
      rules: [{ if: '$SBOM_SCAN == "true"' }],
      image: { name: 'anchore/grype:v0.106.0', entrypoint: [''] },
      script: [`grype sbom:${SBOM_FILE} --fail-on high`],
    },
    build: { ...DOCKER, stage: 'build', script: buildScript(view, false), rules: [{ if: '$CI_COMMIT_TAG', when: 'never' }, { when: 'on_success' }] },
    publish: { ...DOCKER, stage: 'publish', rules: [tagRule], script: buildScript(view, true) },
  };
}

export function gitlabYaml(view: StackView): string {
  const doc = new Document(gitlabObject(view), { compat: 'yaml-1.1', aliasDuplicateObjects: false });
  const comment = (key: string, text: string) => {
    const root = doc.contents;
    if (!isMap(root)) return;
    const pair = root.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
    if (pair && isScalar(pair.key)) pair.key.commentBefore = ` ${text}`;
  };
  comment('variables', 'Defaults as compose has them. Point a mirror or index here through CI/CD variables (Settings > CI/CD > Variables), which override these.');
  comment('audit', 'The hardening checklist over Dockerfile, compose and scripts, shown in merge requests as a Code Quality report.');
  comment('prove', 'Build, start, probe and tear down the stack; the JSON report and the SBOM (a CycloneDX report) are kept.');
  comment('sbom-scan', SCANNER_NOTE);
  comment('build', 'BuildKit with a registry cache and the build arguments compose passes.');
  comment('publish', 'On a version tag (v1.2.3): push $CI_REGISTRY_IMAGE:1.2.3 and print its digest. Only tag pipelines use the registry for the image itself.');
  doc.commentBefore =
    ` Generated by create-pyimage ${view.version}: audit, prove (smoke + SBOM), build and, on tags, publish.\n` +
    ' Regenerate with `npx create-pyimage update`: your edits are merged, not lost.';
  return doc.toString({ lineWidth: 0, indentSeq: true });
}

export function renovateJson(view: StackView): string {
  const python = view.answers.deps === 'requirements' ? 'pip_requirements' : 'pep621';
  const config = {
    $schema: 'https://docs.renovatebot.com/renovate-schema.json',
    description: `Generated by create-pyimage ${view.version}: Python dependencies, the base and service images (pinned by digest) and the CI images.`,
    extends: ['config:recommended', 'docker:pinDigests'],
    enabledManagers: [python, 'dockerfile', 'docker-compose', 'gitlabci'],
    schedule: ['before 6am on monday'],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}
