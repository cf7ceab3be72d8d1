import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './locales/en';
import { zhCN } from './locales/zh-CN';

export const LANGUAGES = [
  { code: 'en', label: 'English' },
  { code: 'zh-CN', label: '简体中文' },
] as const;
export type Language = (typeof LANGUAGES)[number]['code'];

const CHOICE_KEY = 'heirloom.language';

/** The person's choice, else the browser's first language we speak, else English. */
function initialLanguage(): Language {
  const chosen = localStorage.getItem(CHOICE_KEY);
  if (chosen === 'en' || chosen === 'zh-CN') return chosen;
  const browser = navigator.languages.find((tag) => /^(zh|en)\b/i.test(tag)) ?? 'en';
  return browser.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export async function setLanguage(language: Language): Promise<void> {
  localStorage.setItem(CHOICE_KEY, language);
  await i18next.changeLanguage(language);
}

i18next.on('languageChanged', (language) => {
  document.documentElement.lang = language;
});

await i18next.use(initReactI18next).init({
  resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } },
  lng: initialLanguage(),
  fallbackLng: 'en',
  // React escapes what it renders.
  interpolation: { escapeValue: false },
});
