export {
  basisPoints,
  CURRENCIES,
  formatMoney,
  minimumChargeMinor,
  minorDigits,
  splitSale,
  type SaleSplit,
} from './money.js';
