import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import LinearProgress from '@mui/material/LinearProgress';
import { serverMessage } from '../shared';
import type { Choices } from './usePlatformChoices';

/**
 * A picker's choices while they are not there: progress while they load,
 * and why they did not come, with a Retry. Nothing once they are loaded.
 */
export function ChoicesStatus(props: {
  choices: Choices<unknown>;
  what: string;
}) {
  const { choices, what } = props;
  if (choices.value) return null;
  if (choices.loading) {
    return <LinearProgress aria-label={`Loading ${what}`} sx={{ my: 1 }} />;
  }
  if (!choices.error) return null;
  return (
    <Alert
      severity="error"
      sx={{ my: 1 }}
      action={
        <Button color="inherit" size="small" onClick={choices.retry}>
          Retry
        </Button>
      }
    >
      Could not load {what}: {serverMessage(choices.error)}
    </Alert>
  );
}
