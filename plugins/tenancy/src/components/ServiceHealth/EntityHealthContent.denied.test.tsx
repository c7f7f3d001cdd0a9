import { kubernetesTabLinkWithOnly } from './__testUtils__/kubernetesTabLink';

it("offers no link to Backstage's Kubernetes tab to whoever may not read its resources", async () => {
  // The shipped policy for a team member: clusters may be listed, the
  // resources routes are the platform team's.
  expect(
    await kubernetesTabLinkWithOnly('kubernetes.clusters.read'),
  ).toBeNull();
});
