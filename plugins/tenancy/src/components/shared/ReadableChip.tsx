import Chip, { chipClasses } from '@mui/material/Chip';
import { styled } from '@mui/material/styles';
import { readableText, textOn } from './textColors';

/**
 * MUI's Chip with text that reaches WCAG AA in both themes: on a filled
 * chip the theme's black or white, whichever reads better (the palette's
 * contrastText only promises 3:1); on an outlined one the colour itself,
 * darkened or lightened until it reads on the page.
 */
export const ReadableChip = styled(Chip)(({ theme, color, variant }) => {
  if (!color || color === 'default') return {};
  const main = theme.palette[color].main;
  return {
    color:
      variant === 'outlined' ? readableText(theme, main) : textOn(theme, main),
    [`& .${chipClasses.icon}`]: { color: 'inherit' },
  };
});
