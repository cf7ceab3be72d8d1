export { basisPoints, CURRENCIES, formatMoney, minorDigits, splitSale, type SaleSplit } from './money.js';
