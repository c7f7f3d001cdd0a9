import { darken, getContrastRatio, lighten, Theme } from '@mui/material/styles';

/** WCAG AA for normal-size text. */
const AA = 4.5;

/**
 * `color` for text on the theme's backgrounds: as it is if it reaches 4.5:1
 * on both the page and the paper of cards and tables, else lightened (dark
 * theme) or darkened (light theme) until it does. MUI's error red, for one,
 * falls short on the dark theme's paper.
 */
export function readableText(theme: Theme, color: string): string {
  const { paper, default: page } = theme.palette.background;
  const adjust = theme.palette.mode === 'dark' ? lighten : darken;
  for (let step = 0; step <= 10; step++) {
    const candidate = step === 0 ? color : adjust(color, step / 10);
    if (
      Math.min(
        getContrastRatio(candidate, paper),
        getContrastRatio(candidate, page),
      ) >= AA
    ) {
      return candidate;
    }
  }
  return theme.palette.text.primary;
}

/** The error colour for text, as an `sx` value: `sx={{ color: errorText }}`. */
export const errorText = (theme: Theme) =>
  readableText(theme, theme.palette.error.main);

/**
 * The theme's black or white, whichever reads better on `background`. That
 * is always at least 4.5:1, where the palette's `contrastText` only promises
 * 3:1 (white on MUI's warning orange is 3.1:1).
 */
export function textOn(theme: Theme, background: string): string {
  const { black, white } = theme.palette.common;
  return getContrastRatio(background, white) >=
    getContrastRatio(background, black)
    ? white
    : black;
}

/** The warning colour for text, as an `sx` value: `sx={{ color: warningText }}`. */
export const warningText = (theme: Theme) =>
  readableText(theme, theme.palette.warning.main);
