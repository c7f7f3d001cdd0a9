import { kubernetesTabLinkWithOnly } from './__testUtils__/kubernetesTabLink';

it("offers no link to Backstage's Kubernetes tab to whoever may not list the clusters", async () => {
  // A policy of an adopter's own: the tab needs both permissions.
  expect(
    await kubernetesTabLinkWithOnly('kubernetes.resources.read'),
  ).toBeNull();
});
