/**
 * The sample catalog: a tea and coffee shop. Prices in minor units. A few imported items are
 * priced in USD so that the one-currency-per-order rule can be seen at work.
 */
export const SAMPLE_PRODUCTS: ReadonlyArray<{
  sku: string;
  name: string;
  description: string;
  priceMinor: number;
  currency: string;
}> = [
  ['TEA-SENCHA-100G', 'Sencha, 100 g', 'Steamed Japanese green tea, grassy and bright.', 850],
  ['TEA-GYOKURO-50G', 'Gyokuro, 50 g', 'Shade-grown green tea with a deep umami taste.', 1890],
  ['TEA-MATCHA-30G', 'Matcha, 30 g', 'Stone-ground ceremonial grade green tea powder.', 2400],
  ['TEA-GENMAICHA-100G', 'Genmaicha, 100 g', 'Green tea with toasted brown rice.', 690],
  ['TEA-HOJICHA-100G', 'Hojicha, 100 g', 'Roasted green tea, low in caffeine.', 750],
  ['TEA-DARJEELING-100G', 'Darjeeling First Flush, 100 g', 'Light, floral black tea from the spring harvest.', 1450],
  ['TEA-ASSAM-250G', 'Assam Breakfast, 250 g', 'Malty black tea that takes milk well.', 990],
  ['TEA-CEYLON-250G', 'Ceylon Highland, 250 g', 'Brisk black tea from Nuwara Eliya.', 1050],
  ['TEA-EARLGREY-100G', 'Earl Grey, 100 g', 'Black tea scented with bergamot.', 790],
  ['TEA-LAPSANG-100G', 'Lapsang Souchong, 100 g', 'Pine-smoked black tea.', 920],
  ['TEA-OOLONG-TIEGUANYIN-100G', 'Tieguanyin Oolong, 100 g', 'Rolled oolong with an orchid aroma.', 1690],
  ['TEA-OOLONG-DAHONGPAO-50G', 'Da Hong Pao, 50 g', 'Rock oolong from the Wuyi mountains.', 2150],
  ['TEA-PUERH-357G', 'Pu-erh Cake, 357 g', 'Aged, pressed dark tea.', 3900],
  ['TEA-WHITE-PEONY-50G', 'White Peony, 50 g', 'Delicate white tea with buds and leaves.', 1190],
  ['TEA-SILVER-NEEDLE-50G', 'Silver Needle, 50 g', 'White tea made of buds only.', 2490],
  ['TEA-ROOIBOS-100G', 'Rooibos, 100 g', 'Caffeine-free red bush infusion.', 590],
  ['TEA-CHAMOMILE-50G', 'Chamomile, 50 g', 'Whole chamomile flowers.', 490],
  ['TEA-PEPPERMINT-50G', 'Peppermint, 50 g', 'Cut peppermint leaves.', 450],
  ['TEA-CHAI-MASALA-100G', 'Masala Chai, 100 g', 'Black tea with cardamom, ginger and cinnamon.', 880],
  ['TEA-JASMINE-PEARLS-50G', 'Jasmine Pearls, 50 g', 'Hand-rolled green tea scented with jasmine.', 1390],
  ['COF-ETHIOPIA-250G', 'Ethiopia Yirgacheffe, 250 g', 'Washed coffee with notes of lemon and jasmine.', 1290],
  ['COF-KENYA-250G', 'Kenya AA, 250 g', 'Juicy coffee with blackcurrant notes.', 1390],
  ['COF-COLOMBIA-250G', 'Colombia Huila, 250 g', 'Balanced coffee with caramel sweetness.', 1090],
  ['COF-BRAZIL-1KG', 'Brazil Cerrado, 1 kg', 'Nutty, chocolatey everyday coffee.', 2890],
  ['COF-GUATEMALA-250G', 'Guatemala Antigua, 250 g', 'Cocoa and spice, medium body.', 1190],
  ['COF-SUMATRA-250G', 'Sumatra Mandheling, 250 g', 'Earthy, full-bodied coffee.', 1240],
  ['COF-ESPRESSO-BLEND-1KG', 'Espresso Blend, 1 kg', 'A blend roasted for espresso.', 2690],
  ['COF-DECAF-250G', 'Decaf Colombia, 250 g', 'Sugar-cane decaffeinated coffee.', 1150],
  ['COF-COLD-BREW-500G', 'Cold Brew Grind, 500 g', 'Coarse grind for cold brewing.', 1690],
  ['COF-GEISHA-100G', 'Panama Geisha, 100 g', 'Rare, floral and tea-like.', 3490],
  ['EQP-KYUSU-300ML', 'Kyusu Teapot, 300 ml', 'Japanese side-handle clay teapot.', 4900],
  ['EQP-GAIWAN-150ML', 'Gaiwan, 150 ml', 'Porcelain lidded bowl for gongfu brewing.', 1990],
  ['EQP-CHASEN', 'Chasen Whisk', 'Bamboo whisk for matcha.', 1590],
  ['EQP-CHAWAN', 'Chawan Bowl', 'Hand-thrown matcha bowl.', 3500],
  ['EQP-KETTLE-GOOSENECK', 'Gooseneck Kettle, 1 l', 'Electric kettle with temperature control.', 7990],
  ['EQP-SCALE-01G', 'Coffee Scale, 0.1 g', 'Scale with a built-in timer.', 2990],
  ['EQP-GRINDER-HAND', 'Hand Grinder', 'Conical burr hand grinder.', 8900],
  ['EQP-GRINDER-ELECTRIC', 'Electric Grinder', 'Flat burr grinder for filter and espresso.', 24900],
  ['EQP-V60-02', 'Dripper V60 02', 'Ceramic cone dripper.', 2490],
  ['EQP-FILTERS-V60-100', 'V60 Filters, 100 pcs', 'Paper filters for size 02 drippers.', 590],
  ['EQP-FRENCH-PRESS-1L', 'French Press, 1 l', 'Glass and steel press pot.', 3290],
  ['EQP-AEROPRESS', 'AeroPress', 'Portable immersion brewer.', 3990],
  ['EQP-MOKA-6CUP', 'Moka Pot, 6 cups', 'Stovetop espresso maker.', 3490],
  ['EQP-MILK-PITCHER-350ML', 'Milk Pitcher, 350 ml', 'Steel pitcher for latte art.', 1490],
  ['EQP-TEA-INFUSER', 'Tea Infuser', 'Fine mesh steel infuser.', 790],
  ['EQP-TIN-100G', 'Storage Tin, 100 g', 'Airtight tin for tea or beans.', 990],
  ['EQP-CUP-SET-4', 'Cup Set, 4 pcs', 'Porcelain tasting cups.', 2590],
  ['EQP-THERMOS-500ML', 'Travel Flask, 500 ml', 'Insulated flask with a tea strainer.', 2890],
  ['GFT-SAMPLER-TEA', 'Tea Sampler', 'Eight teas in 10 g pouches.', 2490],
  ['GFT-SAMPLER-COFFEE', 'Coffee Sampler', 'Four coffees in 100 g bags.', 2990],
  ['GFT-CARD-25', 'Gift Card 25', 'A gift card worth 25.', 2500],
  ['GFT-CARD-50', 'Gift Card 50', 'A gift card worth 50.', 5000],
]
  .map(([sku, name, description, priceMinor]) => ({
    sku: sku as string,
    name: name as string,
    description: description as string,
    priceMinor: priceMinor as number,
    currency: 'EUR',
  }))
  .concat([
    {
      sku: 'IMP-KONA-250G',
      name: 'Kona Coffee, 250 g',
      description: 'Imported from Hawaii.',
      priceMinor: 4900,
      currency: 'USD',
    },
    {
      sku: 'IMP-CHEMEX-8CUP',
      name: 'Chemex, 8 cups',
      description: 'Imported glass pour-over brewer.',
      priceMinor: 4750,
      currency: 'USD',
    },
    {
      sku: 'IMP-MAPLE-TEA-50G',
      name: 'Maple Black Tea, 50 g',
      description: 'Imported from Canada.',
      priceMinor: 1200,
      currency: 'USD',
    },
  ]);
