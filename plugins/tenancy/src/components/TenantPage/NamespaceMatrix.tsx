import { EmptyState } from '@backstage/core-components';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import FormControlLabel from '@mui/material/FormControlLabel';
import MenuItem from '@mui/material/MenuItem';
import Switch from '@mui/material/Switch';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TablePagination from '@mui/material/TablePagination';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Tooltip from '@mui/material/Tooltip';
import { styled } from '@mui/material/styles';
import Typography from '@mui/material/Typography';
import type {
  HealthState,
  NamespaceSummary,
  QuotaUsage,
  TenantResponse,
} from '@tenancy/plugin-tenancy-common';
import { Fragment, memo, useCallback, useMemo, useState } from 'react';
import { Link as RouterLink } from 'react-router-dom';
import {
  clusterErrorText,
  errorText,
  healthWord,
  textOn,
  NamespaceTarget,
  offboardLink,
  resizeLink,
  warningText,
} from '../shared';
import {
  buildMatrix,
  cellHealth,
  MatrixColumn,
  MatrixRow,
  MatrixSort,
  policiesText,
  QUOTA_HIGH,
  selectRows,
  tightestQuota,
} from './matrix';
import { NamespaceDetail } from './NamespaceCard';

const PAGE_SIZES = [25, 50, 100, 500];

/** Read by screen readers, not shown. */
const visuallyHidden = {
  border: 0,
  clip: 'rect(0 0 0 0)',
  height: '1px',
  margin: '-1px',
  overflow: 'hidden',
  padding: 0,
  position: 'absolute',
  whiteSpace: 'nowrap',
  width: '1px',
} as const;

function percent(ratio: number) {
  return `${Math.round(ratio * 100)}%`;
}

// The matrix draws a few hundred cells. MUI's TableCell, Typography and
// ButtonBase each resolve the theme's overrides and serialise their styles
// per instance, which made the team page of 50 namespaces × 3 clusters take
// about a second to render. The body's rows are therefore plain elements
// with class names, styled once here at the table, in the look of
// Backstage's (dense) MUI tables.
const HEALTH_COLORS: Record<
  HealthState,
  'success' | 'warning' | 'error' | undefined
> = {
  healthy: 'success',
  degraded: 'warning',
  failing: 'error',
  unknown: undefined,
};

const HEALTH_STATES = Object.keys(HEALTH_COLORS) as HealthState[];

const MatrixTable = styled(Table)(({ theme }) => {
  const caption = {
    ...theme.typography.caption,
    color: theme.palette.text.secondary,
  };
  const health: Record<string, object> = {};
  for (const state of HEALTH_STATES) {
    const color = HEALTH_COLORS[state];
    const background = color
      ? theme.palette[color].main
      : theme.palette.action.selected;
    health[`& .tm-health-${state}`] = {
      backgroundColor: background,
      color: color ? textOn(theme, background) : theme.palette.text.primary,
    };
  }
  return {
    '& tr.tm-row:nth-of-type(odd)': {
      backgroundColor: theme.palette.background.default,
    },
    '& tr.tm-row:hover': { backgroundColor: theme.palette.action.hover },
    '& .tm-cell': {
      ...theme.typography.body2,
      color: theme.palette.text.primary,
      wordBreak: 'break-word',
      overflow: 'hidden',
      verticalAlign: 'middle',
      lineHeight: 1,
      margin: 0,
      padding: theme.spacing(1.5, 2, 1.5, 2.5),
      border: 0,
      textAlign: 'center',
    },
    '& .tm-open': { backgroundColor: theme.palette.action.selected },
    '& th.tm-cell': {
      textAlign: 'left',
      position: 'sticky',
      left: 0,
      zIndex: 1,
      backgroundColor: theme.palette.background.paper,
      overflowWrap: 'anywhere',
      minWidth: 140,
    },
    '& .tm-name': {
      ...theme.typography.body2,
      display: 'block',
      fontWeight: 500,
    },
    '& .tm-caption': caption,
    '& .tm-policies': {
      ...theme.typography.caption,
      display: 'inline-block',
      minWidth: 160,
    },
    '& .tm-policies-missing': {
      color: warningText(theme),
      fontWeight: 700,
    },
    '& .tm-quota': { ...caption, whiteSpace: 'nowrap' },
    '& .tm-quota-high, & .tm-quota-full': { fontWeight: 700 },
    '& .tm-quota-high': { color: warningText(theme) },
    '& .tm-quota-full': { color: errorText(theme) },
    '& .tm-health': {
      ...theme.typography.caption,
      fontWeight: 500,
      padding: theme.spacing(0.25, 1),
      borderRadius: 12,
    },
    ...health,
    '& .tm-hidden': visuallyHidden,
    '& .tm-button': {
      // Holds its visually hidden spans (absolutely positioned).
      position: 'relative',
      display: 'inline-flex',
      flexDirection: 'column',
      alignItems: 'center',
      gap: theme.spacing(0.5),
      padding: theme.spacing(0.5),
      margin: 0,
      border: 0,
      borderRadius: theme.shape.borderRadius,
      background: 'transparent',
      color: 'inherit',
      font: 'inherit',
      cursor: 'pointer',
      '&:hover': { backgroundColor: theme.palette.action.hover },
      '&:focus-visible': {
        outline: `2px solid ${theme.palette.primary.main}`,
      },
    },
  };
});

type QuotaLevel = 'ok' | 'high' | 'full';

function quotaLevel(ratio: number): QuotaLevel {
  if (ratio >= 1) return 'full';
  if (ratio >= QUOTA_HIGH) return 'high';
  return 'ok';
}

/** The fullest quota resource, as `cpu 85%`, standing out from 80 %. */
function QuotaUse({ usage }: { usage?: QuotaUsage }) {
  if (!usage || usage.ratio === undefined) {
    return <span className="tm-caption">no quota</span>;
  }
  const level = quotaLevel(usage.ratio);
  return (
    <span className={`tm-quota tm-quota-${level}`}>
      {`${level === 'ok' ? '' : '▲ '}${usage.resource} ${percent(usage.ratio)}`}
    </span>
  );
}

const Cell = memo(function CellView(props: {
  ns?: NamespaceSummary;
  column: MatrixColumn;
  open: boolean;
  onToggle: (cluster: string) => void;
}) {
  const { ns, column, open, onToggle } = props;
  if (!ns) {
    return (
      <td className="tm-cell">
        {column.error ? (
          <span className="tm-caption">not read</span>
        ) : (
          <span className="tm-caption" aria-label="not on this cluster">
            —
          </span>
        )}
      </td>
    );
  }
  const health = cellHealth(ns);
  const tight = tightestQuota(ns.quota);
  // The button's name is what it shows, with the context a screen reader
  // needs around it (axe: label-content-name-mismatch): "payments on
  // sandbox-a: Healthy, ▲ pods 95% of quota".
  return (
    <td className={open ? 'tm-cell tm-open' : 'tm-cell'}>
      <button
        type="button"
        className="tm-button"
        onClick={() => onToggle(column.cluster)}
        aria-expanded={open}
      >
        <span className="tm-hidden">{`${ns.name} on ${ns.cluster}: `}</span>
        {health ? (
          <span className={`tm-health tm-health-${health}`}>
            {healthWord(health)}
          </span>
        ) : (
          <span className="tm-caption">no workloads</span>
        )}
        <span className="tm-hidden">{', '}</span>
        <QuotaUse usage={tight} />
        {tight?.ratio !== undefined && (
          <span className="tm-hidden">{' of quota'}</span>
        )}
      </button>
    </td>
  );
});

function Policies({ row }: { row: MatrixRow }) {
  const { missing, text } = policiesText(Object.values(row.cells));
  return (
    <span
      className={missing ? 'tm-policies tm-policies-missing' : 'tm-policies'}
    >
      {text}
    </span>
  );
}

/**
 * The day-2 templates for a namespace in one environment, filled in: the
 * templates dry-run and check access again.
 */
function DayTwoActions(props: { target: NamespaceTarget }) {
  const { target } = props;
  return (
    <Box sx={{ display: 'flex', gap: 1, mt: 1 }}>
      <Button
        component={RouterLink}
        to={resizeLink(target)}
        size="small"
        variant="outlined"
      >
        {`Resize in ${target.environment}…`}
      </Button>
      <Button
        component={RouterLink}
        to={offboardLink(target)}
        size="small"
        variant="outlined"
        color="error"
      >
        {`Offboard from ${target.environment}…`}
      </Button>
    </Box>
  );
}

function MatrixRowView(props: {
  row: MatrixRow;
  columns: MatrixColumn[];
  tenant: string;
  open?: string;
  onToggle: (name: string, cluster: string) => void;
}) {
  const { row, columns, tenant, open, onToggle } = props;
  const toggleCell = useCallback(
    (cluster: string) => onToggle(row.name, cluster),
    [onToggle, row.name],
  );
  const detail = open ? row.cells[open] : undefined;
  return (
    <Fragment>
      <tr className="tm-row">
        <th className="tm-cell" scope="row">
          <span className="tm-name">{row.name}</span>
          <span className="tm-caption">{row.environments.join(', ')}</span>
        </th>
        {columns.map(column => (
          <Cell
            key={column.cluster}
            ns={row.cells[column.cluster]}
            column={column}
            open={open === column.cluster}
            onToggle={toggleCell}
          />
        ))}
        <td className="tm-cell">
          <Policies row={row} />
        </td>
      </tr>
      {detail && (
        <TableRow>
          <TableCell
            colSpan={columns.length + 2}
            sx={{ bgcolor: 'action.hover' }}
          >
            <Box
              role="region"
              aria-label={`${detail.name} on ${detail.cluster}`}
              sx={{ maxWidth: 720, py: 1 }}
            >
              <Typography variant="subtitle1" component="h3" gutterBottom>
                {`${detail.name} on ${detail.cluster}${
                  detail.environment ? ` (${detail.environment})` : ''
                }`}
              </Typography>
              <NamespaceDetail ns={detail} />
              {detail.environment && (
                <DayTwoActions
                  target={{
                    tenant,
                    namespace: detail.name,
                    environment: detail.environment,
                  }}
                />
              )}
            </Box>
          </TableCell>
        </TableRow>
      )}
    </Fragment>
  );
}

const MemoRow = memo(MatrixRowView);

/**
 * A team's namespaces as a matrix: one row per namespace, one column per
 * cluster (grouped by environment). Each cell shows the workloads' health
 * and the tightest quota resource; a click opens every quota bar, the
 * policies and role bindings of that namespace on that cluster.
 */
export function NamespaceMatrix({ tenant }: { tenant: TenantResponse }) {
  const { columns, rows } = useMemo(() => buildMatrix(tenant), [tenant]);
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<MatrixSort>('health');
  const [attentionOnly, setAttentionOnly] = useState(false);
  const [open, setOpen] = useState<{ name: string; cluster: string }>();
  const [page, setPage] = useState(0);
  const [pageSize, setPageSize] = useState(50);
  const toggle = useCallback(
    (name: string, cluster: string) =>
      setOpen(shownCell =>
        shownCell?.name === name && shownCell.cluster === cluster
          ? undefined
          : { name, cluster },
      ),
    [],
  );

  const selected = useMemo(
    () => selectRows(rows, { filter, sort, attentionOnly }),
    [rows, filter, sort, attentionOnly],
  );
  // A reload can leave fewer rows than the page showed: stay on the last.
  const current = Math.min(
    page,
    Math.max(0, Math.ceil(selected.length / pageSize) - 1),
  );
  const shown = selected.slice(current * pageSize, (current + 1) * pageSize);
  const environments = useMemo(() => {
    const groups: Array<{ environment: string; span: number }> = [];
    for (const column of columns) {
      const environment = column.environment ?? 'unknown environment';
      const last = groups[groups.length - 1];
      if (last?.environment === environment) last.span++;
      else groups.push({ environment, span: 1 });
    }
    return groups;
  }, [columns]);

  if (rows.length === 0) {
    return (
      <EmptyState
        missing="data"
        title="No namespaces for this team"
        description="Onboard one with the “Onboard a team namespace” template on the Create page; it shows here after the next refresh."
      />
    );
  }

  return (
    <Box>
      <Box
        sx={{
          display: 'flex',
          flexWrap: 'wrap',
          alignItems: 'center',
          gap: 2,
          mb: 1,
        }}
      >
        <TextField
          size="small"
          label="Filter namespaces"
          value={filter}
          onChange={e => {
            setFilter(e.target.value);
            setPage(0);
          }}
        />
        <TextField
          select
          size="small"
          label="Sort by"
          value={sort}
          onChange={e => {
            setSort(e.target.value as MatrixSort);
            setPage(0);
          }}
          sx={{ minWidth: 180 }}
        >
          <MenuItem value="health">Health (worst first)</MenuItem>
          <MenuItem value="quota">Quota use (fullest first)</MenuItem>
          <MenuItem value="name">Name</MenuItem>
        </TextField>
        <FormControlLabel
          control={
            <Switch
              checked={attentionOnly}
              onChange={e => {
                setAttentionOnly(e.target.checked);
                setPage(0);
              }}
            />
          }
          label="Needs attention only"
        />
        <Typography variant="body2" color="text.secondary" role="status">
          {`${selected.length} of ${rows.length} namespaces on ${
            columns.length
          } ${columns.length === 1 ? 'cluster' : 'clusters'}`}
        </Typography>
      </Box>
      <TableContainer sx={{ overflowX: 'auto', maxWidth: '100%' }}>
        <MatrixTable size="small" aria-label="Namespaces by cluster">
          <Box component="caption" sx={visuallyHidden}>
            Each cell: the workloads' health and the fullest quota resource of
            the namespace on that cluster. Select a cell for its details.
          </Box>
          <TableHead>
            <TableRow>
              <TableCell
                rowSpan={2}
                sx={{
                  position: 'sticky',
                  left: 0,
                  zIndex: 2,
                  bgcolor: 'background.paper',
                }}
              >
                Namespace
              </TableCell>
              {environments.map(({ environment, span }) => (
                <TableCell
                  key={environment}
                  colSpan={span}
                  align="center"
                  sx={{ borderLeft: 1, borderColor: 'divider' }}
                >
                  {environment}
                </TableCell>
              ))}
              <TableCell rowSpan={2}>Policies</TableCell>
            </TableRow>
            <TableRow>
              {columns.map(column => (
                <TableCell key={column.cluster} align="center">
                  {column.error ? (
                    <Tooltip title={clusterErrorText(column.error)}>
                      <Box
                        component="span"
                        tabIndex={0}
                        sx={{ color: warningText }}
                      >
                        {`${column.cluster} ⚠`}
                      </Box>
                    </Tooltip>
                  ) : (
                    column.cluster
                  )}
                </TableCell>
              ))}
            </TableRow>
          </TableHead>
          <TableBody>
            {shown.map(row => (
              <MemoRow
                key={row.name}
                row={row}
                columns={columns}
                tenant={tenant.tenant}
                open={open?.name === row.name ? open.cluster : undefined}
                onToggle={toggle}
              />
            ))}
            {shown.length === 0 && (
              <TableRow>
                <TableCell colSpan={columns.length + 2}>
                  <Typography variant="body2" color="text.secondary">
                    No namespace matches.
                  </Typography>
                </TableCell>
              </TableRow>
            )}
          </TableBody>
        </MatrixTable>
      </TableContainer>
      {selected.length > PAGE_SIZES[0] && (
        <TablePagination
          component="div"
          count={selected.length}
          page={current}
          onPageChange={(_e, p) => setPage(p)}
          rowsPerPage={pageSize}
          rowsPerPageOptions={PAGE_SIZES}
          onRowsPerPageChange={e => {
            setPageSize(Number(e.target.value));
            setPage(0);
          }}
        />
      )}
    </Box>
  );
}
