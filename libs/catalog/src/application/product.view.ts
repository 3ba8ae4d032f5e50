/** A product as the API and other modules see it. */
export interface ProductView {
  sku: string;
  name: string;
  description: string;
  priceMinor: number;
  currency: string;
}
