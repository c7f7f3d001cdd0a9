import { InfoCard } from '@backstage/core-components';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Button from '@mui/material/Button';
import Link from '@mui/material/Link';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import type { TenantAccount } from '@tenancy/plugin-tenancy-common';
import { Link as RouterLink } from 'react-router-dom';
import { closeAccountLink, ReadableChip } from '../shared';

type ChipColor = 'success' | 'warning' | 'error' | 'default';

const STATE_COLORS: Record<string, ChipColor> = {
  ACTIVE: 'success',
  PENDING_ACTIVATION: 'warning',
  PENDING_CLOSURE: 'warning',
  SUSPENDED: 'error',
  CLOSED: 'error',
};

/** An account's state as AWS names it, coloured, and in words: a suspended account never looks active. */
export function AccountState({ state }: { state?: string }) {
  if (!state) {
    return (
      <Typography variant="caption" color="text.secondary">
        not known
      </Typography>
    );
  }
  const color = STATE_COLORS[state] ?? 'default';
  return (
    <ReadableChip
      size="small"
      variant={color === 'success' ? 'outlined' : 'filled'}
      color={color}
      label={state.replace(/_/g, ' ')}
    />
  );
}

function Missing() {
  return (
    <Typography variant="caption" color="text.secondary">
      —
    </Typography>
  );
}

/**
 * A team's AWS accounts: name, id, state, OU, environment, cost centre, the
 * console and — for an active account of `tenant` — "Close…", which opens
 * the closing template with the account filled in (it shows the account's
 * state and asks for its id before anything is done).
 */
export function AccountsTable({
  accounts,
  tenant,
}: {
  accounts: TenantAccount[];
  tenant?: string;
}) {
  const sorted = [...accounts].sort(
    (a, b) =>
      (a.environment ?? '').localeCompare(b.environment ?? '') ||
      (a.title ?? a.entityRef).localeCompare(b.title ?? b.entityRef),
  );
  return (
    <InfoCard title="AWS accounts" titleTypographyProps={{ variant: 'h6' }}>
      {sorted.length === 0 ? (
        <Typography variant="body2" color="text.secondary">
          No AWS accounts for this team. Accounts are catalog Resources of type
          cloud-account owned by the team; request one with the “Request an AWS
          account” template.
        </Typography>
      ) : (
        <TableContainer sx={{ overflowX: 'auto' }}>
          <Table size="small" aria-label="AWS accounts">
            <TableHead>
              <TableRow>
                <TableCell>Account</TableCell>
                <TableCell>ID</TableCell>
                <TableCell>State</TableCell>
                <TableCell>OU</TableCell>
                <TableCell>Environment</TableCell>
                <TableCell>Cost centre</TableCell>
                <TableCell>Console</TableCell>
                {tenant && <TableCell>Actions</TableCell>}
              </TableRow>
            </TableHead>
            <TableBody>
              {sorted.map(account => (
                <TableRow key={account.entityRef}>
                  <TableCell
                    component="th"
                    scope="row"
                    sx={{ overflowWrap: 'anywhere' }}
                  >
                    <EntityRefLink
                      entityRef={account.entityRef}
                      defaultKind="resource"
                      title={account.title}
                    />
                  </TableCell>
                  <TableCell sx={{ fontFamily: 'monospace' }}>
                    {account.accountId ?? <Missing />}
                  </TableCell>
                  <TableCell>
                    <AccountState state={account.state} />
                  </TableCell>
                  <TableCell>
                    {account.organizationalUnit ?? <Missing />}
                  </TableCell>
                  <TableCell>{account.environment ?? <Missing />}</TableCell>
                  <TableCell>{account.costCentre ?? <Missing />}</TableCell>
                  <TableCell>
                    {account.consoleUrl?.startsWith('https://') ? (
                      <Link
                        href={account.consoleUrl}
                        target="_blank"
                        rel="noopener noreferrer"
                        aria-label={`Open ${
                          account.title ?? account.accountId
                        } in the AWS console (new tab)`}
                      >
                        Open
                      </Link>
                    ) : (
                      <Missing />
                    )}
                  </TableCell>
                  {tenant && (
                    <TableCell>
                      {account.accountId && account.state === 'ACTIVE' ? (
                        <Button
                          component={RouterLink}
                          to={closeAccountLink({
                            tenant,
                            accountId: account.accountId,
                          })}
                          size="small"
                          color="error"
                          aria-label={`Close ${
                            account.title ?? account.accountId
                          }…`}
                        >
                          Close…
                        </Button>
                      ) : (
                        <Missing />
                      )}
                    </TableCell>
                  )}
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </TableContainer>
      )}
    </InfoCard>
  );
}
