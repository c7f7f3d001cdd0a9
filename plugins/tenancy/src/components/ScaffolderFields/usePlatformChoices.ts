import { useApi } from '@backstage/frontend-plugin-api';
import { useCallback, useEffect, useRef, useState } from 'react';

import { tenancyApiRef } from '../../api';

/** One load of the platform's choices, with a retry: the form waits on it. */
export interface Choices<T> {
  value?: T;
  error?: Error;
  loading: boolean;
  retry: () => void;
}

/**
 * Loads `what` of the Tenancy API once per mount (and again on retry). The
 * form stays usable while it loads; a failure says why and offers a retry.
 */
export function usePlatformChoices<T>(
  load: (api: ReturnType<typeof useTenancyApi>) => Promise<T>,
): Choices<T> {
  const api = useTenancyApi();
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<Omit<Choices<T>, 'retry'>>({
    loading: true,
  });
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let current = true;
    setState(s => ({ ...s, loading: true }));
    loadRef.current(api).then(
      value => current && setState({ value, loading: false }),
      error => current && setState({ error, loading: false }),
    );
    return () => {
      current = false;
    };
  }, [api, attempt]);
  const retry = useCallback(() => setAttempt(a => a + 1), []);
  return { ...state, retry };
}

function useTenancyApi() {
  return useApi(tenancyApiRef);
}

/**
 * Chooses `choice` for the person while the field has no value (neither
 * the template nor they set one); a value already there is kept.
 */
export function useChoiceWhenUnset(
  formData: string | undefined,
  choice: string | undefined,
  onChange: (value: string) => void,
) {
  useEffect(() => {
    if (!formData && choice) onChange(choice);
  }, [formData, choice, onChange]);
}
