import { createBackendModule } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotAllowedError } from '@backstage/errors';
import {
  authProvidersExtensionPoint,
  createProxyAuthenticator,
  createProxyAuthProviderFactory,
} from '@backstage/plugin-auth-node';

/** The request header that names the persona to sign in as. */
export const PERSONA_HEADER = 'x-tenancy-persona';

type Persona = { persona: string };

/**
 * The sandbox's personas: sign in as one of a fixed list of catalog users by
 * naming them in the `x-tenancy-persona` header of
 * `GET /api/auth/personas/refresh` — a member of one team, a member of
 * another, the platform team — so that tests and people can see the portal
 * as each of them, against the real permission framework and the shipped
 * policy.
 *
 * Like Backstage's guest provider it refuses to work outside
 * `NODE_ENV=development`, and it is active only when
 * `auth.providers.personas` is configured, which only the sandbox's
 * overlay does (app-config.production.yaml never; productionConfig.test.ts
 * checks it). It is a way to be anyone on the list: never configure it on a
 * portal people share.
 */
const personasAuthenticator = createProxyAuthenticator<
  { users: string[] },
  Persona,
  undefined
>({
  async defaultProfileTransform(result) {
    return { profile: { displayName: result.persona } };
  },
  initialize({ config }) {
    return { users: config.getStringArray('users') };
  },
  async authenticate({ req }, { users }) {
    if (process.env.NODE_ENV !== 'development') {
      throw new NotAllowedError(
        'The personas sign-in exists only on the local sandbox (NODE_ENV=development)',
      );
    }
    const persona = req.header(PERSONA_HEADER);
    if (!persona) {
      throw new InputError(
        `Name the persona to sign in as in the ${PERSONA_HEADER} header (one of ${users.join(
          ', ',
        )})`,
      );
    }
    if (!users.includes(persona)) {
      throw new NotAllowedError(
        `"${persona.slice(
          0,
          40,
        )}" is not one of the sandbox's personas (${users.join(', ')})`,
      );
    }
    return { result: { persona } };
  },
});

/** @public */
export const authModulePersonasProvider = createBackendModule({
  pluginId: 'auth',
  moduleId: 'personas-provider',
  register(reg) {
    reg.registerInit({
      deps: { providers: authProvidersExtensionPoint },
      async init({ providers }) {
        providers.registerProvider({
          providerId: 'personas',
          factory: createProxyAuthProviderFactory<Persona>({
            authenticator: personasAuthenticator,
            // The catalog's user, with the teams the catalog says they are
            // in: exactly what a real sign-in resolver would give them.
            async signInResolver({ result }, ctx) {
              return ctx.signInWithCatalogUser({
                entityRef: stringifyEntityRef({
                  kind: 'user',
                  namespace: 'default',
                  name: result.persona,
                }),
              });
            },
          }),
        });
      },
    });
  },
});
