import {
  AuthService,
  HttpAuthService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { TenancyNamespaceRuleset } from '@tenancy/plugin-tenancy-node';
import express from 'express';
import Router from 'express-promise-router';
import { FleetSnapshotService } from './FleetSnapshotService';
import { groupRefParam, param } from './params';
import { tailLinesOf, workloadKindOf, WorkloadPodReader } from './pods';
import { createPlatformOptions } from './platformOptions';
import { createTenancyReads } from './reads';

/** @public */
export interface RouterOptions {
  snapshots: Pick<FleetSnapshotService, 'get'>;
  httpAuth: HttpAuthService;
  auth: AuthService;
  userInfo: UserInfoService;
  permissions: PermissionsService;
  catalog: CatalogService;
  /** The rules of the `tenancy-namespace` resource type, to apply conditional decisions. */
  namespaceRules: TenancyNamespaceRuleset;
  /** Reads a workload's pods from its cluster (the troubleshooting route). */
  pods: Pick<WorkloadPodReader, 'read'>;
  /** `tenancy.environments` and `tenancy.baseline`, for the forms' pickers. */
  config: Config;
}

/** @public */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { httpAuth } = options;
  const reads = createTenancyReads(options);
  const platform = createPlatformOptions(options);
  const router = Router();
  router.use(express.json());

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/fleet', async (req, res) => {
    res.json(await reads.fleet(await httpAuth.credentials(req)));
  });

  // What the scaffolder's pickers offer: from config, not from templates.
  router.get('/environments', async (req, res) => {
    res.json(await platform.environments(await httpAuth.credentials(req)));
  });

  // Whom the team pickers offer: the caller's teams, or every team for the
  // platform team — as the actions decide.
  router.get('/teams', async (req, res) => {
    res.json(
      await platform.actingTeams(
        await httpAuth.credentials(req, { allow: ['user', 'service'] }),
      ),
    );
  });

  router.get('/quota-presets', async (req, res) => {
    await httpAuth.credentials(req);
    res.json(platform.quotaPresets());
  });

  router.get('/clusters/:name', async (req, res) => {
    const name = param(req.params.name, 'cluster', 'cluster name');
    res.json(await reads.cluster(await httpAuth.credentials(req), name));
  });

  /** The group ref in the path, validated. */
  const groupRefOf = (
    req: express.Request<{ namespace: string; name: string }>,
  ) => groupRefParam(req.params);

  router.get('/tenants/:namespace/:name', async (req, res) => {
    const groupRef = groupRefOf(req);
    res.json(await reads.tenant(await httpAuth.credentials(req), groupRef));
  });

  router.get('/entities/:kind/:namespace/:name/health', async (req, res) => {
    const ref = {
      kind: param(req.params.kind, 'kind'),
      namespace: param(req.params.namespace, 'namespace'),
      name: param(req.params.name, 'name'),
    };
    res.json(await reads.entityHealth(await httpAuth.credentials(req), ref));
  });

  router.get('/teams/:namespace/:name/health', async (req, res) => {
    const groupRef = groupRefOf(req);
    res.json(await reads.teamHealth(await httpAuth.credentials(req), groupRef));
  });

  router.get(
    '/clusters/:cluster/namespaces/:namespace/:kind/:name/pods',
    async (req, res) => {
      const request = {
        cluster: param(req.params.cluster, 'cluster', 'cluster name'),
        namespace: param(req.params.namespace, 'namespace'),
        kind: workloadKindOf(req.params.kind),
        name: param(req.params.name, 'workload', 'workload name'),
        tailLines: tailLinesOf(req.query.tailLines),
      };
      res.json(
        await reads.workloadPods(await httpAuth.credentials(req), request),
      );
    },
  );

  return router;
}
