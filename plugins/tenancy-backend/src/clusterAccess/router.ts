import { AuditorService, HttpAuthService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import express from 'express';
import Router from 'express-promise-router';
import { groupRefParam, param } from '../service/params';
import { ClusterAccess, NOT_CONFIGURED } from './service';

/**
 * The cluster sign-in routes (`/api/tenancy/cluster-access/…`): the issuer's
 * discovery document and keys, a token for one cluster, a team's kubeconfig.
 */
export function createClusterAccessRouter(options: {
  clusterAccess: ClusterAccess;
  httpAuth: HttpAuthService;
  auditor: AuditorService;
}): express.Router {
  const { clusterAccess, httpAuth, auditor } = options;
  const router = Router();
  router.use(express.json());

  // What a cluster fetches to check the portal's tokens (no credentials:
  // the API servers ask anonymously). The issuer URL the clusters use is
  // `tenancy.clusterAccess.issuer`, this path behind it in production.
  router.get(
    '/cluster-access/.well-known/openid-configuration',
    async (_, res) => {
      if (!clusterAccess.issuer) throw new NotFoundError(NOT_CONFIGURED);
      res.json(clusterAccess.issuer.discoveryDocument());
    },
  );
  router.get('/cluster-access/jwks', async (_, res) => {
    if (!clusterAccess.issuer) throw new NotFoundError(NOT_CONFIGURED);
    res.json(await clusterAccess.issuer.jwks());
  });

  // A token for one cluster, as the person signed in: what the kubectl
  // credential plugin calls. Only people, never a service.
  router.post('/cluster-access/token', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const cluster = param(
      typeof req.body?.cluster === 'string' ? req.body.cluster : '',
      'cluster',
      'cluster name',
    );
    const event = await auditor.createEvent({
      eventId: 'cluster-token',
      severityLevel: 'medium',
      request: req,
      meta: { cluster },
    });
    try {
      const token = await clusterAccess.token(credentials, cluster);
      // The token's id, which the API server's audit log records too.
      await event.success({
        meta: { groups: token.groups, tokenId: token.id },
      });
      res.setHeader('cache-control', 'no-store');
      res.json(token);
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  });

  router.get(
    '/cluster-access/teams/:namespace/:name/kubeconfig',
    async (req, res) => {
      const groupRef = groupRefParam(req.params);
      const clusters = ([] as unknown[]).concat(req.query.cluster ?? []);
      const filter = {
        clusters: clusters.length
          ? clusters.map(c =>
              param(typeof c === 'string' ? c : '', 'cluster', 'cluster name'),
            )
          : undefined,
        namespace:
          typeof req.query.namespace === 'string'
            ? param(req.query.namespace, 'workload', 'namespace')
            : undefined,
      };
      res.json(
        await clusterAccess.kubeconfig(
          await httpAuth.credentials(req),
          groupRef,
          filter,
        ),
      );
    },
  );

  return router;
}
