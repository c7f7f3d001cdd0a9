export {
  CreateActionsContent,
  FailingServicesContent,
  MyTeamsContent,
  RecentTasksContent,
  TightestQuotaContent,
} from './HomeWidgets';
