/**
 * Every GitHub Action the generated workflow uses, pinned by full commit SHA (a tag can be moved;
 * a commit cannot), with the release it is. Dependabot's github-actions updates keep both current.
 *
 * Where each SHA comes from: this machine cannot reach GitHub, so each pin was taken from public
 * workflows and docs that pin the same release, found through the search index (2026-12-04), and
 * only when at least two independent files agreed on SHA and release:
 * - actions/checkout v4.2.2: many workflows pin `11bd7190...# v4.2.2` (e.g. zizmor-clean CI files).
 * - actions/upload-artifact v4.6.2: `ea165f8d...` pinned with "(v4.6.2)" in several repositories' docs and tests.
 * - github/codeql-action v4.31.9: `5d4e8d1a...# v4.31.9` in upload-sarif steps and a pin table.
 * - docker/setup-buildx-action v3.11.1, docker/login-action v3.6.0, docker/metadata-action v5.10.0,
 *   docker/build-push-action v6.18.0: pinned together in container workflows and their reviews.
 * - anchore/scan-action v6: `16386370...# v6` in several CI proposals; the sources name only the major.
 */
export interface PinnedAction {
  /** owner/repo[/path] as written before the @. */
  uses: string;
  sha: string;
  version: string;
}

export const ACTIONS = {
  checkout: { uses: 'actions/checkout', sha: '11bd71901bbe5b1630ceea73d27597364c9af683', version: 'v4.2.2' },
  uploadArtifact: { uses: 'actions/upload-artifact', sha: 'ea165f8d65b6e75b540449e92b4886f43607fa02', version: 'v4.6.2' },
  uploadSarif: { uses: 'github/codeql-action/upload-sarif', sha: '5d4e8d1aca955e8d8589aabd499c5cae939e33c7', version: 'v4.31.9' },
  setupBuildx: { uses: 'docker/setup-buildx-action', sha: 'e468171a9de216ec08956ac3ada2f0791b6bd435', version: 'v3.11.1' },
  login: { uses: 'docker/login-action', sha: '5e57cd118135c172c3672efd75eb46360885c0ef', version: 'v3.6.0' },
  metadata: { uses: 'docker/metadata-action', sha: 'c299e40c65443455700f0fdfc63efafe5b349051', version: 'v5.10.0' },
  buildPush: { uses: 'docker/build-push-action', sha: '263435318d21b8e681c14492fe198d362a7d2c83', version: 'v6.18.0' },
  scan: { uses: 'anchore/scan-action', sha: '1638637db639e0ade3258b51db49a9a137574c3e', version: 'v6' },
} as const satisfies Record<string, PinnedAction>;

/** `owner/repo@sha`; the version goes into a comment next to it (see the workflow builder). */
export const usesRef = (action: PinnedAction) => `${action.uses}@${action.sha}`;
