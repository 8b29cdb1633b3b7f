import { sharedDataPath } from '../../../src/data/shared';

/**
 * The recorded us-east-1 spot price history in the read-only evaluation data. Like every use of
 * that data, it goes through sharedDataPath(), which fails naming the folder when it is missing.
 */
export const SPOT_CSV = sharedDataPath(['spot-prices', 'spot_prices_us-east-1.csv']);
