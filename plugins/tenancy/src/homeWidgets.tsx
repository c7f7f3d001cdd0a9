import { HomePageWidgetBlueprint } from '@backstage/plugin-home-react/alpha';

/**
 * The developer home's Tenancy widgets (Backstage's home page extension
 * point, `page:home` input `widgets`). Each names its component for the
 * home page's `defaultConfig` (`component: TenancyMyTeams`, …).
 */
export const myTeamsWidget = HomePageWidgetBlueprint.make({
  name: 'my-teams',
  params: {
    name: 'TenancyMyTeams',
    title: 'My teams',
    description:
      "Your teams' namespaces, clusters and the health of their services",
    components: () =>
      import('./components/Home').then(m => ({ Content: m.MyTeamsContent })),
  },
});

/** `home-page-widget:tenancy/failing-services` */
export const failingServicesWidget = HomePageWidgetBlueprint.make({
  name: 'failing-services',
  params: {
    name: 'TenancyFailingServices',
    title: 'Failing services',
    description: "Your teams' services that are failing or degraded",
    components: () =>
      import('./components/Home').then(m => ({
        Content: m.FailingServicesContent,
      })),
  },
});

/** `home-page-widget:tenancy/tightest-quota` */
export const tightestQuotaWidget = HomePageWidgetBlueprint.make({
  name: 'tightest-quota',
  params: {
    name: 'TenancyTightestQuota',
    title: 'Quota closest to full',
    description: "Your teams' namespaces with the fullest ResourceQuota",
    components: () =>
      import('./components/Home').then(m => ({
        Content: m.TightestQuotaContent,
      })),
  },
});

/** `home-page-widget:tenancy/recent-tasks` */
export const recentTasksWidget = HomePageWidgetBlueprint.make({
  name: 'recent-tasks',
  params: {
    name: 'TenancyRecentTasks',
    title: 'My recent tasks',
    description: 'The templates you ran last, and how they ended',
    components: () =>
      import('./components/Home').then(m => ({
        Content: m.RecentTasksContent,
      })),
  },
});

/** `home-page-widget:tenancy/create` */
export const createActionsWidget = HomePageWidgetBlueprint.make({
  name: 'create',
  params: {
    name: 'TenancyCreate',
    title: 'Create',
    description:
      'Create a service, onboard a namespace, request an AWS account',
    components: () =>
      import('./components/Home').then(m => ({
        Content: m.CreateActionsContent,
      })),
  },
});

export const homeWidgets = [
  myTeamsWidget,
  failingServicesWidget,
  tightestQuotaWidget,
  recentTasksWidget,
  createActionsWidget,
];
