import { CatalogFacade } from '../catalog.facade';
import type { ProductRepository } from '../product-repository';
import { ListSkusHandler } from './list-skus.handler';
import { ListSkusQuery } from './list-skus.query';

describe('ListSkusHandler', () => {
  const products = { listSkus: async () => ['COF-KENYA-250G', 'TEA-SENCHA-100G'] } as unknown as ProductRepository;

  it('answers every sku the repository has', async () => {
    expect(await new ListSkusHandler(products).execute()).toEqual(['COF-KENYA-250G', 'TEA-SENCHA-100G']);
  });

  it('is what CatalogFacade.listSkus returns, through the query bus', async () => {
    const handler = new ListSkusHandler(products);
    const queries = {
      execute: (query: unknown) => {
        expect(query).toBeInstanceOf(ListSkusQuery);
        return handler.execute();
      },
    };
    const facade = new CatalogFacade(queries as never);
    expect(await facade.listSkus()).toEqual(['COF-KENYA-250G', 'TEA-SENCHA-100G']);
  });
});
