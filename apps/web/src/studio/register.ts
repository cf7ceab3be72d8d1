import i18next from 'i18next';
import { useTranslation } from 'react-i18next';
import { en, zhCN } from './words';

// Added when the studio's chunk loads: under `studio`, and its problem messages beside the
// storefront's (never replacing one) so that ProblemNote speaks them too.
for (const [language, words] of [
  ['en', en],
  ['zh-CN', zhCN],
] as const) {
  const { problem, ...studio } = words;
  i18next.addResourceBundle(language, 'translation', { studio, problem }, true, false);
}

/** `t` for studio words (`t('mint.name')` reads `studio.mint.name`), `tc` for the storefront's. */
export function useStudioWords() {
  const { t, i18n } = useTranslation('translation', { keyPrefix: 'studio' });
  const { t: tc } = useTranslation();
  return { t, tc, i18n };
}
