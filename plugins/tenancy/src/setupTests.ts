import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';

// Material tables take a while to render in jsdom on a busy machine; wait
// for what the user would see rather than fail on a slow first paint.
configure({ asyncUtilTimeout: 5_000 });

// Several finds in one test can add up past jest's 5 s default on a loaded CI
// machine; the waits above still bound each step.
jest.setTimeout(30_000);
