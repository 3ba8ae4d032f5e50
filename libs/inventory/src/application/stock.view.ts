/** The stock of a sku as the API shows it. */
export interface StockView {
  sku: string;
  available: number;
  reserved: number;
}
